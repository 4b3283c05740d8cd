// What every throwaway XMPP server of the test bed offers (Prosody in ./prosody.ts, ejabberd in
// ./ejabberd.ts), and the small pieces they share: free ports, waiting for listeners, the log.
import { spawnSync } from "bun";
import { existsSync, readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";

export type ServerKind = "prosody" | "ejabberd";
export const SERVER_KINDS: readonly ServerKind[] = ["prosody", "ejabberd"];

export type XmppServer = {
  kind: ServerKind;
  /** Name and Debian package version, e.g. "Prosody 0.12.3-1+deb12u1". */
  version: string;
  host: "127.0.0.1";
  domain: "localhost";
  /** Anonymous-login virtual host (SASL ANONYMOUS). */
  anonDomain: "anon.localhost";
  c2sPort: number;
  componentPort: number;
  componentDomain: string;
  secret: string;
  /** HTTP port serving XMPP over WebSocket (RFC 7395), when started with `http: true`. */
  httpPort?: number;
  websocketUrl?: string;
  dir: string;
  /** What the server logs when our component authenticates, and when it refuses its secret. */
  logs: { componentAuthenticated: RegExp; componentRefused: RegExp };
  /**
   * Makes sure user@localhost can log in with `password`. Prosody in the test mode lets any name
   * and password in (nothing to do); ejabberd has no such mode, so the account is registered
   * (through its HTTP API on loopback) the first time it is asked for.
   */
  ensureAccount(user: string, password: string): Promise<void>;
  /** Contents of the server's log so far. */
  log(): string;
  /** Resolves with the first log line matching `pattern` at or after char offset `from`. */
  waitForLog(pattern: string | RegExp, timeoutMs?: number, from?: number): Promise<string>;
  stop(): Promise<void>;
};

export type ServerOptions = {
  componentDomain?: string;
  /** Log at debug level (every stanza); default info. */
  debug?: boolean;
  /** Listen for components on this port instead of a random free one (e.g. to restart on the same port). */
  componentPort?: number;
  /** Client port; default a random free one. */
  c2sPort?: number;
  /** The component secret; default a random one. */
  secret?: string;
  /** Also serve XMPP over WebSocket on loopback (for browser clients). */
  http?: boolean;
  /** The HTTP port when `http`; default a random free one. */
  httpPort?: number;
  /**
   * Named accounts with passwords stored hashed, so that clients which insist on SCRAM without
   * TLS (poezio) log in. Without it, any name and password log in (Prosody) or are registered on
   * first use (ejabberd).
   */
  accounts?: { user: string; password: string }[];
  /**
   * ejabberd only: accept this many component connections for the domain, each room's stanzas
   * going to one of them (README.md's "ejabberd-cluster" snippet: domain_balancing).
   */
  componentConnections?: number;
};

/** Asks the OS for a free loopback TCP port (bind to port 0, read it back, close). */
export function freePort(): Promise<number> {
  return listenOn(0).then((port) => port ?? Promise.reject(new Error("no free port")));
}

/** `port` if it is free on 127.0.0.1, else a free one the OS picks. */
export async function preferPort(port: number): Promise<number> {
  return (await listenOn(port)) ?? (await freePort());
}

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const addr = srv.address();
      const got = typeof addr === "object" && addr ? addr.port : undefined;
      srv.close(() => resolve(got));
    });
  });
}

/** Distinct free ports, `count` of them. */
export async function freePorts(count: number, taken: number[] = []): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const p = await freePort();
    if (!ports.includes(p) && !taken.includes(p)) ports.push(p);
  }
  return ports;
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1000, () => done(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Debian package version of `pkg`, or "" when dpkg does not know it. */
export function debianVersion(pkg: string): string {
  if (!Bun.which("dpkg-query")) return "";
  const res = spawnSync(["dpkg-query", "-W", "-f=${Version}", pkg], { stderr: "ignore" });
  return res.success ? res.stdout.toString().trim() : "";
}

/** log() and waitForLog() over a log file, with `describe()` adding whatever else explains a failure. */
export function logReader(file: string, name: string, describe: () => string = () => "") {
  const log = () => (existsSync(file) ? readFileSync(file, "utf8") : "");
  const tail = () => {
    const extra = describe();
    const lines = (log() + (extra ? `\n[stdout/stderr]\n${extra}` : "")).trimEnd().split("\n");
    return lines.slice(-30).join("\n");
  };
  const waitForLog = async (pattern: string | RegExp, timeoutMs = 5000, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = log()
        .slice(from)
        .split("\n")
        .find((l) => (typeof pattern === "string" ? l.includes(pattern) : pattern.test(l)));
      if (line !== undefined) return line;
      if (Date.now() > deadline) throw new Error(`${name} log has no line matching ${pattern} after ${timeoutMs}ms. Log tail:\n${tail()}`);
      await sleep(50);
    }
  };
  return { log, tail, waitForLog };
}

/** Waits until every port accepts connections; throws (with `tail()`) if `exited()` or after `ms`. */
export async function waitForPorts(
  name: string,
  ports: number[],
  exited: () => boolean,
  tail: () => string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (exited()) {
      await sleep(100); // let stdout/stderr drain
      throw new Error(`${name} exited early. Log tail:\n${tail()}`);
    }
    if ((await Promise.all(ports.map(canConnect))).every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`${name} did not open ports ${ports.join(", ")} within ${ms / 1000}s. Log tail:\n${tail()}`);
    await sleep(50);
  }
}
