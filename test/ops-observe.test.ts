// What the shell counts and logs about the core's work (lib/shell/observe.ts),
// with the real core: each service limit provoked for real and recognised,
// bounded labels for what clients control, the exposition after a session,
// storage timing and health, and log lines that keep bodies and real JIDs out.
import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../lib/context.ts";
import { handle, initialState } from "../lib/service.ts";
import { createLogger, type Level } from "../lib/shell/log.ts";
import { errorOf, limitOf, stanzaKind, createObserver, type Health } from "../lib/shell/observe.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import type { Store } from "../lib/storage.ts";
import { errorReply, NS, xml, type Element } from "../lib/stanza.ts";
import { DOMAIN, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, roomWith, Sim } from "./helpers.ts";

const errorsIn = (out: Element[]) => out.filter((s) => s.attrs.type === "error");

/** One sample's value from an exposition, or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("limits, recognised in what the core sends", () => {
  test("stanza size", () => {
    const sim = new Sim({ maxStanzaChars: 200 });
    const [error] = errorsIn(sim.send(groupchat(ROMEO, "x".repeat(300))));
    expect(limitOf(error!)).toBe("stanza-size");
    expect(errorOf(error!)!.condition).toBe("policy-violation");
  });

  test("room full", () => {
    const sim = new Sim({ maxOccupants: 1 });
    sim.send(join(ROMEO, "Romeo"));
    const [error] = errorsIn(sim.send(join(JULIET, "Juliet")));
    expect(limitOf(error!)).toBe("room-occupants");
  });

  test("nick length", () => {
    const sim = new Sim({ maxNickLength: 4 });
    const [error] = errorsIn(sim.send(join(ROMEO, "Romeo the Montague")));
    expect(limitOf(error!)).toBe("nick-length");
  });

  test("room vCard size", () => {
    const sim = new Sim({ maxVcardChars: 100 });
    sim.send(join(ROMEO, "Romeo"));
    const big = xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "v" }, xml("vCard", { xmlns: NS.vcard }, xml("DESC", {}, "d".repeat(200))));
    const [error] = errorsIn(sim.send(big));
    expect(limitOf(error!)).toBe("vcard-size");
  });

  test("stanzas waiting for a room that is loading", () => {
    const ctx = { config: { ...defaultConfig, domain: DOMAIN, maxWaitingStanzas: 1 }, now: 0, nonce: "n" };
    const [state] = handle(initialState(), { kind: "stanza", stanza: join(ROMEO, "Romeo") }, ctx);
    const [, out] = handle(state, { kind: "stanza", stanza: join(JULIET, "Juliet") }, ctx); // the read was not answered yet
    expect(limitOf(out[0]!)).toBe("loading-queue");
  });

  test("a wait-type throttle is a rate limit; ordinary errors are no limit", () => {
    const stanza = groupchat(ROMEO, "hi");
    const throttled = errorReply(stanza, "policy-violation", "Slow down", { type: "wait" })[0]!;
    expect(limitOf(throttled)).toBe("rate");
    const sim = roomWith([ROMEO, "Romeo"]);
    const [notOccupant] = errorsIn(sim.send(groupchat(MERCUTIO, "hello?")));
    expect(errorOf(notOccupant!)!.condition).toBe("not-acceptable");
    expect(limitOf(notOccupant!)).toBeUndefined();
    expect(limitOf(stanza)).toBeUndefined();
  });
});

test("labels stay bounded whatever a client puts in the type attribute", () => {
  expect(stanzaKind(xml("message", { type: "groupchat" }))).toEqual({ stanza: "message", type: "groupchat" });
  expect(stanzaKind(xml("message", {}))).toEqual({ stanza: "message", type: "normal" });
  expect(stanzaKind(xml("presence", {}))).toEqual({ stanza: "presence", type: "available" });
  expect(stanzaKind(xml("presence", { type: "x".repeat(50) }))).toEqual({ stanza: "presence", type: "other" });
  expect(stanzaKind(xml("iq", { type: "set" }))).toEqual({ stanza: "iq", type: "set" });
  expect(stanzaKind(xml("nonza", { type: "get" }))).toEqual({ stanza: "other", type: "other" });
  for (const type of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(stanzaKind(xml("message", { type }))).toEqual({ stanza: "message", type: "other" });
});

function observed(options: { level?: Level; store?: Store; maxStanzaChars?: number } = {}) {
  const lines: { line: string; level: Level }[] = [];
  const logger = createLogger({ level: options.level ?? "info", format: "json", sink: (line, level) => lines.push({ line, level }) });
  const config = { ...defaultConfig, domain: DOMAIN, maxStanzaChars: options.maxStanzaChars ?? defaultConfig.maxStanzaChars };
  const raw = options.store ?? openSqliteStore(":memory:");
  let runtime: ReturnType<typeof createRuntime>;
  const ops = createObserver({ logger, state: () => runtime.state(), service: "xmpp://127.0.0.1:5347", domain: DOMAIN });
  const store = ops.instrumentStore(raw);
  let n = 0;
  runtime = ops.wrap(createRuntime({ store, config, clock: () => 1767268800000 + n, nonce: () => `n${++n}`, onInput: ops.onInput, onCrash: ops.onCrash }));
  const send = (stanza: Element) => {
    const out = runtime.step({ kind: "stanza", stanza });
    runtime.flush();
    return out;
  };
  return { ops, send, lines, raw, store, records: () => lines.map((l) => JSON.parse(l.line)) };
}

describe("the exposition after a session", () => {
  test("rooms, occupants, sessions, stanzas in and out, errors, limits, archive writes", () => {
    const { ops, send, lines } = observed({ maxStanzaChars: 1024 });
    send(join(ROMEO, "Romeo"));
    send(join("romeo@example.net/phone", "Romeo"));
    send(join(JULIET, "Juliet"));
    send(join(MERCUTIO, "Mercutio", `other@${DOMAIN}`));
    send(groupchat(JULIET, "secret words", "g1"));
    send(groupchat(MERCUTIO, "I am not in there", "g2")); // not-acceptable
    send(groupchat(JULIET, "y".repeat(2000), "g3")); // policy-violation: stanza-size
    const text = ops.render();

    expect(sample(text, 'muc_rooms{persistence="temporary",visibility="public",anonymity="semi-anonymous",membership="open"}')).toBe(2);
    expect(sample(text, "muc_occupants")).toBe(3);
    expect(sample(text, "muc_sessions")).toBe(4);
    expect(sample(text, 'muc_stanzas_in_total{stanza="presence",type="available"}')).toBe(4);
    expect(sample(text, 'muc_stanzas_in_total{stanza="message",type="groupchat"}')).toBe(3);
    // Juliet's message went to three sessions (two of Romeo's, and back to her), after four subjects on joining.
    expect(sample(text, 'muc_stanzas_out_total{stanza="message",type="groupchat"}')).toBe(3 + 4);
    expect(sample(text, 'muc_errors_sent_total{condition="not-acceptable"}')).toBe(1);
    expect(sample(text, 'muc_errors_sent_total{condition="policy-violation"}')).toBe(1);
    expect(sample(text, 'muc_limit_refusals_total{limit="stanza-size"}')).toBe(1);
    expect(sample(text, "muc_rate_limit_refusals_total")).toBe(0);
    expect(sample(text, "muc_archive_writes_total")).toBe(1);
    expect(sample(text, "muc_archive_write_seconds_count")).toBe(1);
    expect(sample(text, 'muc_store_reads_total{op="load-room"}')).toBe(2); // one per room
    expect(sample(text, 'muc_inputs_total{kind="read"}')).toBe(2);
    expect(sample(text, "muc_connected")).toBe(0);
    expect(sample(text, 'muc_build_info{version="0.1.0"}')).toBe(1);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(1e6);

    // The limit hit is one line, with the room and no body, no real JID.
    const limit = lines.filter((l) => l.line.includes('"event":"limit"'));
    expect(limit).toHaveLength(1);
    expect(JSON.parse(limit[0]!.line)).toMatchObject({ level: "info", event: "limit", limit: "stanza-size", condition: "policy-violation", room: ROOM, stanza: "message" });
    for (const { line } of lines) {
      expect(line).not.toContain("juliet@");
      expect(line).not.toContain("yyyy");
      expect(line).not.toContain("secret words");
    }
  });

  test("every line of the exposition is a comment or a well-formed sample, each metric with HELP and TYPE", () => {
    const { ops, send } = observed();
    send(join(ROMEO, "Romeo"));
    send(groupchat(ROMEO, "hi"));
    const text = ops.render();
    expect(text.endsWith("\n")).toBe(true);
    const typed = new Set<string>();
    for (const line of text.trimEnd().split("\n")) {
      const type = /^# TYPE ([a-z_:][a-z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
      if (type) {
        expect(typed.has(type[1]!)).toBe(false);
        typed.add(type[1]!);
        continue;
      }
      if (line.startsWith("# HELP ")) continue;
      const m = /^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="(?:[^"\\\n]|\\.)*"(?:,[a-z_]+="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
      expect(m, line).not.toBeNull();
      const base = m![1]!.replace(/_(bucket|sum|count)$/, "");
      expect(typed.has(m![1]!) || typed.has(base)).toBe(true);
    }
    expect(typed.size).toBeGreaterThan(25);
  });
});

/** The verdict on a synchronous store (SQLite) is synchronous: /health answers at once. */
function healthNow(ops: { health(store: Store): Health | Promise<Health> }, store: Store): Health {
  const verdict = ops.health(store);
  if (verdict instanceof Promise) throw new Error("a synchronous store gave an asynchronous health verdict");
  return verdict;
}

describe("storage health and failures", () => {
  test("healthy when online and SQLite takes a write; a failed commit makes it unhealthy until one succeeds", () => {
    let fail = false;
    const inner = openSqliteStore(":memory:");
    const flaky: Store & { db: unknown } = {
      db: inner.db,
      read: (r) => inner.read(r),
      write: (w) => inner.write(w),
      flush: () => {
        if (fail) throw new Error("disk I/O error");
        return inner.flush();
      },
      close: () => inner.close(),
      probe: () => inner.probe(),
    };
    const { ops, send, store, records } = observed({ store: flaky });
    expect(healthNow(ops, flaky)).toEqual({ ok: false, reason: "not connected to xmpp://127.0.0.1:5347 yet" });
    ops.connection.online();
    expect(healthNow(ops, flaky)).toEqual({ ok: true, reason: "ok" });
    fail = true;
    expect(() => send(join(ROMEO, "Romeo"))).toThrow("disk I/O error");
    expect(healthNow(ops, flaky)).toEqual({ ok: false, reason: "storage is not writable: a commit failed: disk I/O error" });
    expect(sample(ops.render(), "muc_store_failures_total")).toBe(1);
    expect(records().find((r) => r.event === "storage")).toMatchObject({ level: "error", msg: "storage: a commit failed: disk I/O error" });
    fail = false;
    store.flush();
    expect(healthNow(ops, flaky).ok).toBe(true);
  });

  test("the SQLite probe notices a database that no longer takes writes", () => {
    const { ops, raw } = observed();
    ops.connection.online();
    expect(healthNow(ops, raw).ok).toBe(true);
    raw.close();
    expect(healthNow(ops, raw)).toMatchObject({ ok: false });
    expect(healthNow(ops, raw).reason).toStartWith("storage is not writable: a test write failed:");
  });

  test("connection changes: counted, and each one line with its fields", () => {
    const { ops, records } = observed();
    ops.connection.failed("connect ECONNREFUSED 127.0.0.1:5347", 500);
    ops.connection.online();
    ops.connection.disconnected();
    expect(healthNow(ops, openSqliteStore(":memory:")).reason).toBe("not connected to xmpp://127.0.0.1:5347: the connection was lost");
    ops.connection.online();
    const text = ops.render();
    expect(sample(text, "muc_connect_failures_total")).toBe(1);
    expect(sample(text, "muc_connects_total")).toBe(2);
    expect(sample(text, "muc_reconnects_total")).toBe(1);
    expect(sample(text, "muc_disconnects_total")).toBe(1);
    expect(sample(text, "muc_connected")).toBe(1);
    expect(records().map((r) => [r.level, r.event])).toEqual([
      ["warn", "connect-failed"],
      ["info", "online"],
      ["warn", "disconnected"],
      ["info", "online"],
    ]);
    expect(records()[0]).toMatchObject({ reason: "connect ECONNREFUSED 127.0.0.1:5347", retryInSeconds: 0.5, domain: DOMAIN });
  });
});

describe("internal errors", () => {
  test("one error line naming the input without its body or sender; the stanza itself only at debug", () => {
    for (const level of ["info", "debug"] as const) {
      const lines: string[] = [];
      const logger = createLogger({ level, format: "json", sink: (l) => lines.push(l) });
      const ops = createObserver({ logger, state: () => initialState(), service: "s", domain: DOMAIN });
      const stanza = groupchat(JULIET, "a body nobody may log", "crash1");
      ops.onCrash({ kind: "stanza", stanza }, new TypeError("boom"));
      const records = lines.map((l) => JSON.parse(l));
      expect(records[0]).toMatchObject({ level: "error", event: "internal-error", stanza: "message", type: "groupchat", id: "crash1", to: ROOM, error: "boom" });
      expect(records[0].stack).toContain("TypeError: boom");
      expect(lines[0]).not.toContain("nobody may log");
      expect(lines[0]).not.toContain("juliet@");
      if (level === "debug") expect(lines[1]).toContain("a body nobody may log");
      else expect(lines).toHaveLength(1);
      expect(sample(ops.render(), "muc_internal_errors_total")).toBe(1);
      ops.stop();
    }
  });
});
