// Test helpers for the pure core: a tiny simulator that feeds stanzas to
// `handle` with a fixed clock and id prefix, and records the exchange as a
// readable transcript (">>" in, "<<" out) for snapshot tests.
import { defaultConfig, type Context, type ServiceConfig } from "../lib/context.ts";
import { handle, initialState, type Input, type ServiceState } from "../lib/service.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";

export const DOMAIN = "muc.example.org";
export const ROOM = `room@${DOMAIN}`;
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export class Sim {
  state: ServiceState = initialState();
  now = T0;
  sequence = 0;
  transcript: string[] = [];
  config: ServiceConfig;

  constructor(config: Partial<ServiceConfig> = {}) {
    this.config = { ...defaultConfig, domain: DOMAIN, ...config };
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
    const [state, out] = handle(this.state, input, this.ctx());
    if (before !== undefined && input.kind === "stanza" && input.stanza.toString() !== before) throw new Error("the core mutated its input");
    this.state = state;
    this.transcript.push(input.kind === "stanza" ? `>> ${input.stanza}` : `>> (${input.kind})`);
    for (const stanza of out) this.transcript.push(`<< ${stanza}`);
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
