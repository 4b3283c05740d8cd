// `bun run dev [--server prosody|ejabberd] [--no-component]`: a throwaway XMPP server on
// 127.0.0.1 with our MUC connected to it as its external component, and a browser client
// (Converse.js) already logged in and sitting in a room. Open the printed URL and chat; or point
// any XMPP client at the printed settings.
//
// Ports are fixed and documented (DEV_PORTS) when they are free, so a client configured once
// keeps working; a taken one is replaced by a random free port and the settings say so
// (MUC_DEV_PORTS=random picks random ones for all, as the tests do). The server never outlives
// this command: Ctrl-C, SIGTERM and SIGHUP (terminal closed) stop everything; after a kill -9 the
// watchdog of ./guard.ts stops the server and deletes its temp dir; and if whatever started us
// (npx, bun run) dies, we notice and stop too.
import { parseServerKind, startServer, type ServerKind, type XmppServer } from "./servers.ts";
import { preferPort } from "./server.ts";
import { converseVersion, startWebClient, type WebClient } from "./webclient.ts";

/** The ports `bun run dev` prefers (the README lists them). */
export const DEV_PORTS = { c2s: 5222, component: 5347, http: 5280, web: 5380 } as const;
/** Named accounts for desktop clients; SCRAM works (passwords stored hashed). */
export const DEV_ACCOUNTS = ["alice", "bob", "carol"].map((user) => ({ user, password: `${user}-secret` }));
export const DEV_SECRET = "dev-secret";
export const DEV_ROOM = "lobby";

function parseArgs(argv: string[]): { server: ServerKind; component: boolean } {
  let server: ServerKind = "prosody";
  let component = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--server") server = parseServerKind(argv[++i] ?? "");
    else if (arg.startsWith("--server=")) server = parseServerKind(arg.slice("--server=".length));
    else if (arg === "--no-component") component = false;
    else if (arg === "--help" || arg === "-h") {
      console.log("usage: bun run dev [--server prosody|ejabberd] [--no-component]");
      process.exit(0);
    } else throw new Error(`unknown argument ${arg} (usage: bun run dev [--server prosody|ejabberd] [--no-component])`);
  }
  return { server, component };
}

let args: ReturnType<typeof parseArgs>;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}

const random = process.env.MUC_DEV_PORTS === "random";
const pick = async (port: number) => (random ? 0 : await preferPort(port));
const [c2sPort, componentPort, httpPort, webPort] = await Promise.all(
  [DEV_PORTS.c2s, DEV_PORTS.component, DEV_PORTS.http, DEV_PORTS.web].map(pick),
);
const note = (port: number, preferred: number) => (random || port === preferred ? "" : ` (${preferred} was taken)`);

let server: XmppServer | undefined;
let web: WebClient | undefined;
let service: { stop(): Promise<void> } | undefined;
let stopping = false;
async function shutdown(code = 0, why?: string) {
  if (stopping) return;
  stopping = true;
  if (why) console.error(why);
  await service?.stop().catch((e) => console.error("stopping the service:", e));
  await web?.stop().catch(() => {});
  await server?.stop();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void shutdown(0));
// Started through a wrapper (npx, bun run) that was killed: our parent changes; stop with it.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void shutdown(0, "the command that started bun run dev is gone; stopping"), 500).unref();

try {
  server = await startServer(args.server, {
    debug: !!process.env.SERVER_DEBUG,
    http: true,
    accounts: DEV_ACCOUNTS,
    secret: DEV_SECRET,
    ...(c2sPort ? { c2sPort } : {}),
    ...(componentPort ? { componentPort } : {}),
    ...(httpPort ? { httpPort } : {}),
  });
  if (args.component) {
    const logFrom = server.log().length;
    const { startService } = await import("../../index.ts");
    service = await startService({ service: `xmpp://127.0.0.1:${server.componentPort}`, domain: server.componentDomain, password: server.secret });
    await server.waitForLog(server.logs.componentAuthenticated, 10_000, logFrom);
  }
  web = await startWebClient({ server, room: DEV_ROOM, ...(webPort ? { port: webPort } : {}) });
} catch (e) {
  await shutdown(1, `bun run dev could not start: ${(e as Error).stack ?? e}`);
}

const s = server!;
const room = `${DEV_ROOM}@${s.componentDomain}`;
const accounts = DEV_ACCOUNTS.map((a) => `${a.user}@${s.domain} / ${a.password}`).join(", ");
const alice = DEV_ACCOUNTS[0]!;
const componentCommand = `XMPP_SERVICE=xmpp://127.0.0.1:${s.componentPort} XMPP_DOMAIN=${s.componentDomain} XMPP_PASSWORD=${s.secret} npx bun run index.ts`;
console.log(`
${s.version} is running on 127.0.0.1 (temp dir ${s.dir}), with ${args.component ? "the MUC service" : "no MUC service (--no-component)"}

  Web client:  ${web!.url}${note(web!.port, DEV_PORTS.web)}
               Converse.js ${converseVersion()}, a throwaway guest in ${room}
               (${web!.url}?nick=Ann for a chosen nick; a second tab or browser is a second user)

  Desktop clients: server 127.0.0.1, port ${s.c2sPort}${note(s.c2sPort, DEV_PORTS.c2s)}, no TLS
    accounts:  ${accounts} (SCRAM or PLAIN)
               anonymous logins on ${s.anonDomain}
    rooms:     any name@${s.componentDomain}, e.g. ${room}
    profanity: /connect ${alice.user}@${s.domain} server 127.0.0.1 port ${s.c2sPort} tls disable
               /join ${room}
    poezio:    (not as root) poezio, with in ~/.config/poezio/poezio.cfg under [Poezio]:
               jid = ${alice.user}@${s.domain}
               password = ${alice.password}
               custom_host = 127.0.0.1
               custom_port = ${s.c2sPort}
               force_encryption = false
               rooms = ${room}/${alice.user}
    others (Gajim, Dino, ...): the account above, host 127.0.0.1 port ${s.c2sPort}, allow plaintext (no TLS)

  Component:   ${s.componentDomain} on 127.0.0.1:${s.componentPort}${note(s.componentPort, DEV_PORTS.component)}, secret ${s.secret}
               to run the service yourself (and restart it at will): bun run dev --no-component, then
               ${componentCommand}
  WebSocket:   ${s.websocketUrl}${note(s.httpPort!, DEV_PORTS.http)}

Ctrl-C stops everything.`);
