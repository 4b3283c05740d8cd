// The deployable artefact: `bun build --compile` gives one executable; this
// builds it (about 2 s), checks its command line, then runs it as an operator
// would (settings in the environment, a database file, MUC_HTTP, JSON logs, a
// recording) against a real Prosody: healthy, a client joins a room, SIGTERM
// tells the occupant the service is going away (332) and exits 0, and the
// executable replays its own recording.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { VERSION } from "../../lib/disco.ts";
import { parseXml } from "../../lib/stanza.ts";
import { connectUser, type TestClient } from "../support/client.ts";
import { freePort, startProsody, type Prosody } from "../support/prosody.ts";
import { codes, integrationAvailable, isPresence, join, sleep, xml } from "./helpers.ts";

const available = integrationAvailable();
const root = joinPath(import.meta.dir, "../..");

describe.skipIf(!available)("the compiled executable", () => {
  let dir: string;
  let exe: string;

  beforeAll(async () => {
    dir = mkdtempSync(joinPath(tmpdir(), "muc-exe-"));
    exe = joinPath(dir, "muc");
    const build = Bun.spawnSync([process.execPath, "build", "--compile", joinPath(root, "index.ts"), "--outfile", exe], { cwd: root, stderr: "pipe", stdout: "pipe" });
    if (build.exitCode !== 0) throw new Error(`bun build --compile failed:\n${build.stderr.toString()}`);
  }, 20_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Run the executable with only these variables (and PATH), in the temp dir (no .env there). */
  const run = (args: string[], env: Record<string, string> = {}) =>
    Bun.spawnSync([exe, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });

  test("--version and --help print what they should; unknown flags and bad settings are refused", () => {
    const version = run(["--version"]);
    expect([version.exitCode, version.stdout.toString()]).toEqual([0, `bun-muc ${VERSION}\n`]);
    const help = run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("MUC_HTTP");
    expect(help.stdout.toString()).toContain("XMPP_DOMAIN");
    const unknown = run(["--port", "5347"]);
    expect([unknown.exitCode, unknown.stderr.toString()]).toEqual([2, 'muc: unknown argument "--port"; settings come from the environment (see --help)\n']);
    const missing = run([]);
    expect([missing.exitCode, missing.stderr.toString().trim()]).toEqual([2, "configuration error: XMPP_DOMAIN is not set: the component's domain, e.g. muc.example.org"]);
    const bad = run([], { XMPP_DOMAIN: "muc.localhost", XMPP_PASSWORD: "x", MUC_HTTP: "everywhere" });
    expect([bad.exitCode, bad.stderr.toString().trim()]).toEqual([2, 'configuration error: MUC_HTTP must be host:port, e.g. 127.0.0.1:9090, got "everywhere"']);
  });

  describe("serving a room on a real Prosody", () => {
    let prosody: Prosody;
    let proc: ReturnType<typeof Bun.spawn> | undefined;
    let client: TestClient | undefined;
    let stderr = "";

    afterAll(async () => {
      await client?.stop().catch(() => {});
      proc?.kill("SIGKILL");
      await prosody?.stop();
    }, 10_000);

    test("starts, is healthy, lets a client join; SIGTERM says 332 and exits 0; it replays its recording", async () => {
      prosody = await startProsody();
      const httpPort = await freePort();
      const record = joinPath(dir, "inputs.jsonl");
      proc = Bun.spawn([exe], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          XMPP_SERVICE: `xmpp://127.0.0.1:${prosody.componentPort}`,
          XMPP_DOMAIN: prosody.componentDomain,
          XMPP_PASSWORD: prosody.secret,
          MUC_DATABASE: joinPath(dir, "muc.sqlite"),
          MUC_ON_STOP: "leave", // this test is about the goodbye (332); by default a stop says nothing
          MUC_HTTP: `127.0.0.1:${httpPort}`,
          MUC_LOG_FORMAT: "json",
          MUC_RECORD: record,
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      void (async () => {
        for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk);
      })();

      const deadline = Date.now() + 8000;
      let health: Response | undefined;
      for (;;) {
        health = await fetch(`http://127.0.0.1:${httpPort}/health`).catch(() => undefined);
        if (health?.status === 200) break;
        if (Date.now() > deadline) throw new Error(`not healthy in time (last: ${health?.status}); stderr:\n${stderr}`);
        await sleep(50);
      }
      expect(await health.text()).toBe("ok\n");

      client = await connectUser(prosody, "alice", "exe");
      const room = `exe-${Date.now().toString(36)}@${prosody.componentDomain}`;
      const joined = await join(client, room, "Alice");
      expect(codes(joined.self)).toEqual([201, 110]);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toContain("\nmuc_occupants 1\n");

      proc.kill("SIGTERM");
      const gone = await client.waitFor((el) => isPresence(`${room}/Alice`, "unavailable")(el), 5000);
      expect(codes(gone)).toContain(332);
      expect(await proc.exited).toBe(0);
      proc = undefined;

      // Its log: one JSON object per line, starting and coming online.
      const events = stderr.trim().split("\n").map((l) => JSON.parse(l).event);
      expect(events.slice(0, 2)).toEqual(["start", "online"]);
      expect(existsSync(joinPath(dir, "muc.sqlite"))).toBe(true);

      const replayed = run(["--replay", record]);
      expect(replayed.exitCode).toBe(0);
      // (Prosody orders attributes as it likes: read them rather than match the text.)
      const transcript = replayed.stdout.toString().trim().split("\n");
      const stanzas = (prefix: string) => transcript.filter((l) => l.startsWith(prefix)).map((l) => parseXml(l.slice(3)));
      expect(transcript[0]).toBe(">> (tick)");
      expect(stanzas(">> <presence").map((p) => [p.attrs.from, p.attrs.to])).toEqual([[client.jid, `${room}/Alice`]]);
      expect(transcript).toContain(">> (shutdown)");
      const out = stanzas("<< <presence");
      expect(out.map((p) => [p.attrs.to, p.attrs.type, codes(p)])).toEqual([
        [client.jid, undefined, [201, 110]],
        [client.jid, "unavailable", [332, 110]],
      ]);
    }, 20_000);
  });
});
