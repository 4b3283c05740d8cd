// The service as its own process (`bun run index.ts`, configured by the environment as in
// production), so that tests can kill it with SIGKILL and start it again on the same database.
import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import type { Prosody } from "../support/prosody.ts";
import { collectOutput } from "../support/guard.ts";
import type { XmppServer } from "../support/server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export type ServiceProcess = {
  proc: Subprocess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL: no goodbye to anyone, no last write. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop (332 to every occupant). */
  stop(): Promise<void>;
};

/** Start `bun run index.ts` (or another component: `script`) against `prosody` with `database`, and wait until Prosody has authenticated it. */
export async function startServiceProcess(prosody: Prosody, database: string, env: Record<string, string> = {}, script = join(ROOT, "index.ts")): Promise<ServiceProcess> {
  const logFrom = prosody.log().length;
  const proc = spawn([process.execPath, "run", script], {
    cwd: ROOT,
    env: {
      ...process.env,
      XMPP_SERVICE: `xmpp://127.0.0.1:${prosody.componentPort}`,
      XMPP_DOMAIN: prosody.componentDomain,
      XMPP_PASSWORD: prosody.secret,
      MUC_DATABASE: database,
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  running.add(proc);
  const output = collectOutput(proc);
  const ended = async () => {
    await proc.exited;
    running.delete(proc);
  };
  try {
    await prosody.waitForLog("External component successfully authenticated", 10_000, logFrom);
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\nservice output:\n${output()}`);
  }
  return {
    proc,
    output,
    async kill() {
      proc.kill("SIGKILL");
      await ended();
    },
    async stop() {
      proc.kill("SIGTERM");
      await ended();
    },
  };
}

/** SIGKILL a Prosody started by test/support/prosody.ts (through its pidfile): a server crash. */
export function killProsody(prosody: Prosody): void {
  const pid = Number(require("node:fs").readFileSync(join(prosody.dir, "prosody.pid"), "utf8").trim());
  process.kill(pid, "SIGKILL");
}

export type ClusterProcess = {
  /** Everything the supervisor and its processes printed so far. */
  output(): string;
  /** The pids of the running processes, by slot (1-based, as the supervisor numbers them). */
  pids(): Map<number, number>;
  /** Waits until process `n` runs with a pid other than `not`; returns it. */
  waitForPid(n: number, not?: number, timeoutMs?: number): Promise<number>;
  /** SIGTERM to the supervisor: every process stops gracefully, then it. */
  stop(): Promise<void>;
};

/**
 * `bun run cluster N` (lib/shell/cluster.ts) against `server`, in a process group of its own so
 * that nothing outlives the test; resolves once the server has authenticated all N connections.
 */
export async function startClusterProcess(server: XmppServer, n: number, env: Record<string, string>): Promise<ClusterProcess> {
  const logFrom = server.log().length;
  const proc = spawn(["setsid", process.execPath, "run", join(ROOT, "lib", "shell", "cluster.ts"), String(n)], {
    cwd: ROOT,
    env: { ...process.env, XMPP_SERVICE: `xmpp://127.0.0.1:${server.componentPort}`, XMPP_DOMAIN: server.componentDomain, XMPP_PASSWORD: server.secret, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const group = proc.pid; // setsid made it a group leader (it execs bun)
  const killGroup = () => {
    try {
      process.kill(-group, "SIGKILL");
    } catch {}
  };
  process.on("exit", killGroup);
  const output = collectOutput(proc);
  const pids = () => {
    const map = new Map<number, number>();
    for (const m of output().matchAll(/cluster: process (\d+) of \d+ started \(pid (\d+)\)/g)) map.set(Number(m[1]), Number(m[2]));
    return map;
  };
  const authenticated = () => server.log().slice(logFrom).split("\n").filter((l) => server.logs.componentAuthenticated.test(l)).length;
  for (const until = Date.now() + 20_000; authenticated() < n; ) {
    if (Date.now() > until || proc.exitCode !== null) {
      killGroup();
      throw new Error(`the server authenticated ${authenticated()} of ${n} processes\ncluster output:\n${output()}`);
    }
    await Bun.sleep(50);
  }
  return {
    output,
    pids,
    async waitForPid(slot, not, timeoutMs = 10_000) {
      for (const until = Date.now() + timeoutMs; ; await Bun.sleep(25)) {
        const pid = pids().get(slot);
        if (pid !== undefined && pid !== not) return pid;
        if (Date.now() > until) throw new Error(`process ${slot} did not start again\ncluster output:\n${output()}`);
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(killGroup, 15_000);
      await proc.exited;
      clearTimeout(timer);
      killGroup();
      process.off("exit", killGroup);
    },
  };
}
