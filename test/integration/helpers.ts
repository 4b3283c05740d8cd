// Shared by the integration tests: a real XMPP server (Prosody or ejabberd) with the real
// service (index.ts's startService) connected to it as its component, real c2s clients, and
// small readers for the MUC stanzas the tests assert on.
import { afterAll, beforeAll, describe } from "bun:test";
import { connectUser, xml, type ClientOptions, type Element, type TestClient } from "../support/client.ts";
import { prosodyAvailable } from "../support/prosody.ts";
import { serversUnderTest, startServer, type ServerKind, type XmppServer } from "../support/servers.ts";
import { startService, type RunningService } from "../../index.ts";
import type { ServiceConfig } from "../../lib/context.ts";

export { xml, type Element, type ServerKind, type TestClient, type XmppServer };

export const NS = {
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  delay: "urn:xmpp:delay",
  ping: "urn:xmpp:ping",
  version: "jabber:iq:version",
  data: "jabber:x:data",
} as const;

/**
 * `describe(title (server), body)` once for every server MUC_TEST_SERVERS picks (default: Prosody
 * and ejabberd), skipped where that server is not installed (a failure when CI is set): the
 * same scenarios against each.
 */
export function describeEachServer(title: string, body: (kind: ServerKind) => void): void {
  for (const { kind, available } of serversUnderTest()) describe.skipIf(!available)(`${title} (${kind})`, () => body(kind));
}

/** Whether the Prosody-only integration tests run: Prosody on PATH, or a loud failure when CI is set. */
export function integrationAvailable(): boolean {
  const available = prosodyAvailable();
  if (!available) {
    if (process.env.CI) throw new Error("prosody is not on PATH, but CI is set: integration tests cannot run");
    console.warn("SKIPPING MUC integration tests: `prosody` is not on PATH (apt-get install -y prosody)");
  }
  return available;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One server and one service for a test file, and every client it opened (stopped in close()). */
export type Bed = {
  server: XmppServer;
  /** The same as `server` (the name from when it was always Prosody). */
  prosody: XmppServer;
  service: RunningService;
  domain: string;
  /** Every line the service logged. */
  logs: string[];
  user(name: string, resource?: string, opts?: ClientOptions): Promise<TestClient>;
  /** A fresh room JID, unique within the run. */
  room(label: string): string;
  close(): Promise<void>;
};

let rooms = 0;

export type BedOptions = {
  /** Which XMPP server to run the service behind; default Prosody. */
  server?: ServerKind;
};

export async function startBed(config: Partial<ServiceConfig> = {}, options: BedOptions = {}): Promise<Bed> {
  const server = await startServer(options.server ?? "prosody");
  const logs: string[] = [];
  let service: RunningService | undefined;
  try {
    const logFrom = server.log().length;
    service = await startService({
      service: `xmpp://127.0.0.1:${server.componentPort}`,
      domain: server.componentDomain,
      password: server.secret,
      config,
      log: (line) => logs.push(line),
    });
    const running = service;
    await withTimeout(service.online(), 5000, () => `the service did not come online; its log:\n${logs.join("\n")}`);
    await server.waitForLog(server.logs.componentAuthenticated, 5000, logFrom);
    const clients: TestClient[] = [];
    const tag = Date.now().toString(36);
    return {
      server,
      prosody: server,
      service: running,
      domain: server.componentDomain,
      logs,
      async user(name, resource, opts) {
        const client = await connectUser(server, name, resource, opts);
        clients.push(client);
        return client;
      },
      room: (label) => `${label}-${tag}-${++rooms}@${server.componentDomain}`,
      async close() {
        await Promise.all(clients.map((c) => c.stop()));
        await running.stop();
        await server.stop();
      },
    };
  } catch (e) {
    await service?.stop();
    await server.stop();
    throw e;
  }
}

/**
 * One bed for a whole describe block: started before its first test, closed after its last.
 * Returns it as a stand-in that reads through to the started bed (use it inside tests only).
 */
export function sharedBed(config: Partial<ServiceConfig> = {}, options: BedOptions = {}): Bed {
  let bed: Bed | undefined;
  beforeAll(async () => {
    bed = await startBed(config, options);
  }, 30_000);
  afterAll(async () => {
    await bed?.close();
  }, 10_000);
  return new Proxy({} as Bed, {
    get: (_, key) => {
      if (!bed) throw new Error("the test bed is not started yet (use it inside a test)");
      return bed[key as keyof Bed];
    },
  });
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- reading stanzas ----

/** The muc#user <x/> of a presence or message. */
export const mucX = (el: Element) => el.getChild("x", NS.mucUser);
/** The status codes of a muc#user <x/>, as numbers, in document order. */
export const codes = (el: Element): number[] => (mucX(el)?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));
/** The <item/> of a muc#user <x/>. */
export const item = (el: Element) => mucX(el)?.getChild("item");
/** The defined condition of an error stanza. */
export const condition = (el: Element) =>
  el.getChild("error")?.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.name !== "text")?.name;

export const isPresence = (from: string, type?: "unavailable" | "error") => (el: Element) =>
  el.name === "presence" && el.attrs.from === from && el.attrs.type === type;
/** From the room itself or one of its occupant JIDs. */
export const fromRoom = (room: string) => (el: Element) => el.attrs.from === room || !!el.attrs.from?.startsWith(`${room}/`);
export const isSubject = (room: string) => (el: Element) =>
  el.name === "message" && fromRoom(room)(el) && el.getChild("subject") !== undefined && !el.getChild("body");
export const isGroupchat = (body: string) => (el: Element) =>
  el.name === "message" && el.attrs.type === "groupchat" && el.getChildText("body") === body;

/** The join presence: <presence to='room/nick'><x xmlns='…muc'>[children]</x></presence>. */
export function joinPresence(occupantJid: string, ...children: Element[]): Element {
  return xml("presence", { to: occupantJid }, xml("x", { xmlns: NS.muc }, ...children));
}

export type Joined = {
  /** The joiner's own presence (with 110). */
  self: Element;
  /** Everything the room sent this session for the join, in the order it arrived, subject last. */
  stanzas: Element[];
};

/**
 * `client` joins `room` as `nick` and waits for the end of the join (the subject message).
 * Returns what the room sent it; those stanzas are consumed from the client's queue.
 */
export async function join(client: TestClient, room: string, nick: string, ...children: Element[]): Promise<Joined> {
  const start = client.received.length;
  await client.send(joinPresence(`${room}/${nick}`, ...children));
  const subject = await client.waitFor(isSubject(room));
  const end = client.received.indexOf(subject);
  const stanzas = client.received.slice(start, end + 1).filter(fromRoom(room));
  // consume the join's stanzas so later waitFor calls see only what follows
  for (const el of stanzas) if (el !== subject) await client.waitFor((x) => x === el, 10).catch(() => {});
  const self = stanzas.find((el) => el.name === "presence" && codes(el).includes(110));
  if (!self) throw new Error(`no self-presence (110) in the join of ${client.jid}:\n${stanzas.map(String).join("\n")}`);
  return { self, stanzas };
}

/** Lets the occupant leave and waits for its own unavailable presence (110). */
export async function leave(client: TestClient, occupantJid: string): Promise<Element> {
  await client.send(xml("presence", { to: occupantJid, type: "unavailable" }));
  return client.waitFor((el) => isPresence(occupantJid, "unavailable")(el) && codes(el).includes(110));
}

/**
 * The owner's room configuration form, submitted (XEP-0045 §10.2), as an IQ to send: field var →
 * its value (or values, for list-multi and jid-multi fields).
 */
export function roomConfig(room: string, fields: Record<string, string | string[]>): Element {
  const values = (v: string | string[]) => (Array.isArray(v) ? v : [v]).map((value) => xml("value", {}, value));
  return xml(
    "iq",
    { to: room, type: "set" },
    xml(
      "query",
      { xmlns: "http://jabber.org/protocol/muc#owner" },
      xml(
        "x",
        { xmlns: NS.data, type: "submit" },
        xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig")),
        ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, ...values(value))),
      ),
    ),
  );
}
