// What an operator sees of the running service from the outside: the metrics
// (served by http.ts), the health verdict, and the log lines about connections,
// limits and internal errors. index.ts wires this in at four places: the
// runtime's hooks, the store (wrapped to time and count its work), the
// connection loop, and the HTTP listener. Nothing here changes what the
// service does; the core knows nothing of it. Numbers about rooms, occupants
// and sessions are read from the core's state when scraped (O(rooms) per scrape).
import { createHmac } from "node:crypto";
import { VERSION } from "../disco.ts";
import type { Input, ServiceState } from "../service.ts";
import type { Read, Store, Write } from "../storage.ts";
import { attrOf, type Element } from "../stanza.ts";
import type { Logger } from "./log.ts";
import { LATENCY_BUCKETS, lagMonitor, Registry } from "./metrics.ts";
import type { Runtime } from "./runtime.ts";

const TYPES: Record<string, readonly string[]> = {
  message: ["normal", "chat", "groupchat", "headline", "error"],
  presence: ["available", "unavailable", "probe", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "error"],
  iq: ["get", "set", "result", "error"],
};
const DEFAULT_TYPE: Record<string, string> = { message: "normal", presence: "available" };

// One label object per kind, made once: counting a stanza allocates nothing. (Maps, not
// objects: a type attribute of "constructor" must not find Object's.)
const OTHER = Object.freeze({ stanza: "other", type: "other" });
const KINDS = new Map(
  Object.entries(TYPES).map(([name, types]) => [name, new Map([...types, "other"].map((type) => [type, Object.freeze({ stanza: name, type })]))]),
);

/** A stanza's kind as two bounded labels: a client picks the type attribute, so anything unknown is "other". */
export function stanzaKind(stanza: Element): Readonly<{ stanza: string; type: string }> {
  const kinds = KINDS.get(stanza.name);
  if (!kinds) return OTHER;
  const type = attrOf(stanza, "type") ?? DEFAULT_TYPE[stanza.name]!;
  return kinds.get(type) ?? kinds.get("other")!;
}

const INPUT_KINDS = new Map(["stanza", "read", "tick", "shutdown"].map((kind) => [kind, Object.freeze({ kind })]));

const CONDITIONS = new Set([
  "bad-request", "conflict", "feature-not-implemented", "forbidden", "gone", "internal-server-error", "item-not-found", "jid-malformed",
  "not-acceptable", "not-allowed", "not-authorized", "policy-violation", "recipient-unavailable", "redirect", "registration-required",
  "remote-server-not-found", "remote-server-timeout", "resource-constraint", "service-unavailable", "subscription-required",
  "undefined-condition", "unexpected-request",
]);

/** The defined condition (RFC 6120 §8.3.3) of an error stanza, and its type and text. */
export function errorOf(stanza: Element): { condition: string; type: string; text: string } | undefined {
  if (stanza.attrs.type !== "error") return undefined;
  const error = stanza.getChild("error");
  if (!error) return undefined;
  const named = error.getChildElements().find((c) => c.name !== "text" && CONDITIONS.has(c.name));
  return { condition: named?.name ?? "undefined-condition", type: (error.attrs.type as string) ?? "", text: error.getChildText("text") ?? "" };
}

/**
 * The service limits, recognised by the text the core gives with each refusal
 * (lib/service.ts, join.ts, nick.ts, room-avatar.ts). test/ops-observe.test.ts
 * provokes each one through the real core, so a reworded text fails there.
 */
const LIMITS: [RegExp, string][] = [
  [/^Stanzas are limited to /, "stanza-size"],
  [/^The room is being loaded/, "loading-queue"],
  [/^This room is full/, "room-occupants"],
  [/^Nicknames are limited to /, "nick-length"],
  [/vCard is limited to /, "vcard-size"],
];

/** Which limit an error stanza reports: a named limit, "rate" for a wait-type throttle, or undefined for an ordinary error. */
export function limitOf(stanza: Element): string | undefined {
  const error = errorOf(stanza);
  if (!error) return undefined;
  for (const [pattern, name] of LIMITS) if (pattern.test(error.text)) return name;
  // Rate limiting in XMPP is a wait-type policy-violation or resource-constraint (what Prosody and ejabberd send).
  if (error.type === "wait" && (error.condition === "policy-violation" || error.condition === "resource-constraint")) return "rate";
  return undefined;
}

const bareOf = (jid: string | undefined) => (jid ?? "").split("/")[0]!;

export interface Health {
  ok: boolean;
  /** One line: "ok", or why not. */
  reason: string;
}

export interface ObserverOptions {
  logger: Logger;
  state: () => ServiceState;
  service: string;
  domain: string;
  /** A bytes-so-far reading of the recorder, if recording. */
  recordedBytes?: () => number;
  /** Event-loop lag sampling period (ms). */
  lagIntervalMs?: number;
}

export type Connection = "connecting" | "online" | "offline";

export function createObserver(options: ObserverOptions) {
  const { logger, state } = options;
  const registry = new Registry();
  const started = Date.now();
  const lag = lagMonitor(options.lagIntervalMs);
  // Senders in log lines are a keyed digest: the same client gives the same value during one boot, and no JID.
  const key = crypto.getRandomValues(new Uint8Array(16));
  const who = (jid: string | undefined) => createHmac("sha256", key).update(jid ?? "").digest("hex").slice(0, 12);

  const m = {
    inputs: registry.counter("muc_inputs_total", "Inputs handed to the core, by kind (stanza, read, tick, shutdown).", true),
    stanzasIn: registry.counter("muc_stanzas_in_total", "Stanzas received from the server, by stanza and type.", true),
    stanzasOut: registry.counter("muc_stanzas_out_total", "Stanzas the core produced to send, by stanza and type.", true),
    errors: registry.counter("muc_errors_sent_total", "Error stanzas sent, by defined condition.", true),
    limits: registry.counter("muc_limit_refusals_total", "Stanzas refused because a service limit was reached, by limit.", true),
    rate: registry.counter("muc_rate_limit_refusals_total", "Stanzas refused by rate limiting (wait-type policy-violation or resource-constraint)."),
    internal: registry.counter("muc_internal_errors_total", "Inputs the core threw on (answered with internal-server-error)."),
    reads: registry.counter("muc_store_reads_total", "Reads the core asked storage for, by op.", true),
    writes: registry.counter("muc_store_writes_total", "Writes handed to storage, by op.", true),
    archive: registry.counter("muc_archive_writes_total", "Messages written to the archive."),
    archiveLatency: registry.histogram("muc_archive_write_seconds", "Time to apply a batch of writes that archives messages.", LATENCY_BUCKETS),
    commit: registry.histogram("muc_store_commit_seconds", "Time to commit a batch's writes.", LATENCY_BUCKETS),
    storeFailures: registry.counter("muc_store_failures_total", "Storage writes or commits that failed."),
    connects: registry.counter("muc_connects_total", "Times the component came online (authenticated)."),
    reconnects: registry.counter("muc_reconnects_total", "Times it came online again after having been online."),
    connectFailures: registry.counter("muc_connect_failures_total", "Connection attempts that failed."),
    disconnects: registry.counter("muc_disconnects_total", "Times an established connection was lost."),
  };
  let connection: Connection = "connecting";
  let lastConnectError = "";
  let everOnline = false;
  let storeError: string | undefined;

  registry.gauge("muc_connected", "1 while the component is connected and authenticated to the server.", () => (connection === "online" ? 1 : 0));
  registry.gauge("muc_rooms", "Rooms in memory, by kind.", () => {
    const counts = new Map<string, number>();
    for (const room of state().rooms.values()) {
      const k = `${room.config.persistent ? "persistent" : "temporary"}|${room.config.public ? "public" : "hidden"}|${room.config.whois === "anyone" ? "non-anonymous" : "semi-anonymous"}|${room.config.membersOnly ? "members-only" : "open"}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => {
      const [persistence, visibility, anonymity, membership] = k.split("|") as [string, string, string, string];
      return [{ persistence, visibility, anonymity, membership }, n];
    });
  });
  registry.gauge("muc_rooms_loading", "Rooms being read from storage.", () => state().loading.size);
  registry.gauge("muc_occupants", "Occupants (nicks) in all rooms in memory.", () => {
    let n = 0;
    for (const room of state().rooms.values()) n += room.occupants.size;
    return n;
  });
  registry.gauge("muc_sessions", "Client sessions (full JIDs) in all rooms in memory.", () => {
    let n = 0;
    for (const room of state().rooms.values()) n += room.sessions.size;
    return n;
  });
  registry.gauge("muc_event_loop_lag_seconds", "How late the latest event-loop probe timer fired.", () => lag.lag());
  registry.gauge("muc_event_loop_lag_max_seconds", "The largest event-loop lag seen since start.", () => lag.max());
  registry.gauge("process_resident_memory_bytes", "Resident set size.", () => process.memoryUsage().rss);
  registry.gauge("process_heap_bytes", "JavaScript heap in use.", () => process.memoryUsage().heapUsed);
  registry.gauge("process_start_time_seconds", "When the process started, seconds since the epoch.", () => Math.floor(started / 1000));
  registry.gauge("muc_build_info", "The running version (always 1).", () => [[{ version: VERSION }, 1]]);
  if (options.recordedBytes) registry.gauge("muc_record_bytes", "Bytes written to the MUC_RECORD file by this process.", options.recordedBytes);

  const countStanza = (counter: typeof m.stanzasIn, stanza: Element) => counter.inc(stanzaKind(stanza));

  /** The stanzas one input led to: counted, and a log line per limit hit. */
  function outputs(input: Input, out: readonly Element[]) {
    // The copies of a broadcast come one after another with the same name and type: counted as one run.
    // (stanzaKind depends on nothing else.)
    let first: Element | undefined;
    let run = 0;
    for (const stanza of out) {
      const type = attrOf(stanza, "type"); // not stanza.attrs: a broadcast's copies have none until read
      if (first !== undefined && stanza.name === first.name && type === attrOf(first, "type")) run++;
      else {
        if (first !== undefined) m.stanzasOut.inc(stanzaKind(first), run);
        first = stanza;
        run = 1;
      }
      if (type !== "error") continue;
      const error = errorOf(stanza);
      if (!error) continue;
      m.errors.inc({ condition: error.condition });
      const limit = limitOf(stanza);
      if (!limit) continue;
      if (limit === "rate") m.rate.inc();
      else m.limits.inc({ limit });
      // The refusal goes from the room (or occupant JID) to the sender's real JID: only the room at info level.
      const room = bareOf(stanza.attrs.from);
      const fields = { limit, condition: error.condition, room, stanza: stanza.name, sender: who(stanza.attrs.to) };
      logger.info("limit", `limit reached: ${limit} (${error.condition}) for a ${stanza.name} to ${room}`, fields);
      if (logger.enabled("debug") && input.kind === "stanza") logger.debug("limit-detail", `refused from ${stanza.attrs.to}: ${input.stanza}`, { jid: stanza.attrs.to });
    }
    if (first !== undefined) m.stanzasOut.inc(stanzaKind(first), run);
  }

  function instrumentStore<S extends Store>(store: S): Store {
    const failed = (what: string) => (error: unknown) => {
      m.storeFailures.inc();
      storeError = `${what} failed: ${(error as Error).message ?? error}`;
      logger.error("storage", `storage: ${storeError}`, { stack: (error as Error).stack });
    };
    return {
      read<R extends Read>(read: R) {
        m.reads.inc({ op: read.op });
        const answer = store.read(read);
        // A failed asynchronous read is told here (the runtime answers what waited for it); health is about writes.
        if (answer instanceof Promise)
          return answer.catch((error) => {
            m.storeFailures.inc();
            logger.error("storage", `storage: a ${read.op} read failed: ${(error as Error).message ?? error}`, { stack: (error as Error).stack });
            return Promise.reject(error);
          });
        return answer;
      },
      write(writes: readonly Write[]) {
        let archived = 0;
        for (const w of writes) {
          m.writes.inc({ op: w.op });
          if (w.op === "archive") archived++;
        }
        const t0 = performance.now();
        try {
          const done = store.write(writes);
          if (done instanceof Promise) return done.catch((e) => (failed("a write")(e), Promise.reject(e)));
          return done;
        } catch (error) {
          failed("a write")(error);
          throw error;
        } finally {
          if (archived > 0) {
            m.archive.inc(undefined, archived);
            m.archiveLatency.observe((performance.now() - t0) / 1000);
          }
        }
      },
      flush() {
        const t0 = performance.now();
        const ok = () => {
          m.commit.observe((performance.now() - t0) / 1000);
          storeError = undefined;
        };
        try {
          const done = store.flush();
          if (done instanceof Promise) return done.then(ok, (e) => (failed("a commit")(e), Promise.reject(e)));
          ok();
          return done;
        } catch (error) {
          failed("a commit")(error);
          throw error;
        }
      },
      close: () => store.close(),
    };
  }

  /** Whether storage takes writes now: the last commit worked, and the store's own probe (a no-op write) goes through. */
  function storageHealth(store: Store): string | undefined | Promise<string | undefined> {
    if (storeError) return storeError;
    return store.probe?.();
  }

  return {
    registry,
    render: () => registry.render(),

    onInput(input: Input) {
      m.inputs.inc(INPUT_KINDS.get(input.kind) ?? { kind: input.kind });
      if (input.kind === "stanza") countStanza(m.stanzasIn, input.stanza);
    },

    /** The runtime, with every step's outputs observed (and handed to `also`, for tests). */
    wrap(runtime: Runtime, also?: (input: Input, out: Element[]) => void): Runtime {
      return {
        state: () => runtime.state(),
        flush: () => runtime.flush(),
        step(input) {
          const out = runtime.step(input);
          outputs(input, out);
          also?.(input, out);
          return out;
        },
      };
    },

    onCrash(input: Input, error: unknown) {
      m.internal.inc();
      const err = error as Error;
      // Which stanza, without its body or its sender's real JID; those follow at debug level.
      const what = input.kind === "stanza"
        ? `a ${input.stanza.name}${input.stanza.attrs.type ? ` (type ${input.stanza.attrs.type})` : ""} to ${input.stanza.attrs.to}`
        : input.kind === "read" ? `the answer to a ${input.read.op} read` : `a ${input.kind}`;
      logger.error("internal-error", `internal error on ${what}: ${err?.message ?? err}`, {
        input: input.kind,
        ...(input.kind === "stanza" ? { stanza: input.stanza.name, type: input.stanza.attrs.type, id: input.stanza.attrs.id, to: input.stanza.attrs.to } : {}),
        error: err?.message ?? String(err),
        stack: err?.stack,
      });
      if (logger.enabled("debug") && input.kind === "stanza") logger.debug("internal-error-input", `the input was: ${input.stanza}`);
    },

    instrumentStore,

    connection: {
      state: () => connection,
      online() {
        connection = "online";
        m.connects.inc();
        if (everOnline) m.reconnects.inc();
        everOnline = true;
        lastConnectError = "";
        logger.info("online", `online as ${options.domain} via ${options.service}`, { domain: options.domain, service: options.service });
      },
      failed(reason: string, retryInMs: number) {
        connection = "offline";
        m.connectFailures.inc();
        lastConnectError = reason;
        logger.warn("connect-failed", `cannot connect to ${options.service} as ${options.domain}: ${reason}; retrying in ${retryInMs / 1000}s`, {
          domain: options.domain,
          service: options.service,
          reason,
          retryInSeconds: retryInMs / 1000,
        });
      },
      disconnected() {
        connection = "offline";
        m.disconnects.inc();
        lastConnectError = "the connection was lost";
        logger.warn("disconnected", `disconnected from ${options.service}; reconnecting`, { service: options.service });
      },
      error(error: Error) {
        logger.warn("connection-error", `connection error: ${error.message}`, { service: options.service, error: error.message });
      },
    },

    /** 200 or 503, and why. */
    /** Synchronous for a synchronous store (SQLite); a promise when the store's probe is one (PostgreSQL). */
    health(store: Store): Health | Promise<Health> {
      if (connection !== "online")
        return { ok: false, reason: `not connected to ${options.service}${lastConnectError ? `: ${lastConnectError}` : " yet"}` };
      const verdict = (storage: string | undefined): Health => (storage ? { ok: false, reason: `storage is not writable: ${storage}` } : { ok: true, reason: "ok" });
      const storage = storageHealth(store);
      return storage instanceof Promise ? storage.then(verdict) : verdict(storage);
    },

    stop: () => lag.stop(),
  };
}

export type Observer = ReturnType<typeof createObserver>;
