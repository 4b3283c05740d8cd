// `bun run bench --cluster [--quick] [--runs N] [--json FILE]`, or `bun run bench/cluster.ts` with
// the same flags: the service as N processes for one domain behind a real ejabberd (README,
// "Running several processes"), for N = 1, 2, 3, runs interleaved (1 2 3 1 2 3 …), medians.
// One run: a fresh ejabberd with domain_balancing for N connections, `bun run cluster N` on a
// fresh on-disk SQLite file (archiving on, the default; limits raised: bench/unlimited.ts),
// anonymous c2s clients (bench/c2s.ts) joining ROOMS rooms of OCCUPANTS each (a client is in
// several rooms), then pipelined groupchat messages, WINDOW in flight. Every copy is checked to
// reach each occupant of its room exactly once. Measured, after a warm-up: copies/s, and the CPU
// time of each service process, of ejabberd (its beam.smp) and of this process (the clients),
// per copy and as cores used; and the whole machine's, since other jobs may share it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { startEjabberd } from "../test/support/ejabberd.ts";
import type { XmppServer } from "../test/support/server.ts";
import { startClusterProcess, type ClusterProcess } from "../test/integration/service-process.ts";
import { runC2SLoad, sum, type LoadParams, type LoadResult } from "./c2s-load.ts";
import { findProcesses } from "./proc.ts";
import { UNLIMITED_ENV } from "./unlimited.ts";
import { fmt, median } from "./stats.ts";

export type ClusterParams = LoadParams;

export interface ClusterResult extends LoadResult {
  processes: number;
  /** Rooms held by each process after the run, most first. */
  roomsPerProcess: number[];
  /** From the processes' /metrics, over the whole run: messages archived per committed batch, and µs per message in storage (applying and committing, wall clock). */
  messagesPerBatch: number;
  storageUsPerMessage: number;
}

export async function runCluster(n: number, p: ClusterParams): Promise<ClusterResult> {
  const dir = mkdtempSync(join(tmpdir(), "muc-bench-cluster-"));
  const httpPort = 20_000 + Math.floor(Math.random() * 20_000);
  let server: XmppServer | undefined;
  let cluster: ClusterProcess | undefined;
  try {
    // ejabberd's component_number starts at 2: one process is the plain component registration.
    server = await startEjabberd({ componentConnections: n > 1 ? n : undefined });
    cluster = await startClusterProcess(server, n, { MUC_DATABASE: join(dir, "muc.sqlite"), MUC_HTTP: `127.0.0.1:${httpPort}`, XMPP_DEBUG: "", ...UNLIMITED_ENV });
    const servicePids = [...cluster.pids().values()];
    const beam = findProcesses("beam.smp", server.dir);
    if (servicePids.length !== n || beam.length !== 1) throw new Error(`cluster of ${n}: expected ${n} service pids and one beam.smp, got ${servicePids} and ${beam}`);
    await Bun.sleep(300); // each process marks itself online a moment after the handshake
    const load = await runC2SLoad(server, servicePids, beam[0]!, p, `cluster of ${n}`).catch((e: Error) => {
      throw new Error(`${e.message}\n${cluster?.output().slice(-2000) ?? ""}`);
    });
    const metrics: string[] = [];
    for (let i = 0; i < n; i++) metrics.push(await (await fetch(`http://127.0.0.1:${httpPort + i}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    /** A metric's value in each process (summed over its labels). */
    const metric = (name: string) => metrics.map((text) => sum([...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].map((m) => Number(m[1]))));
    const archived = sum(metric("muc_archive_writes_total"));
    const storageSec = sum(metric("muc_archive_write_seconds_sum")) + sum(metric("muc_store_commit_seconds_sum"));
    return {
      processes: n,
      ...load,
      roomsPerProcess: metric("muc_rooms").sort((a, b) => b - a),
      messagesPerBatch: archived / sum(metric("muc_store_commit_seconds_count")), // every batch commits once (joins' and ticks' too)
      storageUsPerMessage: (storageSec * 1e6) / archived,
    };
  } finally {
    await cluster?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}


/** The medians of one N's runs (per process: the busiest's median, the next's, …). */
function medians(rs: ClusterResult[]) {
  const m = (f: (r: ClusterResult) => number) => median(rs.map(f));
  const split = (f: (cpu: number, r: ClusterResult) => number) => ({
    service: m((r) => f(sum(r.cpu.service), r)),
    perProcess: rs[0]!.cpu.service.map((_, k) => m((r) => f(r.cpu.service[k]!, r))),
    ejabberd: m((r) => f(r.cpu.server, r)),
    clients: m((r) => f(r.cpu.clients, r)),
    machine: m((r) => f(r.cpu.machine, r)),
    steal: m((r) => f(r.cpu.steal, r)),
  });
  return {
    processes: rs[0]!.processes,
    copiesPerSec: m((r) => r.copiesPerSec),
    messagesPerSec: m((r) => r.messagesPerSec),
    joinsPerSec: m((r) => r.joinsPerSec),
    usPerCopy: split((cpu, r) => (cpu * 1e6) / r.copies),
    cores: split((cpu, r) => cpu / r.wallSec),
    roomsPerProcess: rs[0]!.roomsPerProcess.map((_, k) => m((r) => r.roomsPerProcess[k]!)),
    messagesPerBatch: m((r) => r.messagesPerBatch),
    storageUsPerMessage: m((r) => r.storageUsPerMessage),
    kernelShare: { service: m((r) => r.cpu.kernel.service), ejabberd: m((r) => r.cpu.kernel.server), clients: m((r) => r.cpu.kernel.clients) },
  };
}

export async function clusterBench(o: { quick: boolean; runs?: number; jsonFile?: string; machine: string }) {
  const counts = [1, 2, 3];
  const runs = o.runs ?? (o.quick ? 1 : 3);
  const params: ClusterParams = o.quick
    ? { clients: 20, rooms: 30, occupants: 10, messages: 3000, warmup: 1000, window: 200, timeoutMs: 60_000 }
    : { clients: 20, rooms: 30, occupants: 10, messages: 20_000, warmup: 3000, window: 200, timeoutMs: 180_000 };
  console.log(
    `N processes behind ejabberd (domain_balancing), ${params.clients} anonymous c2s clients, ${params.rooms} rooms × ${params.occupants} occupants, ` +
      `${fmt(params.messages)} messages (${params.window} in flight) after ${fmt(params.warmup)} unmeasured; archive on disk; medians of ${runs}`,
  );
  const results = new Map<number, ClusterResult[]>(counts.map((n) => [n, []]));
  for (let run = 0; run < runs; run++)
    for (const n of counts) {
      const r = await runCluster(n, params);
      results.get(n)!.push(r);
      const cores = (x: number) => fmt(x / r.wallSec, 2);
      console.log(
        `  run ${run + 1} N=${n} ${fmt(r.copiesPerSec).padStart(8)} copies/s  cores: service ${r.cpu.service.map(cores).join("+")}, ejabberd ${cores(r.cpu.server)}, ` +
          `clients ${cores(r.cpu.clients)}, machine ${cores(r.cpu.machine)} (stolen ${cores(r.cpu.steal)})  rooms ${r.roomsPerProcess.join("/")}`,
      );
    }
  const table = counts.map((n) => medians(results.get(n)!));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(4) : c.padStart(i === 3 ? 22 : 10))).join("  ");
  console.log("\n  µs of CPU per copy (per process: busiest first), and cores used (CPU s / wall s); medians");
  console.log(row(["  N", "copies/s", "service", "per process", "ejabberd", "clients", "machine"]));
  for (const t of table) {
    for (const [unit, s, d] of [["µs/copy", t.usPerCopy, 2], ["cores", t.cores, 2]] as const)
      console.log(
        row([unit === "µs/copy" ? `  ${t.processes}` : "", unit === "µs/copy" ? fmt(t.copiesPerSec) : unit, fmt(s.service, d), s.perProcess.map((x) => fmt(x, d)).join(" / "), fmt(s.ejabberd, d), fmt(s.clients, d), fmt(s.machine, d)]),
      );
  }
  const others = table.map((t) => `N=${t.processes}: ${fmt(t.cores.machine - t.cores.service - t.cores.ejabberd - t.cores.clients, 2)}`).join(", ");
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  console.log(`  in the kernel (system calls): ${table.map((t) => `N=${t.processes}: service ${pct(t.kernelShare.service)}, ejabberd ${pct(t.kernelShare.ejabberd)}, clients ${pct(t.kernelShare.clients)}`).join("; ")}`);
  console.log(`  the machine's other work during the measured phase, in cores (shared machine): ${others}`);
  console.log(`  cores stolen by the hypervisor: ${table.map((t) => `N=${t.processes}: ${fmt(t.cores.steal, 2)}`).join(", ")}`);
  console.log(`  service storage (whole run): ${table.map((t) => `N=${t.processes}: ${fmt(t.messagesPerBatch, 1)} messages per batch, ${fmt(t.storageUsPerMessage, 1)} µs per message`).join("; ")}`);
  if (o.jsonFile) {
    writeFileSync(o.jsonFile, JSON.stringify({ machine: o.machine, params, runs, medians: table, all: Object.fromEntries(results) }, null, 2));
    console.log(`\nwritten to ${o.jsonFile}`);
  }
  return table;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const machine = `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}`;
  console.log(`bun-muc cluster benchmark — ${machine}\n`);
  const runs = option("--runs");
  await clusterBench({ quick: args.includes("--quick"), runs: runs ? Number(runs) : undefined, jsonFile: option("--json"), machine });
}
