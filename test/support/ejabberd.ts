// Throwaway ejabberd server (Debian's ejabberd 23.01) for integration tests and `bun run dev`,
// the second server next to ./prosody.ts, with the same shape (XmppServer).
//
// Everything lives in a fresh temp dir: ejabberd.yml (generated, with the component registered
// by exactly README.md's snippet), its own ejabberdctl.cfg (Debian's /etc/ejabberd one would
// otherwise override --config), a unique node name and a fixed Erlang distribution port on
// 127.0.0.1 (no epmd), spool and logs. ejabberdctl refuses to run as anyone but root or the
// `ejabberd` user, and as root it switches user with `su`, which puts the VM in a session of
// its own, out of reach of our watchdog; so we switch to `ejabberd` ourselves (setpriv), and
// the dir is chowned to it. Users on "localhost" are registered accounts (SCRAM works): tests
// get theirs registered on first use through ejabberd's HTTP API (loopback only); users on
// "anon.localhost" log in anonymously.
import { spawnSync } from "bun";
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { spawnGuarded } from "./guard.ts";
import { componentSnippet, PLACEHOLDERS, readmeSnippet } from "./readme.ts";
import { debianVersion, freePorts, logReader, waitForPorts, type ServerOptions, type XmppServer } from "./server.ts";

const USER = "ejabberd";

/** The account ejabberdctl insists on, or undefined when there is none. */
function ejabberdIds(): { uid: number; gid: number } | undefined {
  const res = spawnSync(["id", "-u", USER], { stderr: "ignore" });
  const gid = spawnSync(["id", "-g", USER], { stderr: "ignore" });
  if (!res.success || !gid.success) return undefined;
  return { uid: Number(res.stdout.toString()), gid: Number(gid.stdout.toString()) };
}

/** Why ejabberd cannot run here, or undefined when it can. */
export function ejabberdUnavailable(): string | undefined {
  if (!Bun.which("ejabberdctl") && !Bun.which("ejabberdctl", { PATH: "/usr/sbin:/sbin" }))
    return "ejabberdctl is not installed (apt-get install -y ejabberd)";
  if (!ejabberdIds()) return `there is no "${USER}" user (the Debian package creates it)`;
  if (userInfo().uid !== 0) return `ejabberdctl must be started by root (it runs the server as the "${USER}" user)`;
  if (!Bun.which("setpriv")) return "setpriv (util-linux) is missing";
  return undefined;
}

export function ejabberdAvailable(): boolean {
  return ejabberdUnavailable() === undefined;
}

type Listener = { port: number; ip?: string; module: string; [k: string]: unknown };

function config(o: {
  dir: string;
  c2sPort: number;
  componentPort: number;
  httpPort: number;
  componentDomain: string;
  secret: string;
  debug: boolean;
  componentConnections?: number;
}): string {
  // The README's snippet is YAML with a top-level `listen:` list; ours are appended to it.
  // JSON is YAML too, so the merged config is written as JSON.
  const snippet = Bun.YAML.parse(
    componentSnippet("ejabberd-component", { domain: o.componentDomain, secret: o.secret, port: o.componentPort }),
  ) as { listen?: Listener[]; [k: string]: unknown };
  if (!Array.isArray(snippet?.listen)) throw new Error('README.md snippet "ejabberd-component" has no `listen:` list');
  const listen: Listener[] = [
    ...snippet.listen,
    { port: o.c2sPort, ip: "127.0.0.1", module: "ejabberd_c2s", starttls: false, max_stanza_size: 262144 },
    {
      port: o.httpPort,
      ip: "127.0.0.1",
      module: "ejabberd_http",
      request_handlers: { "/ws": "ejabberd_http_ws", "/api": "mod_http_api" },
    },
  ];
  for (const l of listen)
    if (l.ip !== "127.0.0.1") throw new Error(`ejabberd listener on port ${l.port} is not bound to 127.0.0.1 (ip: ${l.ip})`);
  // Several processes for the domain: the README's domain_balancing, with its example count (3) replaced.
  const balancing = o.componentConnections
    ? (Bun.YAML.parse(
        readmeSnippet("ejabberd-cluster")
          .replaceAll(PLACEHOLDERS.domain, o.componentDomain)
          .replace(/component_number: 3\b/, `component_number: ${o.componentConnections}`),
      ) as Record<string, unknown>)
    : {};
  return JSON.stringify(
    {
      ...snippet,
      ...balancing,
      hosts: ["localhost", "anon.localhost"],
      loglevel: o.debug ? "debug" : "info",
      language: "en",
      certfiles: [],
      auth_method: ["internal"],
      auth_password_format: "scram",
      host_config: { "anon.localhost": { auth_method: ["anonymous"], anonymous_protocol: "sasl_anon" } },
      listen,
      s2s_access: "none",
      acl: { loopback: { ip: ["127.0.0.0/8"] } },
      api_permissions: { "loopback may register accounts": { who: { acl: "loopback" }, what: ["register"] } },
      modules: { mod_disco: {}, mod_ping: {}, mod_roster: {}, mod_http_api: {} },
    },
    null,
    2,
  );
}

let version: string | undefined;

export async function startEjabberd(opts: ServerOptions = {}): Promise<XmppServer> {
  const why = ejabberdUnavailable();
  if (why) throw new Error(`cannot start ejabberd: ${why}`);
  const ids = ejabberdIds()!;
  version ??= `ejabberd ${debianVersion("ejabberd") || "(version unknown)"}`;
  const componentDomain = opts.componentDomain ?? "muc.localhost";
  const fixed = [opts.c2sPort, opts.componentPort, opts.httpPort].filter((p): p is number => !!p);
  const [r1, r2, r3, distPort] = await freePorts(4, fixed);
  const c2sPort = opts.c2sPort ?? r1!;
  const componentPort = opts.componentPort ?? r2!;
  const httpPort = opts.httpPort ?? r3!;
  const secret = opts.secret ?? `secret-${crypto.randomUUID()}`;
  const node = `muc${crypto.randomUUID().slice(0, 8)}@localhost`;

  const dir = mkdtempSync(join(tmpdir(), "ejabberd-test-"));
  try {
    for (const sub of ["spool", "logs"]) mkdirSync(join(dir, sub));
    writeFileSync(
      join(dir, "ejabberd.yml"),
      config({ dir, c2sPort, componentPort, httpPort, componentDomain, secret, debug: !!opts.debug, componentConnections: opts.componentConnections }),
    );
    writeFileSync(
      join(dir, "ejabberdctl.cfg"),
      `# generated by test/support/ejabberd.ts
ERLANG_NODE=${node}
ERL_DIST_PORT=${distPort}
ERL_OPTIONS="-kernel inet_dist_use_interface {127,0,0,1} -setcookie ${crypto.randomUUID().replaceAll("-", "")}"
EJABBERD_PID_PATH=${join(dir, "ejabberd.pid")}
EJABBERD_BYPASS_WARNINGS=true
`,
    );
    writeFileSync(join(dir, "inetrc"), `{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n`);
    for (const path of [dir, join(dir, "spool"), join(dir, "logs"), ...["ejabberd.yml", "ejabberdctl.cfg", "inetrc"].map((f) => join(dir, f))])
      chownSync(path, ids.uid, ids.gid);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const ctl = Bun.which("ejabberdctl") ?? Bun.which("ejabberdctl", { PATH: "/usr/sbin:/sbin" })!;
  const server = spawnGuarded(
    [
      "setpriv", `--reuid=${ids.uid}`, `--regid=${ids.gid}`, "--init-groups",
      ctl, "--config-dir", dir, "--spool", join(dir, "spool"), "--logs", join(dir, "logs"), "foreground",
    ],
    // A graceful stop takes ejabberd 1 to 6 s; a throwaway server keeps nothing worth it.
    { dir, env: { ...process.env, HOME: dir }, graceMs: 1000 },
  );
  const { log, tail, waitForLog } = logReader(join(dir, "logs", "ejabberd.log"), "ejabberd", server.output);
  try {
    await waitForPorts("ejabberd", [c2sPort, componentPort, httpPort], () => !server.running(), tail, 30_000);
  } catch (e) {
    await server.stop();
    throw e;
  }

  const registered = new Set<string>();
  const ensureAccount = async (user: string, password: string) => {
    if (registered.has(user)) return;
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/register`, {
      method: "POST",
      body: JSON.stringify({ user, host: "localhost", password }),
    });
    const body = await res.text();
    // 409: registered before (by an earlier call with this password, or with the dev accounts)
    if (!res.ok && res.status !== 409) throw new Error(`ejabberd could not register ${user}@localhost: ${res.status} ${body}`);
    registered.add(user);
  };
  try {
    for (const { user, password } of opts.accounts ?? []) await ensureAccount(user, password);
  } catch (e) {
    await server.stop();
    throw e;
  }

  const domainPattern = componentDomain.replaceAll(".", "\\.");
  return {
    kind: "ejabberd",
    version,
    host: "127.0.0.1",
    domain: "localhost",
    anonDomain: "anon.localhost",
    c2sPort,
    componentPort,
    componentDomain,
    secret,
    httpPort,
    websocketUrl: `ws://127.0.0.1:${httpPort}/ws`,
    dir,
    logs: {
      componentAuthenticated: new RegExp(`Accepted external component .*authentication for ${domainPattern}`),
      componentRefused: new RegExp(`Failed external component .*authentication for ${domainPattern}`),
    },
    ensureAccount,
    log,
    waitForLog,
    stop: server.stop,
  };
}
