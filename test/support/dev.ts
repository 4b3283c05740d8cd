// `bun run dev`: a throwaway Prosody on random loopback ports with our MUC connected to it as
// its external component. Point any XMPP client at the printed port and join rooms on the
// component domain. Ctrl-C stops both and deletes the temp dir.
import { startProsody } from "./prosody.ts";

const prosody = await startProsody({ debug: !!process.env.PROSODY_DEBUG });
const logFrom = prosody.log().length;

let service: { stop(): Promise<void> } | undefined;
let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  await service?.stop().catch((e) => console.error("stopping the service:", e));
  await prosody.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());

try {
  const { startService } = await import("../../index.ts");
  service = await startService({
    service: `xmpp://127.0.0.1:${prosody.componentPort}`,
    domain: prosody.componentDomain,
    password: prosody.secret,
  });
  await prosody.waitForLog("External component successfully authenticated", 5000, logFrom);
} catch (e) {
  console.error("could not start the MUC service:", e);
  await shutdown(1);
}

console.log(`
Prosody is running (temp dir ${prosody.dir}, log ${prosody.dir}/prosody.log)
  XMPP server:  ${prosody.host}:${prosody.c2sPort}, domain "${prosody.domain}"
  log in as:    any user, any password, e.g. alice@localhost / secret
                (SASL PLAIN, no TLS: allow plaintext auth / disable TLS in your client);
                anonymous logins on "${prosody.anonDomain}"
  MUC service:  ${prosody.componentDomain} (rooms: name@${prosody.componentDomain})
  component:    port ${prosody.componentPort}, secret ${prosody.secret}
Ctrl-C to stop.`);
