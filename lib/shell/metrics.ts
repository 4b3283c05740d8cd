// Counters, gauges and histograms, written out in the Prometheus text format
// (version 0.0.4: https://prometheus.io/docs/instrumenting/exposition_formats/).
// The format is a few lines of text per metric, so it is written here rather
// than pulled in with a client library. Label values are escaped; label sets
// are bounded by the callers (observe.ts maps anything a client controls onto
// a fixed set of values).

export type Labels = Record<string, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  return pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

const number = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN");

export class Counter {
  private values = new Map<string, { labels: Labels | undefined; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    /** Whether samples carry labels; an unlabelled counter shows 0 before its first increment. */
    readonly labelled = false,
  ) {}
  /** Label objects seen before, to their entry: callers that reuse label objects skip building a key. */
  private seen = new WeakMap<Labels, { labels: Labels | undefined; value: number }>();
  inc(labels?: Labels, by = 1): void {
    const known = labels && this.seen.get(labels);
    if (known) {
      known.value += by;
      return;
    }
    const key = labels ? labelText(labels) : "";
    let entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, (entry = { labels, value: by }));
    if (labels) this.seen.set(labels, entry);
  }
  get(labels?: Labels): number {
    return this.values.get(labels ? labelText(labels) : "")?.value ?? 0;
  }
  render(): string {
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} counter\n`;
    // A counter without labels is shown from the start, at 0, so a rate() over it has a beginning.
    if (this.values.size === 0 && !this.labelled) text += `${this.name} 0\n`;
    for (const { labels, value } of this.values.values()) text += `${this.name}${labelText(labels)} ${number(value)}\n`;
    return text;
  }
}

export type Sample = [Labels | undefined, number];

/** A gauge read when scraped. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private collect: () => number | Sample[],
  ) {}
  render(): string {
    const got = this.collect();
    const samples: Sample[] = typeof got === "number" ? [[undefined, got]] : got;
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} gauge\n`;
    for (const [labels, value] of samples) text += `${this.name}${labelText(labels)} ${number(value)}\n`;
    return text;
  }
}

export class Histogram {
  private counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++;
  }
  get observations(): number {
    return this.count;
  }
  render(): string {
    let text = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`;
    this.buckets.forEach((le, i) => (text += `${this.name}_bucket{le="${le}"} ${this.counts[i]}\n`));
    text += `${this.name}_bucket{le="+Inf"} ${this.count}\n${this.name}_sum ${this.sum}\n${this.name}_count ${this.count}\n`;
    return text;
  }
}

export class Registry {
  private metrics: { render(): string }[] = [];
  counter(name: string, help: string, labelled = false): Counter {
    return this.add(new Counter(name, help, labelled));
  }
  gauge(name: string, help: string, collect: () => number | Sample[]): Gauge {
    return this.add(new Gauge(name, help, collect));
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  private add<M extends { render(): string }>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }
  /** The whole exposition, as /metrics serves it. */
  render(): string {
    return this.metrics.map((m) => m.render()).join("");
  }
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds, from 50 µs to 5 s: storage writes and commits. */
export const LATENCY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/**
 * Event-loop lag: a timer that should fire every `intervalMs` notes how late it
 * fired. `lag()` is the latest delay in seconds; the timer does not keep the process alive.
 */
export function lagMonitor(intervalMs = 500): { lag(): number; max(): number; stop(): void } {
  let last = performance.now();
  let lag = 0;
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(0, now - last - intervalMs) / 1000;
    max = Math.max(max, lag);
    last = now;
  }, intervalMs);
  timer.unref?.();
  return { lag: () => lag, max: () => max, stop: () => clearInterval(timer) };
}
