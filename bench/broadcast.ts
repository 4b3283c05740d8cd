// `bun run bench`: what the core costs per stanza, measured on the pure
// reducers (no network): a groupchat message to rooms of growing size
// (should grow with occupants, O(occupants)), and a message to one room while
// the service holds many rooms (should not grow with the number of rooms).
import { UNLIMITED } from "./unlimited.ts";
import { defaultConfig, type Context } from "../lib/context.ts";
import { handle, initialState, type ServiceState } from "../lib/service.ts";
import { NS, xml } from "../lib/stanza.ts";

const config = { ...defaultConfig, ...UNLIMITED, domain: "muc.bench" };
let sequence = 0;
const ctx = (): Context => ({ config, now: 1_700_000_000_000 + sequence, nonce: `b${++sequence}` });

function fill(state: ServiceState, room: string, occupants: number): ServiceState {
  for (let i = 0; i < occupants; i++) {
    const join = xml("presence", { from: `user${i}@example.org/r`, to: `${room}@muc.bench/nick${i}` }, xml("x", { xmlns: NS.muc }));
    state = handle(state, { kind: "stanza", stanza: join }, ctx())[0];
  }
  return state;
}

function time(label: string, iterations: number, fn: () => void): number {
  for (let i = 0; i < Math.min(iterations, 50); i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const perOp = ((performance.now() - start) * 1000) / iterations;
  console.log(`${label.padEnd(56)} ${perOp.toFixed(1).padStart(9)} µs/op`);
  return perOp;
}

console.log("groupchat message, by room size (cost per recipient should stay flat)");
for (const size of [10, 100, 1000]) {
  let state = fill(initialState(), "room", size);
  const message = xml("message", { from: "user0@example.org/r", to: "room@muc.bench", type: "groupchat", id: "x" }, xml("body", {}, "hello"));
  const perOp = time(`  ${size} occupants`, Math.max(20, 20_000 / size), () => {
    state = handle(state, { kind: "stanza", stanza: message }, ctx())[0];
  });
  console.log(`${"    per recipient".padEnd(56)} ${(perOp / size).toFixed(2).padStart(9)} µs`);
}

console.log("message to one 10-occupant room, by number of rooms (should stay flat)");
for (const rooms of [1, 1000, 10_000]) {
  let state = initialState();
  for (let r = 0; r < rooms; r++) state = fill(state, `r${r}`, r === 0 ? 10 : 1);
  const message = xml("message", { from: "user0@example.org/r", to: "r0@muc.bench", type: "groupchat", id: "x" }, xml("body", {}, "hello"));
  time(`  ${rooms} rooms`, 5000, () => {
    state = handle(state, { kind: "stanza", stanza: message }, ctx())[0];
  });
}

console.log("join into a room, by room size (the joiner gets everyone's presence: O(occupants))");
for (const size of [10, 100, 1000]) {
  const state = fill(initialState(), "room", size);
  let n = 0;
  time(`  ${size} occupants`, Math.max(20, 10_000 / size), () => {
    const join = xml("presence", { from: `new${n}@example.org/r`, to: `room@muc.bench/new${n++}` }, xml("x", { xmlns: NS.muc }));
    handle(state, { kind: "stanza", stanza: join }, ctx());
  });
}

const heapBefore = process.memoryUsage().heapUsed;
const big = fill(initialState(), "mem", 10_000);
Bun.gc(true);
const heapAfter = process.memoryUsage().heapUsed;
console.log(`memory per occupant (10,000 in one room)`.padEnd(56), `${((heapAfter - heapBefore) / 10_000 / 1024).toFixed(2).padStart(9)} KiB`);
void big;
