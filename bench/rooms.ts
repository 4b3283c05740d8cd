// How fast is the persistent map with 100k rooms, and why not just copy a Map?
// Run: bun run bench/rooms.ts
import { mapFrom, type PersistentMap } from "../lib/persistent-map.ts";

const ROOMS = 100_000;
const GETS = 1_000_000;
const SETS = 100_000;

interface Room {
  jid: string;
  subject: string;
  occupants: number;
}

const keys = Array.from({ length: ROOMS }, (_, i) => `room${i}@conference.example.org`);
const room = (jid: string, occupants: number): Room => ({ jid, subject: "", occupants });

/** Runs `fn` and returns the milliseconds it took. */
function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
function report(label: string, ops: number, ms: number): void {
  const perOp = (ms * 1e6) / ops; // ns
  console.log(`${label.padEnd(44)} ${fmt(ops / (ms / 1000)).padStart(13)} ops/s  ${perOp.toFixed(0).padStart(9)} ns/op`);
}

// Visit keys in a scattered order (a prime stride) rather than sequentially.
const keyAt = (i: number) => keys[(i * 7919) % ROOMS];

let map: PersistentMap<Room> = mapFrom([]);
const buildMs = time(() => {
  map = mapFrom(keys.map((k): [string, Room] => [k, room(k, 0)]));
});
const native = new Map(keys.map((k): [string, Room] => [k, room(k, 0)]));

let sink = 0;
const gets = () => {
  for (let i = 0; i < GETS; i++) sink += map.get(keyAt(i))!.occupants;
};
const nativeGets = () => {
  for (let i = 0; i < GETS; i++) sink += native.get(keyAt(i))!.occupants;
};
const sets = () => {
  for (let i = 0; i < SETS; i++) {
    const k = keyAt(i);
    map = map.set(k, room(k, i + 1)); // a new version each time, as a reducer would
  }
};

// Warm up the JIT on a few rounds, then measure.
for (let round = 0; round < 3; round++) gets(), nativeGets(), sets();

console.log(`${ROOMS.toLocaleString("en-US")} rooms; persistent map built in ${buildMs.toFixed(1)} ms (mapFrom, one set per room)\n`);
report(`PersistentMap.get x ${fmt(GETS)}`, GETS, time(gets));
report(`PersistentMap.set x ${fmt(SETS)} (existing keys)`, SETS, time(sets));
report(`native Map.get x ${fmt(GETS)} (for reference)`, GETS, time(nativeGets));

// The naive immutable update: copy the whole Map, then set one key.
const COPIES = 20;
const copyMs = time(() => {
  for (let i = 0; i < COPIES; i++) {
    const copy = new Map(native);
    copy.set(keys[i], room(keys[i], i));
    sink += copy.size;
  }
}) / COPIES;
report(`copy native Map (${fmt(ROOMS)}) + set, per update`, 1, copyMs);

console.log(
  `\nOne copy of the ${fmt(ROOMS)}-room Map takes ${copyMs.toFixed(2)} ms, ` +
    `${fmt((copyMs * 1e6) / ((time(sets) * 1e6) / SETS))}x a persistent set; ` +
    `${fmt(SETS)} updates by copying would take ~${((copyMs * SETS) / 1000).toFixed(0)} s.`,
);
if (sink === -1) console.log(sink); // keep the work observable
