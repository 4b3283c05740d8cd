// `bun run bench/one.ts VARIANT [messages]`: one end-to-end run of one variant (for profiling:
// BENCH_BUN_ARGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the component).
import { runE2E, type Variant } from "./e2e.ts";
const variant = (process.argv[2] ?? "service") as Variant;
const messages = Number(process.argv[3] ?? 20_000);
const warmup = Number(process.argv[4] ?? 2000);
const r = await runE2E(variant, { rooms: 50, occupants: 20, messages, warmup, window: 200, idle: 20, timeoutMs: 120_000 });
console.log(JSON.stringify(r));
