// `bun run cluster N`: keep exactly N service processes up for one domain behind ejabberd
// (README, "Running several processes"). Each is `bun run index.ts` with the same environment
// plus MUC_CLUSTER=true; ejabberd's domain_balancing gives each connection a slot, and the
// rooms whose stanzas reach a process are its own (lib/cluster.ts). A process that exits is
// started again at once (ejabberd gives the free slot to the next connection), with a growing
// pause only while it keeps dying right after starting. SIGTERM or SIGINT stops them all
// (each its graceful stop), then the supervisor.
import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import { parseHostPort } from "./ops-config.ts";

export const MAX_PROCESSES = 64;

/** The environment of process `index` (0-based): MUC_CLUSTER on, and what cannot be shared made its own. */
export function childEnv(env: Record<string, string | undefined>, index: number): Record<string, string | undefined> {
  const own: Record<string, string | undefined> = { ...env, MUC_CLUSTER: "true" };
  // One HTTP port each (the next ones up), one recording file each.
  const http = env.MUC_HTTP?.trim() ? parseHostPort(env.MUC_HTTP) : undefined;
  if (http && http.port > 0) own.MUC_HTTP = `${http.hostname.includes(":") ? `[${http.hostname}]` : http.hostname}:${http.port + index}`;
  if (env.MUC_RECORD?.trim()) own.MUC_RECORD = `${env.MUC_RECORD.trim()}.${index + 1}`;
  return own;
}

/** How long to wait before starting a process again that ran `uptimeMs` (0 when it ran a while: at once). */
export function restartDelay(uptimeMs: number, previousMs: number): number {
  if (uptimeMs >= 10_000) return 0;
  return Math.min(Math.max(previousMs * 2, 250), 30_000);
}

/** N from the command line, or a one-line complaint. */
export function parseCount(args: readonly string[]): number | string {
  const raw = args[0] ?? "2";
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES) return `usage: bun run cluster N (N from 1 to ${MAX_PROCESSES}, got "${raw}")`;
  return n;
}

if (import.meta.main) {
  const count = parseCount(process.argv.slice(2));
  if (typeof count === "string") {
    console.error(count);
    process.exit(2);
  }
  const entry = join(import.meta.dir, "..", "..", "index.ts");
  const say = (line: string) => console.error(`cluster: ${line}`);
  const children: (Subprocess | undefined)[] = Array.from({ length: count });
  const delays = Array.from({ length: count }, () => 0);
  let stopping = false;

  const start = (i: number) => {
    if (stopping) return;
    const started = Date.now();
    const child = spawn([process.execPath, "run", entry], { env: childEnv(process.env, i), stdin: "ignore", stdout: "inherit", stderr: "inherit" });
    children[i] = child;
    say(`process ${i + 1} of ${count} started (pid ${child.pid})`);
    void child.exited.then((code) => {
      children[i] = undefined;
      if (stopping) return;
      delays[i] = restartDelay(Date.now() - started, delays[i]!);
      say(`process ${i + 1} (pid ${child.pid}) exited (${child.signalCode ?? `code ${code}`}); starting it again${delays[i] ? ` in ${delays[i]} ms` : ""}`);
      setTimeout(() => start(i), delays[i]);
    });
  };

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const running = children.filter((c): c is Subprocess => c !== undefined);
    for (const child of running) child.kill("SIGTERM");
    const killer = setTimeout(() => running.forEach((c) => c.kill("SIGKILL")), 10_000);
    await Promise.all(running.map((c) => c.exited));
    clearTimeout(killer);
    say("stopped");
    process.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop());
  for (let i = 0; i < count; i++) start(i);
}
