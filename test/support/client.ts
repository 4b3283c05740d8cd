// Test XMPP clients (c2s) for integration tests against the throwaway servers (./prosody.ts,
// ./ejabberd.ts).
//
// A TestClient logs in, sends nothing by itself (no initial presence), and records every stanza
// it receives in a queue that tests consume with waitFor()/iq(), or inspect with expectNothing().
// Like a real client it answers pings, and answers other incoming iq get/set with
// service-unavailable (pass { autoReply: false } to answer them in the test instead).
//
// @xmpp/client's client() always prefers SCRAM-SHA-1 when offered and gives no way to choose the
// mechanism, so the client is assembled here from the same @xmpp/* parts with exactly one SASL
// mechanism registered: PLAIN (unencrypted loopback, any password) or ANONYMOUS.
import { createRequire } from "node:module";
import xml from "@xmpp/xml";
import type { Element } from "@xmpp/xml"; // same element type as lib/stanza.ts
import type { XmppServer } from "./server.ts";

// Resolve @xmpp/client's own dependencies from its location, so the versions match it and we do
// not depend on how npm hoisted them.
const req = createRequire(Bun.resolveSync("@xmpp/client", import.meta.dir));
const { Client } = req("@xmpp/client-core");
const tcp = req("@xmpp/tcp");
const middleware = req("@xmpp/middleware");
const streamFeatures = req("@xmpp/stream-features");
const iqCaller = req("@xmpp/iq/caller");
const iqCallee = req("@xmpp/iq/callee");
const sasl = req("@xmpp/sasl");
const saslPlain = req("@xmpp/sasl-plain");
const saslAnonymous = req("@xmpp/sasl-anonymous");
const resourceBinding = req("@xmpp/resource-binding");
const sessionEstablishment = req("@xmpp/session-establishment");

export type { Element };

export type TestClient = {
  /** Full JID bound by the server, e.g. "alice@localhost/test". */
  jid: string;
  /** Bare JID, e.g. "alice@localhost". */
  bare: string;
  /** Every stanza received so far, consumed or not, in order. */
  received: Element[];
  send(el: Element): Promise<void>;
  /** Resolves with (and removes from the queue) the first received stanza matching predicate. */
  waitFor(predicate: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Waits `ms`, then rejects if any unconsumed stanza matches predicate. Consumes nothing. */
  expectNothing(predicate: (el: Element) => boolean, ms?: number): Promise<void>;
  /** Sends an iq (adding an id if missing) and resolves with its result OR error reply. */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** Closes the stream (no unavailable presence is sent first; the server broadcasts one). */
  stop(): Promise<void>;
  /** The underlying @xmpp/client-core Client, for anything not covered here. */
  xmpp: any;
};

export type ClientOptions = {
  /** Answer pings and reject other incoming iq get/set automatically (default true). */
  autoReply?: boolean;
  /** Log in with this password instead of TEST_PASSWORD (for accounts that exist already). */
  password?: string;
};

export { xml };

const show = (el: Element) => {
  const s = el.toString();
  return s.length > 600 ? `${s.slice(0, 600)}…` : s;
};

let counter = 0;

/** The password every test user logs in with (ejabberd registers the account with it). */
export const TEST_PASSWORD = "password";

async function connect(
  server: XmppServer,
  domain: string,
  mechanism: "PLAIN" | "ANONYMOUS",
  username: string | undefined,
  resource: string | undefined,
  opts: ClientOptions,
): Promise<TestClient> {
  const password = mechanism === "PLAIN" ? (opts.password ?? TEST_PASSWORD) : undefined; // no creds => ANONYMOUS
  if (mechanism === "PLAIN" && username && !opts.password) await server.ensureAccount(username, password!);
  const entity = new Client({ service: `xmpp://${server.host}:${server.c2sPort}`, domain });
  tcp({ entity });
  const mw = middleware({ entity });
  const features = streamFeatures({ middleware: mw });
  const caller = iqCaller({ middleware: mw, entity });
  if (opts.autoReply ?? true) {
    const callee = iqCallee({ middleware: mw, entity });
    callee.get("urn:xmpp:ping", "ping", () => true); // truthy non-element => empty result
  }
  const s = sasl({ streamFeatures: features }, { username, password });
  (mechanism === "PLAIN" ? saslPlain : saslAnonymous)(s);
  resourceBinding({ iqCaller: caller, streamFeatures: features }, resource);
  sessionEstablishment({ iqCaller: caller, streamFeatures: features });

  const received: Element[] = [];
  const queue: Element[] = [];
  const errors: string[] = [];
  const waiters: { predicate: (el: Element) => boolean; resolve: (el: Element) => void }[] = [];

  entity.on("stanza", (el: Element) => {
    received.push(el);
    const i = waiters.findIndex((w) => w.predicate(el));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(el);
    else queue.push(el);
  });
  entity.on("error", (err: Error) => errors.push(String(err?.message ?? err)));
  entity.on("offline", () => errors.push("connection went offline"));

  const label = () => `${username ?? "anonymous"} (${jid})`;
  const describeQueue = () => {
    const q = queue.length ? queue.map((el) => `  ${show(el)}`).join("\n") : "  (nothing)";
    const e = errors.length ? `\nconnection errors:\n  ${errors.join("\n  ")}` : "";
    return `unconsumed stanzas received by ${label()}:\n${q}${e}`;
  };

  const waitFor = (predicate: (el: Element) => boolean, timeoutMs = 3000): Promise<Element> => {
    const i = queue.findIndex(predicate);
    if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!);
    const err = new Error(); // captured here for a useful stack
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (el: Element) => {
          clearTimeout(timer);
          resolve(el);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        err.message = `waitFor timed out after ${timeoutMs}ms: ${predicate.toString()}\n${describeQueue()}`;
        reject(err);
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  const expectNothing = async (predicate: (el: Element) => boolean, ms = 300) => {
    await new Promise((r) => setTimeout(r, ms));
    const hit = queue.find(predicate);
    if (hit) throw new Error(`expected nothing matching ${predicate.toString()} but got:\n  ${show(hit)}`);
  };

  const iq = async (el: Element, timeoutMs = 5000) => {
    const id = (el.attrs.id ??= `t${++counter}-${Math.random().toString(36).slice(2, 8)}`);
    await entity.send(el);
    return waitFor(
      (r) => r.name === "iq" && r.attrs.id === id && (r.attrs.type === "result" || r.attrs.type === "error"),
      timeoutMs,
    );
  };

  let jid = "";
  try {
    jid = (await entity.start()).toString();
  } catch (e) {
    throw new Error(`login as ${username ?? "anonymous"}@${domain} failed: ${e}\n${errors.join("\n")}`);
  }
  // Forget the stanzas of the login itself (the resource-binding/session iq results).
  received.length = 0;
  queue.length = 0;

  return {
    jid,
    bare: jid.split("/")[0]!,
    received,
    send: (el) => entity.send(el),
    waitFor,
    expectNothing,
    iq,
    stop: async () => {
      entity.removeAllListeners("offline");
      await entity.stop().catch(() => {});
    },
    xmpp: entity,
  };
}

/** Logs in as username@localhost with SASL PLAIN (password TEST_PASSWORD) and binds `resource`. */
export function connectUser(
  server: XmppServer,
  username: string,
  resource?: string,
  opts: ClientOptions = {},
): Promise<TestClient> {
  return connect(server, server.domain, "PLAIN", username, resource, opts);
}

/** Logs in anonymously on anon.localhost (random JID); cheap for load tests. */
export function connectAnonymous(server: XmppServer, opts: ClientOptions = {}): Promise<TestClient> {
  return connect(server, server.anonDomain, "ANONYMOUS", undefined, undefined, opts);
}
