// The service as its own process (`bun run index.ts`, configured by the environment as in
// production), so that tests can kill it with SIGKILL and start it again on the same database.
import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import type { Prosody } from "../support/prosody.ts";

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

/** Start `bun run index.ts` against `prosody` with `database`, and wait until Prosody has authenticated it. */
export async function startServiceProcess(prosody: Prosody, database: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const logFrom = prosody.log().length;
  const proc = spawn([process.execPath, "run", join(ROOT, "index.ts")], {
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
  let output = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) output += dec.decode(chunk, { stream: true });
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const ended = async () => {
    await proc.exited;
    running.delete(proc);
  };
  try {
    await prosody.waitForLog("External component successfully authenticated", 10_000, logFrom);
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\nservice output:\n${output}`);
  }
  return {
    proc,
    output: () => output,
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
