// Recording (lib/shell/record.ts) and replay (lib/shell/replay.ts) through the
// real runtime and the real SQLite store: a session with a persistent room,
// messages, archive and directory reads, a restart that loads the room back
// from storage, replays to the same transcript without any database, in the
// same format the snapshot tests use (checked against the Sim itself).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { defaultConfig, type ServiceConfig } from "../lib/context.ts";
import type { Input } from "../lib/service.ts";
import { createRecorder, decodeLine, encodeInput, RECORD_VERSION } from "../lib/shell/record.ts";
import { replay } from "../lib/shell/replay.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { configure, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROOM, Sim, T0 } from "./helpers.ts";

const dir = mkdtempSync(joinPath(tmpdir(), "muc-record-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tmp = () => joinPath(dir, `rec-${++files}.jsonl`);

const mamQuery = (from: string, id: string) => xml("iq", { from, to: ROOM, type: "set", id }, xml("query", { xmlns: NS.mam, queryid: `q-${id}` }));
const serviceItems = (from: string, id: string) => xml("iq", { from, to: DOMAIN, type: "get", id }, xml("query", { xmlns: NS.discoItems }));

/** The first boot: a persistent room with a conversation, its archive queried, the directory listed, a tick, a refusal, a shutdown. */
function firstBoot(): Input[] {
  const stanza = (s: Element): Input => ({ kind: "stanza", stanza: s });
  return [
    { kind: "tick" },
    stanza(join(ROMEO, "Romeo")),
    stanza(configure(ROMEO, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Balcony" }, "cfg")),
    stanza(join(JULIET, "Juliet")),
    stanza(groupchat(ROMEO, "But soft, what light <through> yonder window & breaks?", "m1")),
    stanza(groupchat(JULIET, "Wherefore art thou\nRomeo?", "m2")),
    stanza(mamQuery(JULIET, "mam1")),
    stanza(serviceItems(MERCUTIO, "items1")),
    stanza(groupchat(MERCUTIO, "x".repeat(200), "big")), // not an occupant: refused
    stanza(leave(JULIET, "Juliet")),
    { kind: "shutdown" },
  ];
}

/** After a restart on the same database: the room comes back from storage with its history. */
function secondBoot(): Input[] {
  return [
    { kind: "stanza", stanza: join(MERCUTIO, "Mercutio") },
    { kind: "stanza", stanza: mamQuery(MERCUTIO, "mam2") },
    { kind: "stanza", stanza: groupchat(MERCUTIO, "A plague o' both your houses!", "m3") },
  ];
}

const config: ServiceConfig = { ...defaultConfig, domain: DOMAIN, forwardKey: "secret-of-this-boot" };

/** Run inputs through a runtime on `store`, recording to `file`; the transcript as the simulator writes it. */
function live(file: string, store: ReturnType<typeof openSqliteStore>, inputs: Input[], clock: { now: number; seq: number }): string[] {
  const recorder = createRecorder(file, config, clock.now);
  const runtime = createRuntime({
    store,
    config,
    clock: () => (clock.now += 1000),
    nonce: () => `n${++clock.seq}`,
    onInput: recorder.onInput,
    onCrash: (_i, e) => {
      throw e;
    },
  });
  const lines: string[] = [];
  for (const input of inputs) {
    lines.push(input.kind === "stanza" ? `>> ${input.stanza}` : `>> (${input.kind})`);
    for (const s of runtime.step(input)) lines.push(`<< ${s}`);
    runtime.flush();
  }
  recorder.close();
  return lines;
}

describe("record and replay", () => {
  test("a session over two boots replays to the same transcript, without a database", () => {
    const file = tmp();
    const store = openSqliteStore(":memory:");
    const clock = { now: T0, seq: 0 };
    const first = live(file, store, firstBoot(), clock);
    const second = live(file, store, secondBoot(), clock);
    const text = readFileSync(file, "utf8");

    // The recording has what the session needed from storage: the room read back after the restart, with its messages.
    const kinds = text.trim().split("\n").map((l) => JSON.parse(l).kind ?? "header");
    expect(kinds.filter((k) => k === "header")).toHaveLength(2);
    const reads = text.trim().split("\n").map((l) => JSON.parse(l)).filter((l) => l.kind === "read");
    expect(reads.map((r) => r.read.op)).toEqual(["load-room", "archive-query", "directory", "load-room", "archive-query"]);
    expect(reads[3].result.room.config.name).toBe("Balcony");
    expect(reads[3].result.history.map((m: { stanza: string }) => m.stanza)).toHaveLength(2);
    expect(reads[1].read.stanza).toEqual({ $xml: mamQuery(JULIET, "mam1").toString() });
    // It did happen: the second boot's join got the first boot's messages as history.
    expect(second.some((l) => l.startsWith("<< <message") && l.includes("Wherefore art thou") && l.includes(NS.delay))).toBe(true);

    expect(replay(text)).toEqual([...first, "## restart", ...second]);
  });

  test("the transcript is the snapshot tests' own format: the same inputs through the Sim give the same lines", () => {
    const file = tmp();
    const inputs = firstBoot();
    const sim = new Sim({ forwardKey: config.forwardKey });
    // The Sim reads its clock per input without moving it, and counts nonces from n1: do the same.
    const store = openSqliteStore(":memory:");
    const recorder = createRecorder(file, sim.config, T0);
    let seq = 0;
    const runtime = createRuntime({ store, config: sim.config, clock: () => T0, nonce: () => `n${++seq}`, onInput: recorder.onInput });
    for (const input of inputs) {
      sim.input(input);
      runtime.step(input);
      runtime.flush();
    }
    recorder.close();
    const simLines = [...sim.transcript]; // the lines a snapshot shows (take() joins them with newlines)
    expect(simLines.length).toBeGreaterThan(20);
    expect(replay(readFileSync(file, "utf8"))).toEqual(simLines);
  });

  test("the answers come from the file: without its read lines, the replay differs", () => {
    const file = tmp();
    const store = openSqliteStore(":memory:");
    const clock = { now: T0, seq: 0 };
    live(file, store, firstBoot(), clock);
    live(file, store, secondBoot(), clock);
    const text = readFileSync(file, "utf8");
    const withoutReads = text.split("\n").filter((l) => !l.includes('"kind":"read"')).join("\n");
    const full = replay(text);
    const cut = replay(withoutReads);
    // Joins wait for their room to load: with no answer, nobody is ever let in.
    expect(cut.filter((l) => l.startsWith("<<")).length).toBeLessThan(full.filter((l) => l.startsWith("<<")).length / 2);
    expect(replay(withoutReads, { reads: true })).toEqual(cut);
    expect(replay(text, { reads: true })).toContain(`>> (read load-room ${ROOM})`);
  });

  test("every kind of input survives the line format: stanzas, reads with elements inside, tick, shutdown", () => {
    const stanza = groupchat(ROMEO, `quotes " ' & <tags> and unicode 🤖\ttabs`, "u1");
    const inputs: Input[] = [
      { kind: "stanza", stanza },
      { kind: "read", read: { op: "archive-query", query: { room: ROOM, limit: 10, backwards: true }, stanza: mamQuery(ROMEO, "q") }, result: { rows: [], count: 0, unknownId: false } },
      { kind: "read", read: { op: "load-room", jid: ROOM, history: 5 }, result: null },
      { kind: "tick" },
      { kind: "shutdown" },
    ];
    for (const input of inputs) {
      const line = encodeInput(input, { now: 42, nonce: 'n"1' });
      expect(line).not.toContain("\n");
      const decoded = decodeLine(line);
      if (decoded.type !== "input") throw new Error("not an input");
      expect(decoded.recorded.now).toBe(42);
      expect(decoded.recorded.nonce).toBe('n"1');
      // Elements come back as elements that serialise identically.
      expect(JSON.stringify(decoded.recorded.input, (_k, v) => (v?.children && v?.attrs ? v.toString() : v))).toBe(
        JSON.stringify(input, (_k, v) => (v?.children && v?.attrs ? v.toString() : v)),
      );
    }
  });

  test("the file is versioned: the header names the format and version; other versions are refused", () => {
    const file = tmp();
    createRecorder(file, config, T0).close();
    const header = JSON.parse(readFileSync(file, "utf8").split("\n")[0]!);
    expect(header).toMatchObject({ format: "bun-muc-record", version: RECORD_VERSION, started: T0, config: { domain: DOMAIN } });
    expect(statSync(file).mode & 0o777).toBe(0o600); // it holds bodies and real JIDs
    const future = JSON.stringify({ ...header, version: RECORD_VERSION + 1 });
    expect(() => replay(future + "\n")).toThrow(`line 1: recording format version ${RECORD_VERSION + 1} is not supported`);
    expect(() => replay(`{"kind":"tick","now":1,"nonce":"a"}\n`)).toThrow("line 1: an input before any header");
    expect(() => replay(`${JSON.stringify(header)}\n{"kind":"dance","now":1,"nonce":"a"}\n\n`)).toThrow('line 2: unknown input kind "dance"');
  });

  test("a last line cut short by a hard kill is reported and skipped; the rest replays", () => {
    const file = tmp();
    const store = openSqliteStore(":memory:");
    const lines = live(file, store, firstBoot().slice(0, 3), { now: T0, seq: 0 });
    const text = readFileSync(file, "utf8");
    const cut = text + `{"kind":"stanza","now":1,"nonce":"x","stanza":"<presence fr`;
    expect(replay(cut)).toEqual([...lines, "## line 6 is cut short: ignored"]);
  });

  test("appending: a second recorder on the same file adds a boot, it never truncates", () => {
    const file = tmp();
    writeFileSync(file, "");
    createRecorder(file, config, T0).close();
    createRecorder(file, config, T0 + 1).close();
    expect(readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l).started)).toEqual([T0, T0 + 1]);
  });
});
