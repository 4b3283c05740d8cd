// `bun run dev` never leaves its throwaway server behind: not after SIGHUP (the terminal
// closed), not after kill -9 of the process itself (the watchdog stops the server and deletes
// its temp dir), not after kill -9 of the `bun run` wrapper that started it.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { canConnect } from "../support/server.ts";
import { serversUnderTest } from "../support/servers.ts";
import { startDev, type Dev } from "../support/dev-process.ts";

/** Waits until none of the dev server's ports accept connections and its temp dir is gone. */
async function gone(dev: Dev, ms = 8000): Promise<void> {
  const ports = [dev.c2sPort, dev.componentPort, Number(new URL(dev.websocketUrl).port), Number(new URL(dev.url).port)];
  const deadline = Date.now() + ms;
  for (;;) {
    const open = (await Promise.all(ports.map(async (p) => ((await canConnect(p)) ? p : 0)))).filter(Boolean);
    const dir = existsSync(dev.dir);
    if (!open.length && !dir) return;
    if (Date.now() > deadline) throw new Error(`after ${ms}ms: ports still open ${open.join(", ") || "none"}, temp dir ${dir ? "still there" : "gone"}\n${dev.printed()}`);
    await Bun.sleep(100);
  }
}

for (const { kind, available } of serversUnderTest()) {
  test.skipIf(!available)(`${kind}: kill -9 of bun run dev: the watchdog stops the server and deletes its temp dir`, async () => {
    const dev = await startDev(kind);
    for (const port of [dev.c2sPort, dev.componentPort]) expect(await canConnect(port)).toBe(true);
    expect(existsSync(dev.dir)).toBe(true);
    dev.proc.kill("SIGKILL");
    await dev.proc.exited;
    await gone(dev);
  }, 40_000);
}

const prosody = serversUnderTest().find((s) => s.kind === "prosody")!;

test.skipIf(!prosody.available)("SIGHUP (the terminal closed): bun run dev stops the service and the server, and exits", async () => {
  const dev = await startDev("prosody");
  dev.proc.kill("SIGHUP");
  expect(await dev.proc.exited).toBe(0);
  await gone(dev, 3000);
}, 30_000);

test.skipIf(!prosody.available)("kill -9 of the `bun run dev` wrapper: dev notices its parent is gone and stops too", async () => {
  // `bun run dev` is a bun process running the package script, which runs dev.ts in a child.
  const dev = await startDev("prosody", { cmd: [process.execPath, "run", "dev", "--server", "prosody"] });
  dev.proc.kill("SIGKILL"); // the wrapper only; dev.ts itself is not signalled
  await gone(dev);
}, 30_000);
