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
import { createOutput } from "./lib/shell/output.ts";
import { createRuntime } from "./lib/shell/runtime.ts";
import { openStore } from "./lib/shell/store.ts";
import type { Element } from "./lib/stanza.ts";
import type { Store } from "./lib/storage.ts";
// Operations (issue 16): logs, metrics and health over HTTP, recording, the command line.
import { VERSION } from "./lib/disco.ts";
import { helpText, parseArgs } from "./lib/shell/cli.ts";
import { startHttp, type HttpListener } from "./lib/shell/http.ts";
import { createLogger, stderrSink, type Format, type Level, type Sink } from "./lib/shell/log.ts";
import { createObserver } from "./lib/shell/observe.ts";
import { parseOpsEnv } from "./lib/shell/ops-config.ts";
import { createRecorder } from "./lib/shell/record.ts";
import { replay } from "./lib/shell/replay.ts";
import { dropStreamText, unshareStrings } from "./lib/shell/unshare.ts";

export interface ServiceOptions {
  service: string;
  domain: string;
  password: string;
  debug?: boolean;
  config?: Partial<ServiceConfig>;
  /** The SQLite file (default ":memory:") or a postgres:// URL (lib/shell/store.ts), or a store of your own. */
  database?: string;
  store?: Store;
  /** Where log lines go (default: stderr). */
  log?: Sink;
  logLevel?: Level;
  logFormat?: Format;
  /**
   * On stop: "stay" (default) tells nobody and keeps the occupants stored, so that the next start
   * restores them and a client that stayed connected notices nothing; "leave" tells every occupant
   * the service is going away (332) and forgets them.
   */
  onStop?: "stay" | "leave";
  /** Serve /metrics and /health here (port 0: any free port; see RunningService.http). */
  http?: { hostname: string; port: number };
  /** Append every input of the core to this file (lib/shell/record.ts). */
  record?: string;
  /** Every input with the stanzas it led to (tests compare this with a replay). */
  onStep?: (input: Input, out: Element[]) => void;
}

/** Inputs handled per batch: one transaction and one socket write each. */
const BATCH = 256;
/**
 * A batch also ends once it has this many stanzas to send (a join into a big room makes
 * thousands). Small enough that the server reads a batch's copies while the next is made:
 * under load, 1,024 (~300 KB) delivered ~35% more copies/s than 8,192 with archiving off,
 * and as many with the archive on disk (bench/e2e.ts, 2026-12-02).
 */
const BATCH_STANZAS = 1024;
/** Inputs waiting above which reading from the server pauses (until half of them are handled). */
const QUEUE_HIGH = 2048;
/** How often archive retention runs. */
/** The core's clock: session checks after a restart or reconnect (verify.ts), hourly retention. */
const TICK_MS = 1000;

export interface RunningService {
  /** Resolves once the component is authenticated (again, after a reconnect). */
  online(): Promise<void>;
  /** The core's current state (for tests and introspection). */
  state(): ServiceState;
  /** Tell every occupant the service is going away (332), then disconnect. */
  stop(): Promise<void>;
  /** The /metrics and /health listener, when one was asked for. */
  http?: HttpListener;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const logFormat = options.logFormat ?? "text";
  const logger = createLogger({ level: options.logLevel, format: logFormat, sink: options.log ?? stderrSink(logFormat) });
  const log = (line: string) => logger.error("service", line);
  const forwardKey = options.config?.forwardKey || crypto.randomUUID(); // randomness stays in the shell
  const config: ServiceConfig = { ...defaultConfig, ...options.config, domain: options.domain, forwardKey };
  const xmpp = component({ service: options.service, domain: options.domain, password: options.password });
  // We route every stanza ourselves: drop the wrapper's middleware (it answers
  // IQs on its own and throws on a `from` it cannot parse) and its fixed-delay
  // reconnect, which the loop below replaces with one that backs off.
  xmpp.removeAllListeners("element");
  xmpp.reconnect.stop();
  if (options.debug) debug(xmpp, true);

  const rawStore = options.store ?? (await openStore(options.database ?? ":memory:"));
  const recorder = options.record
    ? createRecorder(options.record, config, Date.now(), { onError: (err) => logger.error("record", `recording to ${options.record} stopped: ${err.message}`) })
    : undefined;
  const ops = createObserver({ logger, state: () => runtime.state(), service: options.service, domain: options.domain, recordedBytes: recorder?.bytes });
  const store = ops.instrumentStore(rawStore);
  // Ids must never repeat, across restarts too: a random boot prefix, then a counter.
  const boot = crypto.getRandomValues(new Uint32Array(2)).reduce((s, n) => s + n.toString(36), "");
  let sequence = 0;
  let stopping = false;
  let online = false;
  let onlineWaiters: (() => void)[] = [];

  const output = createOutput(xmpp, { log, debug: options.debug });

  // Inputs waiting for the core, from `head` on (an index, not shift(): a burst of thousands queues
  // at once, and shift() is O(length) each). Reading from the server pauses while QUEUE_HIGH wait.
  let queue: Input[] = [];
  let head = 0;
  let readingPaused = false;
  let draining = false;
  const runtime = ops.wrap(createRuntime({
    store,
    config,
    clock: Date.now,
    nonce: () => `${boot}-${(++sequence).toString(36)}`,
    onInput: (input, ctx) => {
      recorder?.onInput(input, ctx);
      ops.onInput(input);
    },
    onCrash: (input, err) => ops.onCrash(input, err),
    onAnswer: (input) => enqueue(input),
  }), options.onStep);
  const http = options.http && startHttp({ ...options.http, metrics: () => ops.render(), health: () => ops.health(rawStore) });
  logger.info("start", `bun-muc ${VERSION} for ${options.domain}${http ? `; metrics and health at ${http.url}` : ""}${options.record ? `; recording inputs to ${options.record}` : ""}`, {
    version: VERSION,
    domain: options.domain,
    http: http?.url,
    record: options.record,
  });

  /**
   * Inputs are handled in batches: each batch's writes are committed before any of its stanzas is sent.
   * While the server reads slower than we write, reading pauses and the next batch waits (output.ready()).
   */
  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (head < queue.length) {
        const out: Element[] = [];
        for (let n = 0; n < BATCH && head < queue.length && out.length < BATCH_STANZAS; n++) {
          const input = queue[head]!;
          queue[head++] = undefined as never; // handled: let it go
          for (const stanza of runtime.step(input)) out.push(stanza);
        }
        if (head === queue.length) (queue = []), (head = 0);
        else if (head >= 4096) (queue = queue.slice(head)), (head = 0);
        if (readingPaused && queue.length - head <= QUEUE_HIGH / 2) {
          readingPaused = false;
          xmpp.socket?.resume();
        }
        await runtime.flush();
        if (online) output.send(out);
        await output.ready();
      }
    } catch (err) {
      log(`storage failed; the batch's stanzas were not sent: ${(err as Error).stack ?? err}`);
    } finally {
      draining = false;
    }
  }
  function enqueue(input: Input) {
    queue.push(input);
    if (queue.length - head === 1) queueMicrotask(() => void drain());
    const socket = xmpp.socket as (typeof xmpp.socket & { isPaused?: () => boolean }) | null;
    if (queue.length - head >= QUEUE_HIGH && socket && !socket.isPaused?.()) {
      // A burst: parsed stanzas would pile up in memory faster than the core takes them.
      readingPaused = true;
      socket.pause();
    }
  }
  const tick = setInterval(() => enqueue({ kind: "tick" }), TICK_MS);
  enqueue({ kind: "tick" });

  // Strings of its own first: what the room keeps of a stanza must not keep the read buffer it
  // came in; nor may the parser keep the whitespace between stanzas (unshare.ts).
  xmpp.on("stanza", (stanza: Element) => {
    dropStreamText((xmpp as { parser?: { root?: Element | null } | null }).parser?.root);
    enqueue({ kind: "stanza", stanza: unshareStrings(stanza) });
  });
  // While connecting, the retry loop reports failures; once online, errors are worth a line of their own.
  xmpp.on("error", (err: Error) => online && ops.connection.error(err));

  const connectOnce = async () => {
    await xmpp.connect(options.service);
    // Each batch leaves in one write already: Nagle's algorithm would only hold the last
    // segment of one back until the server's delayed ACK (tens of ms under load).
    (xmpp.socket as { setNoDelay?: (on: boolean) => unknown } | null)?.setNoDelay?.(true);
    let settle = { resolve: () => {}, reject: (_: Error) => {} };
    const authenticated = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    const onOnline = () => {
      online = true; // at once: a stanza the server sends right after the handshake must be answered
      settle.resolve();
    };
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
    let wasOnline = false;
    while (!stopping) {
      try {
        await connectOnce();
        online = true;
        delay = 500;
        ops.connection.online();
        // Back after being down: the server may have restarted and forgotten sessions; the core checks each (verify.ts).
        if (wasOnline) enqueue({ kind: "connection", online: true });
        wasOnline = true;
        for (const wake of onlineWaiters) wake();
        onlineWaiters = [];
        await new Promise((resolve) => xmpp.once("disconnect", resolve));
        online = false;
        if (!stopping) {
          ops.connection.disconnected();
          enqueue({ kind: "connection", online: false });
        }
      } catch (err) {
        online = false;
        const reason = (err as Error).message || (err as { condition?: string }).condition || String(err);
        ops.connection.failed(reason, delay);
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
    http,
    async stop() {
      stopping = true;
      await http?.stop();
      clearInterval(tick);
      // A batch waiting for a server that no longer reads gets 2 s, then is abandoned.
      for (const until = Date.now() + 2000; draining && Date.now() < until; ) await sleep(1);
      queue = [];
      head = 0;
      if ((options.onStop ?? "stay") === "leave") {
        const out = runtime.step({ kind: "shutdown" });
        await runtime.flush();
        if (online) output.send(out);
      } else await runtime.flush();
      await xmpp.stop().catch(() => {});
      await store.close();
      recorder?.close();
      ops.stop();
    },
  };
}

if (import.meta.main) {
  const command = parseArgs(process.argv.slice(2));
  if (command.action === "help") process.stdout.write(helpText());
  if (command.action === "version") console.log(`bun-muc ${VERSION}`);
  if (command.action === "replay") {
    try {
      process.stdout.write(replay(await Bun.file(command.file).text(), { reads: command.reads }).join("\n") + "\n");
    } catch (error) {
      console.error(`replay: ${(error as Error).message}`);
      process.exit(1);
    }
  }
  if (command.action === "refuse") console.error(`muc: ${command.message}`);
  if (command.action !== "run") process.exit(command.action === "refuse" ? 2 : 0);
  const parsed = parseEnv(process.env);
  const ops = parseOpsEnv(process.env);
  if (!parsed.ok || !ops.ok) {
    console.error(`configuration error: ${!parsed.ok ? parsed.error : !ops.ok ? ops.error : ""}`);
    process.exit(2);
  }
  const { settings } = parsed;
  const service = await startService({ ...settings, ...ops.ops, domain: settings.config.domain, config: settings.config, database: settings.database, onStop: settings.onStop });
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      void service.stop().finally(() => process.exit(0));
    });
}
