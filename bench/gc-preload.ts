// Preloaded into the component by the memory benchmark (bench/e2e.ts runMemory): on SIGUSR2
// it runs a full garbage collection and writes one line to stderr with what the heap holds
// afterwards, so RSS is read without the garbage of the burst before it. Benchmark only.
import { heapStats } from "bun:jsc";

process.on("SIGUSR2", () => {
  Bun.gc(true);
  Bun.gc(true);
  const { heapSize, objectCount } = heapStats();
  process.stderr.write(`gc-preload heap=${heapSize} objects=${objectCount} rss=${process.memoryUsage().rss}\n`);
});
