// `bun run bench [--json FILE] [--runs N] [--quick] [--cluster | --server]`: what the service costs, in one run.
//   (a) the reducer core alone: a message and a join by room size; a message by number of rooms;
//   (b) the whole process end to end, through a loopback peer that plays the XMPP server
//       (bench/peer.ts, bench/e2e.ts): joins/s, copies/s, CPU per copy, latency under load and idle;
//       with archiving on an on-disk SQLite file, on ":memory:", and with archiving turned off;
//   (c) the same workload on a naive component (bench/naive.ts), so the cost of doing things
//       right is a ratio measured side by side; and on the naive component writing the bytes
//       the protocol makes the service write (occupant-id, stanza-id, the subject, real JIDs to
//       the owner): the floor the wire itself sets. Runs are interleaved (A B C D E A B C D E …)
//       and the medians reported, since a shared machine's speed drifts;
//   (d) memory: RSS growth of the service process per occupant and per room at 10,000, and per
//       history entry in quiet rooms whose messages arrive among other traffic; the naive
//       component's per occupant, measured the same way.
// Every copy is checked (each message reaches each occupant of its room exactly once).
// Loopback only; every loop is bounded in count and in time.
// With --cluster, only bench/cluster.ts: N = 1, 2, 3 processes behind a real ejabberd.
// With --server, only bench/server.ts: the service and the naive baseline behind a real Prosody.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { runCore } from "./core.ts";
import { runE2E, runHistoryMemory, runMemory, type E2EResult, type Variant } from "./e2e.ts";
import { fmt, median, medianRatio } from "./stats.ts";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes("--quick");
const runs = Number(option("--runs") ?? (quick ? 1 : 3));
const jsonFile = option("--json");

const row = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");

const machine = `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}`;
console.log(`bun-muc benchmark — ${machine}\n`);
if (args.includes("--cluster")) {
  const { clusterBench } = await import("./cluster.ts");
  await clusterBench({ quick, runs, jsonFile, machine });
  process.exit(0);
}
if (args.includes("--server")) {
  const { serverBench } = await import("./server.ts");
  await serverBench({ quick, runs, jsonFile, machine });
  process.exit(0);
}

// (a) The core.
console.log("(a) The reducer core alone (runtime + serialisation, no network, no storage)");
const core = runCore({ sizes: quick ? [10, 100, 1000] : [10, 100, 1000, 10_000], roomCounts: quick ? [1, 1000] : [1, 1000, 10_000, 100_000] });
const wc = [28, 14, 14];
console.log(row(["  message, room of", "µs/message", "µs/copy"], wc));
for (const m of core.message) console.log(row([`    ${fmt(m.occupants)}`, fmt(m.perMessageUs, 1), fmt(m.perCopyUs, 3)], wc));
console.log(row(["  join, room of", "µs/join", "µs/stanza"], wc));
for (const j of core.join) console.log(row([`    ${fmt(j.occupants)}`, fmt(j.perJoinUs, 1), fmt(j.perStanzaUs, 3)], wc));
console.log(row(["  message to a room of 10, rooms", "µs/message", ""], wc));
for (const r of core.rooms) console.log(row([`    ${fmt(r.rooms)}`, fmt(r.perMessageUs, 1), ""], wc));

// (b) and (c) End to end, interleaved.
const params = quick
  ? { rooms: 50, occupants: 20, messages: 5000, warmup: 1000, window: 200, idle: 50, timeoutMs: 60_000 }
  : { rooms: 50, occupants: 20, messages: 20_000, warmup: 3000, window: 200, idle: 200, timeoutMs: 120_000 };
const variants: Variant[] = ["naive", "naive-same-bytes", "service", "service-memory", "service-noarchive"];
const results = new Map<Variant, E2EResult[]>(variants.map((v) => [v, []]));
console.log(
  `\n(b, c) End to end through a loopback peer playing the server: ${params.rooms} rooms × ${params.occupants} occupants, ` +
    `${fmt(params.messages)} messages (${params.window} in flight) after ${fmt(params.warmup)} unmeasured, ${params.idle} one at a time; medians of ${runs}`,
);
for (let run = 0; run < runs; run++)
  for (const v of variants) {
    const r = await runE2E(v, params);
    results.get(v)!.push(r);
    console.log(`  run ${run + 1} ${v.padEnd(18)} ${fmt(r.copiesPerSec).padStart(9)} copies/s ${fmt(r.joinsPerSec).padStart(7)} joins/s ${fmt(r.cpuPerCopyUs, 2).padStart(6)} µs CPU/copy`);
  }
const med = (v: Variant, k: keyof E2EResult) => median(results.get(v)!.map((r) => r[k] as number));
const we = [30, 12, 10, 10, 10, 10, 10, 10, 10];
console.log();
console.log(row(["  variant", "copies/s", "msgs/s", "joins/s", "µs CPU/copy", "load p50", "load p99", "idle p50", "idle p99"], we));
const labels: Record<Variant, string> = {
  naive: "naive baseline",
  "naive-same-bytes": "naive, the service's bytes",
  service: "service (archive on disk)",
  "service-memory": "service (archive :memory:)",
  "service-noarchive": "service (archiving off)",
};
for (const v of variants)
  console.log(
    row(
      [`  ${labels[v]}`, fmt(med(v, "copiesPerSec")), fmt(med(v, "messagesPerSec")), fmt(med(v, "joinsPerSec")), fmt(med(v, "cpuPerCopyUs"), 2), ...(["loadP50Ms", "loadP99Ms", "idleP50Ms", "idleP99Ms"] as const).map((k) => `${fmt(med(v, k), 2)} ms`)],
      we,
    ),
  );
/** Ratios pair by pair (run i of the service against run i of the baseline), then the median. */
const ratio = (v: Variant, k: keyof E2EResult, base: Variant = "naive") => medianRatio(results.get(v)!.map((r) => r[k] as number), results.get(base)!.map((r) => r[k] as number));
const ratios = Object.fromEntries(
  variants.filter((v) => v !== "naive").map((v) => [v, { copies: ratio(v, "copiesPerSec"), joins: ratio(v, "joinsPerSec"), cpuPerCopy: ratio(v, "cpuPerCopyUs"), copiesSameBytes: ratio(v, "copiesPerSec", "naive-same-bytes"), joinsSameBytes: ratio(v, "joinsPerSec", "naive-same-bytes") }]),
);
console.log("\n  / naive (median of pairwise ratios; target ≥ 0.85 for copies/s and joins/s)   / naive with the service's bytes");
for (const [v, r] of Object.entries(ratios))
  console.log(
    `    ${labels[v as Variant].padEnd(28)} copies/s ${r.copies.toFixed(2)}   joins/s ${r.joins.toFixed(2)}   CPU per copy ×${r.cpuPerCopy.toFixed(2)}` +
      (v === "naive-same-bytes" ? "   (the floor the wire sets)" : `     copies/s ${r.copiesSameBytes.toFixed(2)}   joins/s ${r.joinsSameBytes.toFixed(2)}`),
  );
const archiveCost = med("service-noarchive", "messagesPerSec") / med("service", "messagesPerSec");
console.log(`  archiving: ${fmt(med("service", "messagesPerSec"))} msgs/s on disk, ${fmt(med("service-memory", "messagesPerSec"))} in memory, ${fmt(med("service-noarchive", "messagesPerSec"))} without (×${archiveCost.toFixed(2)})`);

// (d) Memory.
const occupants = quick ? 2000 : 10_000;
console.log(`\n(d) Memory of the service process (growth after a forced full GC: RSS, and the JS heap), at ${fmt(occupants)}`);
const perOccupant = await runMemory("service", occupants, 20, 120_000);
const perRoom = await runMemory("service", occupants, 1, 120_000);
const naivePerOccupant = await runMemory("naive", occupants, 20, 120_000);
console.log(`  per occupant (rooms of 20)          ${fmt(perOccupant.rssBytes / 1024, 2).padStart(8)} KiB RSS ${fmt(perOccupant.heapBytes / 1024, 2).padStart(8)} KiB heap   (target < 1 KiB)`);
console.log(`  naive baseline, per occupant        ${fmt(naivePerOccupant.rssBytes / 1024, 2).padStart(8)} KiB RSS ${fmt(naivePerOccupant.heapBytes / 1024, 2).padStart(8)} KiB heap   (the same measure of a process that keeps a nick and a JID)`);
console.log(`  per room (one occupant each)        ${fmt(perRoom.rssBytes / 1024, 2).padStart(8)} KiB RSS ${fmt(perRoom.heapBytes / 1024, 2).padStart(8)} KiB heap`);
const historyRooms = quick ? 100 : 500;
const perEntry = await runHistoryMemory(historyRooms, 20, 120_000);
console.log(`  per history entry (${fmt(historyRooms)} quiet rooms × 20)  ${fmt(perEntry.rssBytes / 1024, 2).padStart(8)} KiB RSS ${fmt(perEntry.heapBytes / 1024, 2).padStart(8)} KiB heap   (each message read next to 60 KB of other traffic)`);

if (jsonFile) {
  const medians = Object.fromEntries(variants.map((v) => [v, Object.fromEntries((Object.keys(results.get(v)![0]!) as (keyof E2EResult)[]).filter((k) => k !== "variant").map((k) => [k, med(v, k)]))]));
  writeFileSync(jsonFile, JSON.stringify({ machine, params, runs, core, e2e: { medians, ratios, all: Object.fromEntries(results) }, memory: { occupants, bytesPerOccupant: perOccupant.rssBytes, bytesPerRoom: perRoom.rssBytes, heapBytesPerOccupant: perOccupant.heapBytes, heapBytesPerRoom: perRoom.heapBytes, bytesPerHistoryEntry: perEntry.rssBytes, heapBytesPerHistoryEntry: perEntry.heapBytes, naiveBytesPerOccupant: naivePerOccupant.rssBytes, naiveHeapBytesPerOccupant: naivePerOccupant.heapBytes } }, null, 2));
  console.log(`\nwritten to ${jsonFile}`);
}
