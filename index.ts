// The shell: reads the environment, opens the store, keeps a XEP-0114
// component connection to the XMPP server up (retrying with backoff), feeds
// every stanza to the pure core (lib/service.ts, through lib/shell/runtime.ts)
// in batches, commits each batch's writes, then sends its stanzas. Nothing
// here decides anything about MUC.
import { component } from "@xmpp/component";
import debug from "@xmpp/debug";
import { parseEnv } from "./lib/config.ts";
import { defaultConfig, type ServiceConfig } from "./lib/context.ts";
import type { Input, ServiceState } from "./lib/service.ts";
import { createRuntime } from "./lib/shell/runtime.ts";
import { openSqliteStore } from "./lib/shell/sqlite.ts";
import type { Element } from "./lib/stanza.ts";
import type { Store } from "./lib/storage.ts";

export interface ServiceOptions {
  service: string;
  domain: string;
  password: string;
  debug?: boolean;
  config?: Partial<ServiceConfig>;
  /** The SQLite file (default ":memory:"), or a store of your own. */
  database?: string;
  store?: Store;
  log?: (line: string) => void;
}

/** Inputs handled per batch: one transaction and one round of sends each. */
const BATCH = 256;
/** How often archive retention runs. */
const TICK_MS = 60 * 60 * 1000;

export interface RunningService {
  /** Resolves once the component is authenticated (again, after a reconnect). */
  online(): Promise<void>;
  /** The core's current state (for tests and introspection). */
  state(): ServiceState;
  /** Tell every occupant the service is going away (332), then disconnect. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const log = options.log ?? ((line: string) => console.error(`[muc] ${line}`));
  const forwardKey = options.config?.forwardKey || crypto.randomUUID(); // randomness stays in the shell
  const config: ServiceConfig = { ...defaultConfig, ...options.config, domain: options.domain, forwardKey };
  const xmpp = component({ service: options.service, domain: options.domain, password: options.password });
  // We route every stanza ourselves: drop the wrapper's middleware (it answers
  // IQs on its own and throws on a `from` it cannot parse) and its fixed-delay
  // reconnect, which the loop below replaces with one that backs off.
  xmpp.removeAllListeners("element");
  xmpp.reconnect.stop();
  if (options.debug) debug(xmpp, true);

  const store = options.store ?? openSqliteStore(options.database ?? ":memory:");
  // Ids must never repeat, across restarts too: a random boot prefix, then a counter.
  const boot = crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  let sequence = 0;
  let stopping = false;
  let online = false;
  let onlineWaiters: (() => void)[] = [];

  const send = (stanzas: Element[]) => {
    for (const stanza of stanzas) xmpp.send(stanza).catch((err: Error) => log(`could not send a ${stanza.name}: ${err.message}`));
  };

  const queue: Input[] = [];
  let draining = false;
  const runtime = createRuntime({
    store,
    config,
    clock: Date.now,
    nonce: () => `${boot}-${(++sequence).toString(36)}`,
    onCrash: (input, err) =>
      log(`internal error on ${input.kind === "stanza" ? input.stanza.toString().slice(0, 300) : input.kind}: ${(err as Error).stack ?? err}`),
    onAnswer: (input) => enqueue(input),
  });

  /** Inputs are handled in batches: each batch's writes are committed before any of its stanzas is sent. */
  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (queue.length > 0) {
        const out: Element[] = [];
        for (let n = 0; n < BATCH && queue.length > 0; n++) out.push(...runtime.step(queue.shift()!));
        await runtime.flush();
        if (online) send(out);
      }
    } catch (err) {
      log(`storage failed; the batch's stanzas were not sent: ${(err as Error).stack ?? err}`);
    } finally {
      draining = false;
    }
  }
  function enqueue(input: Input) {
    queue.push(input);
    if (queue.length === 1) queueMicrotask(() => void drain());
  }
  const tick = setInterval(() => enqueue({ kind: "tick" }), TICK_MS);
  enqueue({ kind: "tick" });

  xmpp.on("stanza", (stanza: Element) => enqueue({ kind: "stanza", stanza }));
  // While connecting, the retry loop reports failures; once online, errors are worth a line of their own.
  xmpp.on("error", (err: Error) => online && log(`connection error: ${err.message}`));

  const connectOnce = async () => {
    await xmpp.connect(options.service);
    let settle = { resolve: () => {}, reject: (_: Error) => {} };
    const authenticated = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const onOnline = () => settle.resolve();
    const onError = (err: Error) => settle.reject(err);
    const onDisconnect = () => settle.reject(new Error("the server closed the connection"));
    xmpp.on("online", onOnline).on("error", onError).on("disconnect", onDisconnect);
    try {
      await xmpp.open({ domain: options.domain });
      await authenticated;
    } finally {
      xmpp.removeListener("online", onOnline).removeListener("error", onError).removeListener("disconnect", onDisconnect);
    }
  };

  const keepConnected = async () => {
    let delay = 500;
    while (!stopping) {
      try {
        await connectOnce();
        online = true;
        delay = 500;
        log(`online as ${options.domain} via ${options.service}`);
        for (const wake of onlineWaiters) wake();
        onlineWaiters = [];
        await new Promise((resolve) => xmpp.once("disconnect", resolve));
        online = false;
        if (!stopping) log(`disconnected from ${options.service}; reconnecting`);
      } catch (err) {
        online = false;
        const reason = (err as Error).message || (err as { condition?: string }).condition || String(err);
        log(`cannot connect to ${options.service} as ${options.domain}: ${reason}; retrying in ${delay / 1000}s`);
        await xmpp.disconnect().catch(() => {});
      }
      if (!stopping) await sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  };
  void keepConnected();

  return {
    online: () => (online ? Promise.resolve() : new Promise<void>((resolve) => onlineWaiters.push(resolve))),
    state: () => runtime.state(),
    async stop() {
      stopping = true;
      clearInterval(tick);
      while (draining) await sleep(1);
      queue.length = 0;
      const out = runtime.step({ kind: "shutdown" });
      await runtime.flush();
      if (online) send(out);
      await xmpp.stop().catch(() => {});
      await store.close();
    },
  };
}

if (import.meta.main) {
  const parsed = parseEnv(process.env);
  if (!parsed.ok) {
    console.error(`configuration error: ${parsed.error}`);
    process.exit(2);
  }
  const { settings } = parsed;
  const service = await startService({ ...settings, domain: settings.config.domain, config: settings.config, database: settings.database });
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      void service.stop().finally(() => process.exit(0));
    });
}
