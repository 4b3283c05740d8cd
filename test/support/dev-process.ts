// `bun run dev` as a child process, for the tests that drive it: started with random ports
// (MUC_DEV_PORTS=random), and the settings it printed read back from its output.
import { spawn, type Subprocess } from "bun";
import { join } from "node:path";
import { collectOutput } from "./guard.ts";
import type { ServerKind } from "./server.ts";

export const ROOT = join(import.meta.dir, "..", "..");

export type DevSettings = {
  url: string;
  dir: string;
  c2sPort: number;
  componentPort: number;
  websocketUrl: string;
  accounts: { user: string; password: string }[];
  output: string;
};

export type Dev = DevSettings & {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything it printed so far (stdout and stderr). */
  printed(): string;
  stop(): Promise<void>;
};

/** Starts `cmd` (default: bun test/support/dev.ts --server kind) and waits for its settings. */
export async function startDev(kind: ServerKind, opts: { cmd?: string[]; timeoutMs?: number } = {}): Promise<Dev> {
  const cmd = opts.cmd ?? [process.execPath, "run", "test/support/dev.ts", "--server", kind];
  const proc = spawn(cmd, {
    cwd: ROOT,
    env: { ...process.env, MUC_DEV_PORTS: "random" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const printed = collectOutput(proc);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (!printed().includes("Ctrl-C stops everything.")) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`bun run dev did not print its settings (exit ${proc.exitCode}):\n${printed()}`);
    }
    await Bun.sleep(50);
  }
  const need = (re: RegExp, what: string) => {
    const m = re.exec(printed());
    if (!m) throw new Error(`bun run dev printed no ${what}:\n${printed()}`);
    return m[1]!;
  };
  const accounts = [...need(/accounts:\s+(.*) \(SCRAM/, "accounts").matchAll(/(\w+)@localhost \/ (\S+?)(?:,|$)/g)].map((m) => ({
    user: m[1]!,
    password: m[2]!,
  }));
  return {
    proc,
    printed,
    url: need(/Web client:\s+(http:\/\/127\.0\.0\.1:\d+\/)/, "web client URL"),
    dir: need(/\(temp dir (\S+)\)/, "temp dir"),
    c2sPort: Number(need(/server 127\.0\.0\.1, port (\d+)/, "client port")),
    componentPort: Number(need(/on 127\.0\.0\.1:(\d+)/, "component port")),
    websocketUrl: need(/WebSocket:\s+(ws:\/\/\S+)/, "WebSocket URL"),
    accounts,
    output: printed(),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}
