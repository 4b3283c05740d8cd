// The reducer core alone (no network, no storage): what a groupchat message and a join
// cost by room size, and what a message costs while the service holds many rooms. The
// core runs in the shell's runtime (lib/shell/runtime.ts) over a store that keeps nothing
// (every room is new, every write is dropped), and each figure includes serialising the
// output as the shell does (lib/shell/output.ts), since that is part of what a copy costs.
import { UNLIMITED } from "./unlimited.ts";
import { defaultConfig } from "../lib/context.ts";
import { initialState, type Input, type ServiceState } from "../lib/service.ts";
import { serialiseAll } from "../lib/shell/output.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { nickKey } from "../lib/nick.ts";
import { occupantIdOf } from "../lib/occupant-id.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import type { Read, ReadResult, Store } from "../lib/storage.ts";

const config = { ...defaultConfig, ...UNLIMITED, domain: "muc.bench" };
let sequence = 0;
const nothing: Store = {
  read: <R extends Read>(read: R) => (read.op === "load-room" ? null : { rows: [], count: 0, unknownId: false }) as ReadResult<R>,
  write() {},
  flush() {},
  close() {},
};
/** (state, input) → [state, stanzas], through the runtime, as index.ts runs the core. */
function handle(state: ServiceState, input: Input): [ServiceState, Element[]] {
  const runtime = createRuntime({ store: nothing, config, clock: () => 1_700_000_000_000 + sequence, nonce: () => `b${++sequence}` }, state);
  const out = runtime.step(input);
  return [runtime.state(), out];
}

const joinOf = (u: string, room: string, nick: string) =>
  xml("presence", { from: `${u}@example.org/r`, to: `${room}@muc.bench/${nick}` }, xml("x", { xmlns: NS.muc }), xml("c", { xmlns: "http://jabber.org/protocol/caps", hash: "sha-1", node: "https://example.org", ver: "q07IKJEyjvHSyhy//CH0CxmKi8w=" }));

/**
 * A state where `room` has `occupants` occupants. The first thousand join through the core, as
 * in production; beyond that (joins into a big room cost O(N) each, so filling it O(N²)) the
 * others are put into the room's tables directly, built as join.ts builds them.
 */
export function fill(state: ServiceState, room: string, occupants: number): ServiceState {
  const joined = Math.min(occupants, 1000);
  for (let i = 0; i < joined; i++) state = handle(state, { kind: "stanza", stanza: joinOf(`user${i}`, room, `nick${i}`) })[0];
  if (joined === occupants) return state;
  const jid = `${room}@muc.bench`;
  const r = state.rooms.get(jid)!;
  const all = new Map(r.occupants);
  const sessions = new Map(r.sessions);
  for (let i = joined; i < occupants; i++) {
    const presence = joinOf(`user${i}`, room, `nick${i}`);
    const key = nickKey(`nick${i}`)!;
    const bareJid = `user${i}@example.org`;
    all.set(key, { nick: `nick${i}`, bareJid, occupantId: occupantIdOf(r.salt, bareJid), role: "participant", sessions: [{ jid: presence.attrs.from, presence }] });
    sessions.set(presence.attrs.from, key);
  }
  return { ...state, rooms: state.rooms.set(jid, { ...r, occupants: all, sessions }) };
}

let sink = 0;
/** µs per call of fn, after a warm-up, over at least `minMs` and `minIterations`. */
function time(fn: () => void, minIterations: number, minMs = 200): number {
  for (let i = 0; i < Math.min(minIterations, 50); i++) fn();
  let n = 0;
  const start = performance.now();
  while (n < minIterations || performance.now() - start < minMs) {
    fn();
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

const send = (out: Element[]) => (sink += serialiseAll(out).length);

export interface CoreResult {
  message: { occupants: number; perMessageUs: number; perCopyUs: number }[];
  join: { occupants: number; perJoinUs: number; perStanzaUs: number }[];
  rooms: { rooms: number; perMessageUs: number }[];
}

export function runCore(options: { sizes: number[]; roomCounts: number[] }): CoreResult {
  const result: CoreResult = { message: [], join: [], rooms: [] };
  for (const size of options.sizes) {
    let state = fill(initialState(), "room", size);
    const message = xml("message", { from: "user0@example.org/r", to: "room@muc.bench", type: "groupchat", id: "x" }, xml("body", {}, "hello, world"));
    const perMessageUs = time(() => {
      const [next, out] = handle(state, { kind: "stanza", stanza: message });
      state = next;
      send(out);
    }, Math.max(20, 20_000 / size));
    result.message.push({ occupants: size, perMessageUs, perCopyUs: perMessageUs / size });

    // A join into the room of `size` (then thrown away: the room stays at its size).
    let n = 0;
    const perJoinUs = time(() => {
      const [, out] = handle(state, { kind: "stanza", stanza: joinOf(`new${n}`, "room", `new${n++}`) });
      send(out);
    }, Math.max(10, 5_000 / size));
    result.join.push({ occupants: size, perJoinUs, perStanzaUs: perJoinUs / (2 * size + 2) });
  }
  for (const rooms of options.roomCounts) {
    let state = initialState();
    state = fill(state, "r0", 10);
    for (let r = 1; r < rooms; r++) state = fill(state, `r${r}`, 1);
    const message = xml("message", { from: "user0@example.org/r", to: "r0@muc.bench", type: "groupchat", id: "x" }, xml("body", {}, "hello, world"));
    const perMessageUs = time(() => {
      const [next, out] = handle(state, { kind: "stanza", stanza: message });
      state = next;
      send(out);
    }, 5000);
    result.rooms.push({ rooms, perMessageUs });
  }
  if (sink === -1) console.log(sink);
  return result;
}

if (import.meta.main) console.log(JSON.stringify(runCore({ sizes: [10, 100, 1000, 10_000], roomCounts: [1, 1000, 10_000] }), null, 1));
