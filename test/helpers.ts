// Test helpers for the pure core: a tiny simulator that feeds stanzas to
// `handle` with a fixed clock and id prefix, and records the exchange as a
// readable transcript (">>" in, "<<" out) for snapshot tests.
import { defaultConfig, type Context, type ServiceConfig } from "../lib/context.ts";
import type { Input, ServiceState } from "../lib/service.ts";
import { serialisedLength } from "../lib/serialise.ts";
import { serialiseAll } from "../lib/shell/output.ts";
import { createRuntime, type Runtime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import type { Write } from "../lib/storage.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";

export const DOMAIN = "muc.example.org";
export const ROOM = `room@${DOMAIN}`;
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export class Sim {
  now = T0;
  sequence = 0;
  transcript: string[] = [];
  config: ServiceConfig;
  /** The real store, in memory: what the core reads and writes goes through SQLite as in production. */
  store: ReturnType<typeof openSqliteStore>;
  /** Also show, in the transcript, the writes the core asks for ("## " lines). */
  showWrites = false;
  private runtime: Runtime;

  constructor(config: Partial<ServiceConfig> = {}, options: { store?: ReturnType<typeof openSqliteStore>; showWrites?: boolean } = {}) {
    this.config = { ...defaultConfig, domain: DOMAIN, ...config };
    this.store = options.store ?? openSqliteStore(":memory:");
    this.showWrites = options.showWrites ?? false;
    this.runtime = createRuntime({
      store: this.store,
      config: this.config,
      clock: () => this.now,
      nonce: () => `n${++this.sequence}`,
      onWrite: (write) => {
        if (this.showWrites) this.transcript.push(`## ${describeWrite(write)}`);
      },
      onCrash: (_input, error) => {
        throw error;
      },
    });
  }

  get state(): ServiceState {
    return this.runtime.state();
  }

  ctx(): Context {
    return { config: this.config, now: this.now, nonce: `n${++this.sequence}` };
  }

  /** Feed one input; return what went out, and append both to the transcript. */
  send(stanza: Element): Element[] {
    return this.input({ kind: "stanza", stanza });
  }

  input(input: Input): Element[] {
    const before = input.kind === "stanza" ? input.stanza.toString() : undefined;
    this.transcript.push(input.kind === "stanza" ? `>> ${input.stanza}` : `>> (${input.kind})`);
    const at = this.transcript.length;
    const out = this.runtime.step(input);
    this.runtime.flush();
    if (before !== undefined && input.kind === "stanza" && input.stanza.toString() !== before) throw new Error("the core mutated its input");
    const writes = this.transcript.splice(at);
    for (const stanza of out) this.transcript.push(`<< ${stanza}`);
    // What goes on the wire (the shell's one-write serialiser) is exactly what the snapshots show.
    if (serialiseAll(out) !== out.map(String).join("")) throw new Error("the wire serialiser differs from ltx's toString()");
    if (before !== undefined && serialisedLength((input as { stanza: Element }).stanza) !== before.length) throw new Error("serialisedLength differs from toString().length");
    this.transcript.push(...writes);
    return out;
  }

  /** The transcript so far, then cleared: what a snapshot shows. */
  take(): string {
    const text = "\n" + this.transcript.join("\n") + "\n";
    this.transcript = [];
    return text;
  }

  room(jid = ROOM) {
    return this.state.rooms.get(jid);
  }

  /** A new Sim on the same store, as after a restart of the service (a crash: nothing is said to anyone). */
  restart(config: Partial<ServiceConfig> = {}): Sim {
    const next = new Sim({ ...this.config, ...config }, { store: this.store, showWrites: this.showWrites });
    next.now = this.now;
    next.sequence = this.sequence + 1000;
    return next;
  }
}

/** One write as a transcript line: what it does, without the bulky parts. */
export function describeWrite(w: Write): string {
  switch (w.op) {
    case "save-room": {
      const { jid, config, affiliations, subject, avatarHash } = w.room;
      return `save-room ${jid} ${JSON.stringify({ config, affiliations, ...(subject ? { subject } : {}), ...(avatarHash ? { avatarHash } : {}) })}`;
    }
    case "save-occupant":
      return `save-occupant ${w.room} ${w.key} ${JSON.stringify({ ...w.occupant, sessions: w.occupant.sessions.map((s) => s.jid) })}`;
    case "archive":
      return `archive ${w.room} ${w.message.id} ${w.message.stanza}`;
    case "retract":
      return `retract ${w.room} ${w.id} ${w.tombstone}`;
    case "delete-room":
      return `delete-room ${w.jid}${w.archive ? " with its archive" : ""}`;
    case "delete-occupant":
      return `delete-occupant ${w.room} ${w.key}`;
    case "delete-occupants":
      return `delete-occupants ${w.room}`;
    case "expire":
      return `expire before ${new Date(w.before).toISOString()}`;
  }
}

export function join(from: string, nick: string, room = ROOM, ...extra: Element[]): Element {
  return xml("presence", { from, to: `${room}/${nick}` }, xml("x", { xmlns: NS.muc }, ...extra));
}

export function leave(from: string, nick: string, room = ROOM): Element {
  return xml("presence", { from, to: `${room}/${nick}`, type: "unavailable" });
}

export function groupchat(from: string, body: string, id = "m1", room = ROOM, ...extra: Element[]): Element {
  return xml("message", { from, to: room, type: "groupchat", id }, xml("body", {}, body), ...extra);
}

/** The stanzas addressed to `to`. */
export function to(out: Element[], jid: string): Element[] {
  return out.filter((s) => s.attrs.to === jid);
}

/** Status codes in a stanza's muc#user <x/>. */
export function codes(stanza: Element): string[] {
  return (stanza.getChild("x", NS.mucUser)?.getChildren("status") ?? []).map((s) => s.attrs.code);
}

export function condition(stanza: Element): string | undefined {
  return stanza.getChild("error")?.getChildElements()[0]?.name;
}

export const ROMEO = "romeo@example.net/orchard";
export const ROMEO2 = "romeo@example.net/phone";
export const JULIET = "juliet@example.com/balcony";
export const MERCUTIO = "mercutio@example.org/street";

/** A Sim with a room these sessions joined in order (the first is the owner), the transcript cleared. */
export function roomWith(...occupants: [jid: string, nick: string][]): Sim {
  const sim = new Sim();
  for (const [jid, nick] of occupants) sim.send(join(jid, nick));
  sim.take();
  return sim;
}

/**
 * The owner submits the room configuration form (XEP-0045 §10.2, as clients
 * send it: FORM_TYPE first, fields without a 'type' attribute).
 */
export function configure(from: string, fields: Record<string, string>, id: string, extra: Element[] = []): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id },
    xml(
      "query",
      { xmlns: NS.mucOwner },
      xml(
        "x",
        { xmlns: NS.data, type: "submit" },
        xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig")),
        ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))),
        ...extra,
      ),
    ),
  );
}
