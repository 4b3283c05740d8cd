// What the benchmarks report with: the median of repeated runs (and of run-by-run ratios), and numbers as people read them.
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Run i of `a` against run i of `b` (interleaved runs, so each pair shares a phase of the host),
 * then the median of those ratios: steadier than a ratio of medians when the host's speed drifts.
 */
export const medianRatio = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));

export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "-");
