// `bun run bench --server [--quick] [--runs N] [--json FILE]`: the service and the naive
// baseline (bench/naive.ts) each behind the same real Prosody, driven by real c2s clients
// (bench/c2s-load.ts), runs interleaved (naive, service, naive, service, …), medians. The
// question it answers: behind a real server, is the service ever the bottleneck? (Issue 14's
// target: copies/s at least 0.95× the naive baseline's through the same server.) The service
// runs as in production: an on-disk SQLite file, archiving on.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { startProsody, type Prosody } from "../test/support/prosody.ts";
import { startServiceProcess, type ServiceProcess } from "../test/integration/service-process.ts";
import { runC2SLoad, sum, type LoadParams, type LoadResult } from "./c2s-load.ts";
import { UNLIMITED_ENV } from "./unlimited.ts";
import { fmt, median, medianRatio } from "./stats.ts";

type Variant = "naive" | "naive-same-bytes" | "service";

async function runBehindProsody(variant: Variant, p: LoadParams): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "muc-bench-server-"));
  let prosody: Prosody | undefined;
  let component: ServiceProcess | undefined;
  try {
    prosody = await startProsody();
    const script = variant === "service" ? undefined : join(import.meta.dir, "naive.ts");
    const env = { XMPP_DEBUG: "", ...UNLIMITED_ENV, NAIVE_SAME_BYTES: variant === "naive-same-bytes" ? "1" : "" };
    component = await startServiceProcess(prosody, join(dir, "muc.sqlite"), env, script);
    const prosodyPid = Number(await Bun.file(join(prosody.dir, "prosody.pid")).text());
    await Bun.sleep(300);
    return await runC2SLoad(prosody, [component.proc.pid], prosodyPid, p, `${variant} behind Prosody`);
  } finally {
    await component?.stop();
    await prosody?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}


export async function serverBench(o: { quick: boolean; runs?: number; jsonFile?: string; machine: string }) {
  const runs = o.runs ?? (o.quick ? 1 : 3);
  const params: LoadParams = o.quick
    ? { clients: 20, rooms: 30, occupants: 10, messages: 3000, warmup: 1000, window: 200, timeoutMs: 60_000 }
    : { clients: 20, rooms: 30, occupants: 10, messages: 20_000, warmup: 3000, window: 200, timeoutMs: 180_000 };
  console.log(
    `The service and the naive baseline behind one real Prosody, ${params.clients} anonymous c2s clients, ${params.rooms} rooms × ${params.occupants} occupants, ` +
      `${fmt(params.messages)} messages (${params.window} in flight) after ${fmt(params.warmup)} unmeasured; the service's archive on disk; medians of ${runs}`,
  );
  const variants: Variant[] = ["naive", "naive-same-bytes", "service"];
  const results = new Map<Variant, LoadResult[]>(variants.map((v) => [v, []]));
  for (let run = 0; run < runs; run++)
    for (const v of variants) {
      const r = await runBehindProsody(v, params);
      results.get(v)!.push(r);
      const cores = (x: number) => fmt(x / r.wallSec, 2);
      console.log(`  run ${run + 1} ${v.padEnd(16)} ${fmt(r.copiesPerSec).padStart(8)} copies/s  cores: component ${cores(sum(r.cpu.service))}, Prosody ${cores(r.cpu.server)}, clients ${cores(r.cpu.clients)}, machine ${cores(r.cpu.machine)} (stolen ${cores(r.cpu.steal)})`);
    }
  const table = variants.map((v) => {
    const rs = results.get(v)!;
    const m = (f: (r: LoadResult) => number) => median(rs.map(f));
    const perCopy = (f: (r: LoadResult) => number) => m((r) => (f(r) * 1e6) / r.copies);
    return {
      variant: v,
      copiesPerSec: m((r) => r.copiesPerSec),
      joinsPerSec: m((r) => r.joinsPerSec),
      usPerCopy: { component: perCopy((r) => sum(r.cpu.service)), prosody: perCopy((r) => r.cpu.server), clients: perCopy((r) => r.cpu.clients), machine: perCopy((r) => r.cpu.machine) },
      cores: { component: m((r) => sum(r.cpu.service) / r.wallSec), prosody: m((r) => r.cpu.server / r.wallSec), stolen: m((r) => r.cpu.steal / r.wallSec) },
    };
  });
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(19) : c.padStart(12))).join("  ");
  console.log("\n  medians; µs of CPU per copy, and cores used by the component and by Prosody");
  console.log(row(["", "copies/s", "joins/s", "component", "Prosody", "clients", "machine", "comp. cores", "Prosody cores", "stolen"]));
  for (const t of table)
    console.log(row([`  ${t.variant}`, fmt(t.copiesPerSec), fmt(t.joinsPerSec), fmt(t.usPerCopy.component, 2), fmt(t.usPerCopy.prosody, 2), fmt(t.usPerCopy.clients, 2), fmt(t.usPerCopy.machine, 2), fmt(t.cores.component, 2), fmt(t.cores.prosody, 2), fmt(t.cores.stolen, 2)]));
  // Run by run: the host's speed drifts between runs (the cores stolen by the hypervisor move Prosody's cost per copy most).
  const ratio = (v: Variant, base: Variant, k: "copiesPerSec" | "joinsPerSec") => medianRatio(results.get(v)!.map((r) => r[k]), results.get(base)!.map((r) => r[k]));
  const ratios = {
    copies: ratio("service", "naive", "copiesPerSec"),
    joins: ratio("service", "naive", "joinsPerSec"),
    copiesSameBytes: ratio("service", "naive-same-bytes", "copiesPerSec"),
    joinsSameBytes: ratio("service", "naive-same-bytes", "joinsPerSec"),
    floor: ratio("naive-same-bytes", "naive", "copiesPerSec"),
  };
  console.log(`  (medians of the run-by-run ratios)`);
  console.log(`  service / naive through Prosody: copies/s ×${fmt(ratios.copies, 2)} (target ≥ 0.95), joins/s ×${fmt(ratios.joins, 2)}`);
  console.log(`  service / naive writing the service's bytes (occupant-id, stanza-id, …): copies/s ×${fmt(ratios.copiesSameBytes, 2)}, joins/s ×${fmt(ratios.joinsSameBytes, 2)}`);
  console.log(`  naive writing the service's bytes / naive: copies/s ×${fmt(ratios.floor, 2)} (the floor the wire sets behind this server)`);
  if (o.jsonFile) {
    writeFileSync(o.jsonFile, JSON.stringify({ machine: o.machine, params, runs, medians: table, ratios, all: Object.fromEntries(results) }, null, 2));
    console.log(`\nwritten to ${o.jsonFile}`);
  }
  return { table, ratios };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const machine = `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Bun ${Bun.version}`;
  console.log(`bun-muc through a real server — ${machine}\n`);
  const runs = option("--runs");
  await serverBench({ quick: args.includes("--quick"), runs: runs ? Number(runs) : undefined, jsonFile: option("--json"), machine });
}
