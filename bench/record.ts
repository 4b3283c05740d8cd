// `bun run bench/record.ts`: what MUC_RECORD costs. The same inputs run through
// the real runtime and SQLite store (in memory) without a recorder, with the
// recorder's encoding only, and with the recorder writing to a file; then the
// same with metrics counting (observe.ts). Inputs: groupchat messages to a
// 20-occupant room (the common case), and joins into it and out (presence,
// larger outputs). Reported: µs per input and bytes of recording per input.
import { UNLIMITED } from "./unlimited.ts";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { defaultConfig, type Context } from "../lib/context.ts";
import type { Input } from "../lib/service.ts";
import { createLogger } from "../lib/shell/log.ts";
import { createObserver } from "../lib/shell/observe.ts";
import { createRecorder, encodeInput } from "../lib/shell/record.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { NS, xml } from "../lib/stanza.ts";

const config = { ...defaultConfig, ...UNLIMITED, domain: "muc.bench", forwardKey: "k" };
const dir = mkdtempSync(joinPath(tmpdir(), "muc-bench-record-"));
const ROOM = "room@muc.bench";
const OCCUPANTS = 20;

type Hook = ((input: Input, ctx: Context) => void) | undefined;

function setup(onInput: Hook, observed = false) {
  const raw = openSqliteStore(":memory:");
  let n = 0;
  let runtime: ReturnType<typeof createRuntime>;
  const ops = observed ? createObserver({ logger: createLogger({ sink: () => {} }), state: () => runtime.state(), service: "s", domain: config.domain }) : undefined;
  const inner = createRuntime({
    store: ops ? ops.instrumentStore(raw) : raw,
    config,
    clock: () => 1_700_000_000_000 + n,
    nonce: () => `b${++n}`,
    onInput: ops ? (i, c) => (onInput?.(i, c), ops.onInput(i)) : onInput,
  });
  runtime = ops ? ops.wrap(inner) : inner;
  for (let i = 0; i < OCCUPANTS; i++) runtime.step({ kind: "stanza", stanza: xml("presence", { from: `user${i}@example.org/r`, to: `${ROOM}/nick${i}` }, xml("x", { xmlns: NS.muc })) });
  runtime.flush();
  return runtime;
}

const message = (i: number) =>
  xml("message", { from: `user${i % OCCUPANTS}@example.org/r`, to: ROOM, type: "groupchat", id: `m${i}` }, xml("body", {}, `message number ${i}, of a usual length for a chat line`));
const joinLeave = (i: number) =>
  i % 2 === 0
    ? xml("presence", { from: `guest${i}@example.org/r`, to: `${ROOM}/guest${i}` }, xml("x", { xmlns: NS.muc }))
    : xml("presence", { from: `guest${i - 1}@example.org/r`, to: `${ROOM}/guest${i - 1}`, type: "unavailable" });

function measure(label: string, make: (i: number) => ReturnType<typeof xml>, hook: () => { onInput: Hook; done?: () => number }, observed = false, quiet = false): number {
  const N = 3_000;
  const BATCH = 256;
  const { onInput, done } = hook();
  const runtime = setup(onInput, observed);
  const run = (count: number, offset: number) => {
    for (let i = 0; i < count; i++) {
      runtime.step({ kind: "stanza", stanza: make(offset + i) });
      if (i % BATCH === BATCH - 1) runtime.flush();
    }
    runtime.flush();
  };
  run(1000, 0); // warm up
  const start = performance.now();
  run(N, 1000);
  const us = ((performance.now() - start) * 1000) / N;
  const bytes = done?.();
  if (!quiet) console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(7)} µs/input${bytes !== undefined ? `  ${(bytes / (N + 1000 + OCCUPANTS)).toFixed(0).padStart(5)} bytes/input` : ""}`);
  return us;
}

let files = 0;
const recorder = () => {
  const path = joinPath(dir, `r${++files}.jsonl`);
  const r = createRecorder(path, config, 0);
  return {
    onInput: r.onInput,
    done: () => {
      r.close();
      return statSync(path).size;
    },
  };
};
let sink = 0;
const encodeOnly = () => ({ onInput: ((input: Input, ctx: Context) => void (sink += encodeInput(input, ctx).length)) as Hook });

// The recorder's own cost, isolated from the core and SQLite (whose time varies
// much more than this on a shared machine): recorder.onInput on ready-made inputs.
function direct(label: string, make: (i: number) => ReturnType<typeof xml>) {
  const N = 50_000;
  const inputs: Input[] = Array.from({ length: N }, (_, i) => ({ kind: "stanza", stanza: make(i) }));
  const ctx = (i: number): Context => ({ config, now: 1_700_000_000_000 + i, nonce: `b-${i.toString(36)}` });
  const best = (fn: () => void) => {
    let min = Infinity;
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      fn();
      min = Math.min(min, performance.now() - t);
    }
    return (min * 1000) / N;
  };
  const enc = best(() => {
    for (let i = 0; i < N; i++) sink += encodeInput(inputs[i]!, ctx(i)).length;
  });
  let size = 0;
  const rec = best(() => {
    const r = recorder();
    for (let i = 0; i < N; i++) r.onInput(inputs[i]!, ctx(i));
    size = r.done();
  });
  console.log(`${label.padEnd(44)} encoding ${enc.toFixed(2)} µs, encoding and writing ${rec.toFixed(2)} µs per input, ${(size / N).toFixed(0)} bytes per input`);
}

console.log("the recorder alone (best of 5 rounds of 50,000 inputs)");
direct("  groupchat message", message);
direct("  join or leave presence", joinLeave);

// The metrics' own cost per input: counting one input and its outputs, on a runtime that returns ready-made stanzas.
{
  const N = 50_000;
  const out = Array.from({ length: OCCUPANTS }, (_, i) => xml("message", { from: `${ROOM}/nick0`, to: `user${i}@example.org/r`, type: "groupchat" }, xml("body", {}, "hi")));
  const fake = { state: () => ({}) as never, flush: () => {}, step: () => out };
  const ops = createObserver({ logger: createLogger({ sink: () => {} }), state: () => ({}) as never, service: "s", domain: config.domain });
  const runtime = ops.wrap(fake);
  const input: Input = { kind: "stanza", stanza: message(1) };
  let min = Infinity;
  for (let round = 0; round < 5; round++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) {
      ops.onInput(input);
      runtime.step(input);
    }
    min = Math.min(min, performance.now() - t);
  }
  ops.stop();
  console.log(`${"  metrics: one input and its 20 outputs".padEnd(44)} ${((min * 1000) / N).toFixed(2)} µs per input`);
}

console.log("through the runtime and SQLite (in memory): best of 5 interleaved rounds of 3,000 inputs (a shared machine is noisy)");
for (const [name, make] of [["groupchat to 20 occupants", message], ["join / leave a 20-occupant room", joinLeave]] as const) {
  console.log(name);
  const variants = [
    ["  no recording", () => ({ onInput: undefined as Hook }), false],
    ["  recording to a file", recorder, false],
    ["  metrics (observe.ts)", () => ({ onInput: undefined as Hook }), true],
    ["  metrics and recording", recorder, true],
  ] as const;
  const best = variants.map(() => Infinity);
  for (let round = 0; round < 5; round++) variants.forEach(([, hook, observed], v) => (best[v] = Math.min(best[v]!, measure("", make, hook, observed, true))));
  variants.forEach(([label], v) => console.log(`${label.padEnd(44)} ${best[v]!.toFixed(1).padStart(7)} µs/input`));
  console.log(`  difference: recording ${(best[1]! - best[0]!).toFixed(1)} µs, metrics ${(best[2]! - best[0]!).toFixed(1)} µs, both ${(best[3]! - best[0]!).toFixed(1)} µs per input`);
}
rmSync(dir, { recursive: true, force: true });
