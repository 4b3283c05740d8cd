// Issue "Foundation", end to end: the real service (index.ts's startService) connected to a real
// server (Prosody and ejabberd, the same scenarios against each) as its external component,
// driven by real c2s clients. Joining and seeing each other, groupchat, same-account sessions
// merged under one nick, the errors of the basic protocol, service discovery, leaving (by
// presence and by disconnecting), a room ending with its last occupant, and the component
// connection itself (wrong secret, no server yet, server restart).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { freePort } from "../support/server.ts";
import { startServer, type XmppServer } from "../support/servers.ts";
import { connectUser } from "../support/client.ts";
import { startService, type RunningService } from "../../index.ts";
import {
  codes,
  condition,
  describeEachServer,
  isGroupchat,
  isPresence,
  item,
  join,
  joinPresence,
  leave,
  NS,
  sleep,
  sharedBed,
  withTimeout,
  xml,
  type Bed,
} from "./helpers.ts";

/** The service's disco#items: the JIDs of the rooms it lists. */
async function listedRooms(bed: Bed, asker: Awaited<ReturnType<Bed["user"]>>): Promise<string[]> {
  const res = await asker.iq(xml("iq", { type: "get", to: bed.domain }, xml("query", { xmlns: NS.discoItems })));
  expect(res.attrs.type).toBe("result");
  return res.getChild("query", NS.discoItems)!.getChildren("item").map((i) => i.attrs.jid);
}

describeEachServer("foundation: rooms, messages, leaving", (kind) => {
  const bed = sharedBed({}, { server: kind });

  test("two users join and see each other; owner gets 201 and 110; the empty subject comes last", async () => {
    const room = bed.room("meet");
    const alice = await bed.user("alice", "desk");
    const bob = await bed.user("bob", "laptop");

    const a = await join(alice, room, "Alice");
    // A new room: alice's own presence (201 created, 110 self), then the empty subject, nothing else.
    expect(a.stanzas.map((el) => el.name)).toEqual(["presence", "message"]);
    expect(a.self.attrs.from).toBe(`${room}/Alice`);
    expect(a.self.attrs.to).toBe(alice.jid);
    expect(a.self.attrs.type).toBeUndefined();
    expect(codes(a.self)).toEqual([201, 110]);
    expect(item(a.self)!.attrs).toEqual({ affiliation: "owner", role: "moderator", jid: alice.jid });
    const subject = a.stanzas.at(-1)!;
    expect(subject.attrs).toMatchObject({ from: room, type: "groupchat", to: alice.jid });
    expect(subject.getChildText("subject")).toBe("");
    expect(subject.getChild("body")).toBeUndefined();

    const b = await join(bob, room, "Bob");
    // bob: alice first, then himself (110, no 201: the room existed), then the subject last.
    expect(b.stanzas.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([
      `presence ${room}/Alice`,
      `presence ${room}/Bob`,
      `message ${room}`,
    ]);
    const aliceSeenByBob = b.stanzas[0]!;
    expect(codes(aliceSeenByBob)).toEqual([]);
    // Semi-anonymous room: bob, a participant, does not see alice's real JID.
    expect(item(aliceSeenByBob)!.attrs).toEqual({ affiliation: "owner", role: "moderator" });
    expect(codes(b.self)).toEqual([110]);
    expect(item(b.self)!.attrs).toEqual({ affiliation: "none", role: "participant", jid: bob.jid });
    expect(b.stanzas[2]!.getChildText("subject")).toBe("");

    // alice sees bob arrive, with his real JID (she is a moderator), and no status codes.
    const bobSeenByAlice = await alice.waitFor(isPresence(`${room}/Bob`));
    expect(codes(bobSeenByAlice)).toEqual([]);
    expect(item(bobSeenByAlice)!.attrs).toEqual({ affiliation: "none", role: "participant", jid: bob.jid });
    // and nothing else: no second presence, no subject replay
    await alice.expectNothing((el) => el.attrs.from?.startsWith(room) === true, 200);
  }, 10_000);

  test("groupchat messages reach every occupant, the sender too, from the occupant JID, with their id", async () => {
    const room = bed.room("talk");
    const alice = await bed.user("alice", "gc");
    const bob = await bed.user("bob", "gc");
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    await alice.waitFor(isPresence(`${room}/Bob`));

    await alice.send(xml("message", { to: room, type: "groupchat", id: "msg-a1" }, xml("body", {}, "hello from alice")));
    for (const [client, name] of [[alice, "alice"], [bob, "bob"]] as const) {
      const m = await client.waitFor(isGroupchat("hello from alice"));
      expect(m.attrs, name).toMatchObject({ from: `${room}/Alice`, to: client.jid, type: "groupchat", id: "msg-a1" });
    }

    await bob.send(xml("message", { to: room, type: "groupchat", id: "msg-b1" }, xml("body", {}, "hi alice")));
    for (const client of [alice, bob]) {
      const m = await client.waitFor(isGroupchat("hi alice"));
      expect(m.attrs).toMatchObject({ from: `${room}/Bob`, to: client.jid, type: "groupchat", id: "msg-b1" });
    }
    // each message exactly once per session
    await alice.expectNothing((el) => el.name === "message", 150);
    await bob.expectNothing((el) => el.name === "message", 0);
  }, 10_000);

  test("a second client of alice is merged under her nick (210 when it asked for another), bob sees no new occupant", async () => {
    const room = bed.room("merge");
    const desk = await bed.user("alice", "desk2");
    const phone = await bed.user("alice", "phone");
    const tablet = await bed.user("alice", "tablet");
    const bob = await bed.user("bob", "merge");
    await join(desk, room, "Alice");
    await join(bob, room, "Bob");
    await desk.waitFor(isPresence(`${room}/Bob`));

    // The phone asks for "AlicePhone" and is put under "Alice" instead: 210, and 110.
    const p = await join(phone, room, "AlicePhone");
    expect(p.self.attrs.from).toBe(`${room}/Alice`);
    expect(codes(p.self)).toEqual([210, 110]);
    expect(item(p.self)!.attrs).toMatchObject({ affiliation: "owner", role: "moderator", jid: phone.jid });
    expect(p.stanzas.map((el) => `${el.name} ${el.attrs.from}`)).toEqual([
      `presence ${room}/Bob`,
      `presence ${room}/Alice`,
      `message ${room}`,
    ]);
    expect(p.stanzas.some((el) => el.attrs.from === `${room}/AlicePhone`)).toBe(false);

    // The tablet asks for "Alice" itself: merged without 210.
    const t = await join(tablet, room, "Alice");
    expect(t.self.attrs.from).toBe(`${room}/Alice`);
    expect(codes(t.self)).toEqual([110]);

    // bob saw no newcomer, and no presence at all for these joins; nor did alice's first session.
    await bob.expectNothing((el) => el.name === "presence", 200);
    await desk.expectNothing((el) => el.name === "presence", 0);

    // A message from bob reaches all three of alice's sessions, and bob once.
    await bob.send(xml("message", { to: room, type: "groupchat", id: "to-all" }, xml("body", {}, "to every alice")));
    for (const client of [desk, phone, tablet, bob]) {
      const m = await client.waitFor(isGroupchat("to every alice"));
      expect(m.attrs).toMatchObject({ from: `${room}/Bob`, to: client.jid, id: "to-all" });
    }

    // One of alice's sessions leaving is not a departure for the room: it alone is told (110).
    const gone = await leave(phone, `${room}/Alice`);
    expect(item(gone)!.attrs).toMatchObject({ role: "none", jid: phone.jid });
    await bob.expectNothing((el) => el.name === "presence", 200);
    await desk.expectNothing((el) => el.name === "presence", 0);
    await tablet.expectNothing((el) => el.name === "presence", 0);
  }, 10_000);

  test("a taken nick from another account is a conflict, and the room does not hear of it", async () => {
    const room = bed.room("conflict");
    const bob = await bed.user("bob", "conflict");
    const carol = await bed.user("carol", "conflict");
    await join(bob, room, "Bob");

    await carol.send(joinPresence(`${room}/Bob`));
    const err = await carol.waitFor(isPresence(`${room}/Bob`, "error"));
    expect(err.attrs.to).toBe(carol.jid);
    expect(condition(err)).toBe("conflict");
    expect(err.getChild("error")!.attrs.type).toBe("cancel");
    // carol got no self-presence and no subject: she is not in
    await carol.expectNothing((el) => el.name === "message" || (el.name === "presence" && el.attrs.type !== "error"), 200);
    await bob.expectNothing((el) => el.name === "presence", 0);

    // A differently cased or spaced variant of the same nick is the same nick.
    await carol.send(joinPresence(`${room}/bob`));
    const err2 = await carol.waitFor(isPresence(`${room}/bob`, "error"));
    expect(condition(err2)).toBe("conflict");
  }, 10_000);

  test("a groupchat message from a non-occupant is refused with not-acceptable", async () => {
    const room = bed.room("outsider");
    const bob = await bed.user("bob", "outsider");
    const carol = await bed.user("carol", "outsider");
    await join(bob, room, "Bob");

    await carol.send(xml("message", { to: room, type: "groupchat", id: "sneak" }, xml("body", {}, "let me in")));
    const err = await carol.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(err.attrs).toMatchObject({ from: room, to: carol.jid, id: "sneak" });
    expect(condition(err)).toBe("not-acceptable");
    await bob.expectNothing((el) => el.name === "message", 200);
  }, 10_000);

  test("a message to the service's own domain is service-unavailable", async () => {
    const carol = await bed.user("carol", "svc");
    await carol.send(xml("message", { to: bed.domain, type: "chat", id: "hello-svc" }, xml("body", {}, "hello service")));
    const err = await carol.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(err.attrs).toMatchObject({ from: bed.domain, to: carol.jid, id: "hello-svc" });
    expect(condition(err)).toBe("service-unavailable");
  }, 10_000);

  test("disco#info on the service: a text conference service with the MUC feature", async () => {
    const carol = await bed.user("carol", "disco");
    const res = await carol.iq(xml("iq", { type: "get", to: bed.domain, id: "disco1" }, xml("query", { xmlns: NS.discoInfo })));
    expect(res.attrs).toMatchObject({ type: "result", from: bed.domain, id: "disco1" });
    const query = res.getChild("query", NS.discoInfo)!;
    const identities = query.getChildren("identity").map((i) => ({ ...i.attrs }));
    expect(identities).toEqual([{ category: "conference", type: "text", name: "Chatrooms" }]);
    const features = query.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(NS.muc);
    expect(features).toContain(NS.discoInfo);
  }, 10_000);

  test("leaving: the others see unavailable (with the farewell), the leaver its own 110", async () => {
    const room = bed.room("leave");
    const alice = await bed.user("alice", "leave");
    const bob = await bed.user("bob", "leave");
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    await alice.waitFor(isPresence(`${room}/Bob`));

    await bob.send(xml("presence", { to: `${room}/Bob`, type: "unavailable" }, xml("status", {}, "off to lunch")));
    const own = await bob.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(own.attrs.to).toBe(bob.jid);
    expect(codes(own)).toEqual([110]);
    expect(item(own)!.attrs).toEqual({ affiliation: "none", role: "none", jid: bob.jid });
    expect(own.getChildText("status")).toBe("off to lunch");

    const seen = await alice.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(codes(seen)).toEqual([]);
    expect(item(seen)!.attrs).toEqual({ affiliation: "none", role: "none", jid: bob.jid });
    expect(seen.getChildText("status")).toBe("off to lunch");

    // bob is out: his messages are refused now
    await bob.send(xml("message", { to: room, type: "groupchat", id: "late" }, xml("body", {}, "still here?")));
    const err = await bob.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(condition(err)).toBe("not-acceptable");
    await alice.expectNothing(isGroupchat("still here?"), 100);
  }, 10_000);

  test("a client that disconnects without leaving is removed (the server's unavailable), the others see it go", async () => {
    const room = bed.room("vanish");
    const alice = await bed.user("alice", "vanish");
    const dave = await connectUser(bed.server, "dave", "vanish");
    await join(alice, room, "Alice");
    await join(dave, room, "Dave");
    await alice.waitFor(isPresence(`${room}/Dave`));

    await dave.stop(); // closes the stream without an unavailable presence to the room
    const seen = await alice.waitFor(isPresence(`${room}/Dave`, "unavailable"));
    expect(codes(seen)).toEqual([]);
    expect(item(seen)!.attrs).toMatchObject({ role: "none" });
    // The room forgot him: the nick is free again for another account.
    const erin = await bed.user("erin", "vanish");
    const e = await join(erin, room, "Dave");
    expect(e.self.attrs.from).toBe(`${room}/Dave`);
    expect(item(e.self)!.attrs.jid).toBe(erin.jid);
    expect(bed.service.state().rooms.get(room)!.sessions.has(dave.jid)).toBe(false);
  }, 10_000);

  test("the last occupant leaving ends the room: disco#items stops listing it", async () => {
    const room = bed.room("ending");
    const alice = await bed.user("alice", "ending");
    const bob = await bed.user("bob", "ending");
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    expect(await listedRooms(bed, bob)).toContain(room);

    await leave(alice, `${room}/Alice`);
    await bob.waitFor(isPresence(`${room}/Alice`, "unavailable"));
    expect(await listedRooms(bed, bob)).toContain(room); // bob is still there

    await leave(bob, `${room}/Bob`);
    expect(await listedRooms(bed, bob)).not.toContain(room);
    expect(bed.service.state().rooms.get(room)).toBeUndefined();

    // Joining the name again creates a new room: 201 again, and bob is its owner now.
    const again = await join(bob, room, "Bob");
    expect(codes(again.self)).toEqual([201, 110]);
    expect(item(again.self)!.attrs.affiliation).toBe("owner");
  }, 10_000);

  test("a second service with a wrong secret says why (domain, server's answer), retries, never goes online", async () => {
    const lines: string[] = [];
    const service = `xmpp://127.0.0.1:${bed.server.componentPort}`;
    const wrong = await startService({ service, domain: bed.domain, password: "not-the-secret", log: (l) => lines.push(l) });
    let online = false;
    void wrong.online().then(() => (online = true));
    try {
      // attempts at about 0 s, 0.5 s, 1.5 s
      const deadline = Date.now() + 4000;
      while (lines.filter((l) => l.startsWith("cannot connect")).length < 2 && Date.now() < deadline) await sleep(50);
      const failures = lines.filter((l) => l.startsWith("cannot connect"));
      expect(failures.length).toBeGreaterThanOrEqual(2);
      // the server's answer, as each server words it
      const answer = { prosody: "not-authorized - Given token does not match calculated token", ejabberd: "not-authorized" }[kind];
      expect(failures[0]).toBe(`cannot connect to ${service} as ${bed.domain}: ${answer}; retrying in 0.5s`);
      expect(failures[1]).toContain("retrying in 1s"); // backing off
      expect(lines.some((l) => l.startsWith("online"))).toBe(false);
      expect(online).toBe(false);
      await bed.server.waitForLog(bed.server.logs.componentRefused);
    } finally {
      await wrong.stop();
    }
    // The real service was not disturbed by it.
    const carol = await bed.user("carol", "after-wrong");
    const ping = await carol.iq(xml("iq", { type: "get", to: bed.domain }, xml("ping", { xmlns: NS.ping })));
    expect(ping.attrs).toMatchObject({ type: "result", from: bed.domain });
  }, 10_000);
});

describeEachServer("foundation: the component connection comes and goes", (kind) => {
  let port: number;
  const secret = `secret-${crypto.randomUUID()}`;
  const lines: string[] = [];
  let service: RunningService | undefined;
  let server: XmppServer | undefined;

  beforeAll(async () => {
    port = await freePort();
  });

  afterAll(async () => {
    await service?.stop();
    await server?.stop();
  }, 10_000);

  const waitForLine = async (pattern: RegExp, from: number, ms = 5000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = lines.slice(from).find((l) => pattern.test(l));
      if (line) return line;
      if (Date.now() > deadline) throw new Error(`no service log line matching ${pattern}; lines:\n${lines.join("\n")}`);
      await sleep(25);
    }
  };

  /** Proves the service answers through this server: a client joins a fresh room. */
  const proveWorking = async (p: XmppServer, label: string) => {
    const client = await connectUser(p, "alice", label);
    try {
      const room = `${label}-${Date.now().toString(36)}@${p.componentDomain}`;
      const joined = await join(client, room, "Alice");
      expect(codes(joined.self)).toEqual([201, 110]);
    } finally {
      await client.stop();
    }
  };

  test("started while nothing listens: says it cannot connect, and comes online once the server starts there", async () => {
    const address = `xmpp://127.0.0.1:${port}`;
    service = await startService({ service: address, domain: "muc.localhost", password: secret, log: (l) => lines.push(l) });
    let online = false;
    void service.online().then(() => (online = true));
    const refused = await waitForLine(/^cannot connect/, 0, 3000);
    expect(refused).toStartWith(`cannot connect to ${address} as muc.localhost: `);
    expect(refused).toMatch(/ECONNREFUSED|refused/i);
    expect(refused).toMatch(/; retrying in \d+(\.\d+)?s$/);
    expect(online).toBe(false);

    server = await startServer(kind, { componentPort: port, secret });
    await withTimeout(service.online(), 6000, () => `not online after the server started; log:\n${lines.join("\n")}`);
    expect(lines.at(-1)).toBe(`online as muc.localhost via ${address}`);
    await proveWorking(server, "first");
  }, 15_000);

  test("the server restarted on the same port: the service notices, and reconnects by itself", async () => {
    expect(server).toBeDefined();
    const mark = lines.length;
    await server!.stop();
    server = undefined;
    await waitForLine(/^disconnected from /, mark, 3000);

    server = await startServer(kind, { componentPort: port, secret });
    await withTimeout(service!.online(), 8000, () => `not back online after the restart; log:\n${lines.join("\n")}`);
    expect(lines.slice(mark).at(-1)).toBe(`online as muc.localhost via xmpp://127.0.0.1:${port}`);
    await proveWorking(server, "second");
  }, 15_000);
});
