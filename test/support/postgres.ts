// Throwaway PostgreSQL server for the storage tests (Debian's `postgresql` package).
//
// startPostgres() makes a temp dir owned by the `postgres` user (initdb refuses to run as root,
// and every parent directory must be enterable by that user: /tmp is), runs `initdb -A trust`
// in it, and starts `postgres` itself in the foreground on a free loopback port, under the
// watchdog of ./guard.ts: the server dies with us, after Ctrl-C and after SIGKILL too, which a
// daemonised `pg_ctl start` would not. stop() asks for an immediate shutdown (SIGQUIT: nothing
// to keep) and deletes the dir. Each test takes a fresh database of its own (database()).
import { SQL, spawnSync } from "bun";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnGuarded } from "./guard.ts";
import { freePort, sleep } from "./server.ts";

/** The directory with initdb and postgres: PATH first, then Debian's /usr/lib/postgresql/<version>/bin (newest first). */
export function postgresBin(): string | undefined {
  const onPath = Bun.which("initdb");
  if (onPath && Bun.which("postgres")) return join(onPath, "..");
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, "bin") : undefined;
}

/** Whether the PostgreSQL tests run: the binaries and a `postgres` user, or a loud failure when CI is set. */
export function postgresAvailable(): boolean {
  const available = postgresBin() !== undefined && spawnSync(["id", "-u", "postgres"]).exitCode === 0;
  if (!available) {
    if (process.env.CI) throw new Error("PostgreSQL (initdb, and the postgres user) is missing, but CI is set: the PostgreSQL tests cannot run");
    console.warn("SKIPPING PostgreSQL tests: no initdb in PATH or /usr/lib/postgresql/*/bin (apt-get install -y postgresql)");
  }
  return available;
}

export type Postgres = {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  /** A fresh, empty database on this server; its URL. */
  database(): Promise<string>;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
};

/** Run `cmd` as the postgres user (we are root in CI; as another user, run it as ourselves). */
function asPostgres(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  if (!bin) throw new Error("no PostgreSQL binaries (apt-get install -y postgresql)");
  const dir = mkdtempSync("/tmp/muc-postgres-");
  const uid = Number(spawnSync(["id", "-u", "postgres"]).stdout.toString().trim());
  const gid = Number(spawnSync(["id", "-g", "postgres"]).stdout.toString().trim());
  if (process.getuid?.() === 0) chownSync(dir, uid, gid);
  const data = join(dir, "data");
  const init = spawnSync(asPostgres([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"]), { cwd: dir });
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}${init.stdout.toString()}`);
  const port = await freePort();
  // fsync off and no full-page writes: a throwaway server; it need survive nothing.
  const server = spawnGuarded(
    asPostgres([join(bin, "postgres"), "-D", data, "-k", dir, "-h", "127.0.0.1", "-p", String(port), "-F", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=50"]),
    { dir, cwd: dir, graceMs: 2000 },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ready = async () => {
    for (const until = Date.now() + 20_000; Date.now() < until; await sleep(100)) {
      if (!server.running()) throw new Error(`postgres exited:\n${server.output()}`);
      const sql = new SQL(url, { max: 1, connectionTimeout: 2 });
      try {
        await sql`SELECT 1`;
        return;
      } catch {
        // not accepting connections yet
      } finally {
        await sql.close().catch(() => {});
      }
    }
    throw new Error(`postgres did not start on port ${port}:\n${server.output()}`);
  };
  try {
    await ready();
  } catch (error) {
    await server.stop();
    throw error;
  }
  const admin = new SQL(url, { max: 1 });
  let databases = 0;
  return {
    url,
    port,
    dir,
    log: () => server.output(),
    async database() {
      const name = `test_${++databases}`;
      await admin.unsafe(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await admin.close().catch(() => {});
      try {
        const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
        if (pid > 0) process.kill(pid, "SIGQUIT"); // immediate shutdown
      } catch {
        // not running, or already gone
      }
      await server.stop();
    },
  };
}
