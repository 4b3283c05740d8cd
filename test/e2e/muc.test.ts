// End to end: the real component (index.ts's startService) on a real server (Prosody, then
// ejabberd: the same scenarios against each), driven by real @xmpp/client users. The reducer
// tests cover each rule; this proves the wiring and the everyday paths over the wire.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startService, type RunningService } from "../../index.ts";
import { connectUser, xml, type Element, type TestClient } from "../support/client.ts";
import { serversUnderTest, startServer, type XmppServer } from "../support/servers.ts";

const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";

const codes = (el: Element) => (el.getChild("x", MUC_USER)?.getChildren("status") ?? []).map((s) => s.attrs.code);
const from = (jid: string) => (el: Element) => el.attrs.from === jid;

for (const { kind, available } of serversUnderTest())
describe.skipIf(!available)(`the component on a real ${kind}`, () => {
  let server: XmppServer;
  let service: RunningService;
  const clients: TestClient[] = [];
  const logLines: string[] = [];
  let room: string;
  const user = async (name: string, resource?: string) => {
    const client = await connectUser(server, name, resource);
    clients.push(client);
    return client;
  };
  const enter = (client: TestClient, nick: string) => client.send(xml("presence", { to: `${room}/${nick}` }, xml("x", { xmlns: MUC })));

  beforeAll(async () => {
    server = await startServer(kind);
    service = await startService({
      service: `xmpp://127.0.0.1:${server.componentPort}`,
      domain: server.componentDomain,
      password: server.secret,
      log: (line) => logLines.push(line),
    });
    await service.online();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await service?.stop();
    await server?.stop();
  }, 15_000);

  test("join, see each other, talk, merge a second session, refuse a taken nick, leave", async () => {
    room = `garden@${server.componentDomain}`;
    const alice = await user("alice", "laptop");
    const bob = await user("bob");

    await enter(alice, "Alice");
    const created = await alice.waitFor(from(`${room}/Alice`));
    expect(codes(created)).toEqual(["201", "110"]);
    expect(created.getChild("x", MUC_USER)!.getChild("item")!.attrs).toMatchObject({ affiliation: "owner", role: "moderator" });
    const subject = await alice.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    expect(subject.attrs.from).toBe(room);

    await enter(bob, "Bob");
    const first = await bob.waitFor((el) => el.name === "presence");
    expect(first.attrs.from).toBe(`${room}/Alice`);
    expect(first.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBeUndefined(); // semi-anonymous
    expect(codes(await bob.waitFor(from(`${room}/Bob`)))).toEqual(["110"]);
    await bob.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    const bobSeen = await alice.waitFor(from(`${room}/Bob`));
    expect(bobSeen.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(bob.jid); // moderators see real JIDs

    await bob.send(xml("message", { to: room, type: "groupchat", id: "hello-1" }, xml("body", {}, "hi Alice")));
    for (const client of [alice, bob]) {
      const echo = await client.waitFor((el) => el.name === "message" && el.getChildText("body") === "hi Alice");
      expect(echo.attrs).toMatchObject({ from: `${room}/Bob`, id: "hello-1", type: "groupchat" });
    }

    const phone = await user("alice", "phone");
    await enter(phone, "AlicePhone");
    // The phone receives Bob, then itself under the account's nick, with 210 because it asked for another.
    expect((await phone.waitFor((el) => el.name === "presence")).attrs.from).toBe(`${room}/Bob`);
    expect(codes(await phone.waitFor(from(`${room}/Alice`)))).toEqual(["210", "110"]);
    await bob.expectNothing((el) => el.name === "presence", 300);

    const carol = await user("carol");
    await enter(carol, "bob");
    const conflict = await carol.waitFor((el) => el.name === "presence" && el.attrs.type === "error");
    expect(conflict.getChild("error")!.getChild("conflict")).toBeDefined();

    const stranger = await carol.iq(xml("iq", { type: "get", to: room }, xml("ping", "urn:xmpp:ping")));
    expect(stranger.attrs.type).toBe("result");
    await carol.send(xml("message", { to: room, type: "groupchat", id: "x" }, xml("body", {}, "let me in")));
    const refused = await carol.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(refused.getChild("error")!.getChild("not-acceptable")).toBeDefined();

    await bob.send(xml("presence", { to: `${room}/Bob`, type: "unavailable" }));
    const gone = await bob.waitFor((el) => el.attrs.from === `${room}/Bob` && el.attrs.type === "unavailable");
    expect(codes(gone)).toEqual(["110"]);
    await alice.waitFor((el) => el.attrs.from === `${room}/Bob` && el.attrs.type === "unavailable");
  }, 20_000);

  test("occupant protocol: presence update, nick change, private message, self-ping, IQ forwarding", async () => {
    room = `balcony@${server.componentDomain}`;
    const romeo = await user("romeo");
    const juliet = await user("juliet");
    await enter(romeo, "Romeo");
    await romeo.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    await enter(juliet, "Juliet");
    await juliet.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    await romeo.waitFor(from(`${room}/Juliet`));

    await juliet.send(xml("presence", { to: `${room}/Juliet` }, xml("show", {}, "away")));
    expect((await romeo.waitFor(from(`${room}/Juliet`))).getChildText("show")).toBe("away");

    await juliet.send(xml("presence", { to: `${room}/Capulet` }));
    const left = await romeo.waitFor(from(`${room}/Juliet`));
    expect(left.attrs.type).toBe("unavailable");
    expect(codes(left)).toEqual(["303"]);
    expect(left.getChild("x", MUC_USER)!.getChild("item")!.attrs.nick).toBe("Capulet");
    await romeo.waitFor(from(`${room}/Capulet`));
    const ownLeft = await juliet.waitFor((el) => el.attrs.from === `${room}/Juliet` && el.attrs.type === "unavailable");
    expect(codes(ownLeft)).toEqual(["303", "110"]);
    expect(codes(await juliet.waitFor(from(`${room}/Capulet`)))).toEqual(["110"]);

    await romeo.send(xml("message", { to: `${room}/Capulet`, type: "chat", id: "pm1" }, xml("body", {}, "psst")));
    const pm = await juliet.waitFor((el) => el.name === "message" && el.getChildText("body") === "psst");
    expect(pm.attrs.from).toBe(`${room}/Romeo`);
    expect(pm.getChild("x", MUC_USER)).toBeDefined();

    const selfPing = await juliet.iq(xml("iq", { type: "get", to: `${room}/Capulet` }, xml("ping", "urn:xmpp:ping")));
    expect(selfPing.attrs.type).toBe("result");

    // Juliet's client answers a version query forwarded from Romeo (TestClient answers with an error by default).
    const answer = await romeo.iq(xml("iq", { type: "get", to: `${room}/Capulet`, id: "v1" }, xml("query", "jabber:iq:version")));
    expect(answer.attrs).toMatchObject({ from: `${room}/Capulet`, id: "v1", type: "error" });

    await juliet.send(xml("presence", { to: `${room}/Capulet`, type: "unavailable" }));
    await juliet.waitFor((el) => el.attrs.from === `${room}/Capulet` && el.attrs.type === "unavailable");
    const after = await juliet.iq(xml("iq", { type: "get", to: `${room}/Capulet` }, xml("ping", "urn:xmpp:ping")));
    expect(after.getChild("error")!.getChild("not-acceptable")).toBeDefined();
  }, 20_000);

  test("a client that disconnects is removed; the last one leaving ends the room", async () => {
    const dora = await user("dora");
    const eve = await user("eve");
    room = `kitchen@${server.componentDomain}`;
    await enter(dora, "Dora");
    await dora.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    await enter(eve, "Eve");
    await eve.waitFor((el) => el.name === "message" && el.getChild("subject") !== undefined);
    await eve.stop(); // no unavailable from the client: the server sends one for it
    await dora.waitFor((el) => el.attrs.from === `${room}/Eve` && el.attrs.type === "unavailable");
    await dora.send(xml("presence", { to: `${room}/Dora`, type: "unavailable" }));
    await dora.waitFor((el) => el.attrs.from === `${room}/Dora` && el.attrs.type === "unavailable");
    const items = await dora.iq(xml("iq", { type: "get", to: server.componentDomain }, xml("query", "http://jabber.org/protocol/disco#items")));
    const listed = items.getChild("query")!.getChildren("item").map((i) => i.attrs.jid);
    expect(listed).not.toContain(room);
  }, 20_000);

  test("the service domain: disco#info, and an error for messages", async () => {
    const frank = await user("frank");
    const info = await frank.iq(xml("iq", { type: "get", to: server.componentDomain }, xml("query", "http://jabber.org/protocol/disco#info")));
    expect(info.getChild("query")!.getChild("identity")!.attrs).toMatchObject({ category: "conference", type: "text" });
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(MUC);
    await frank.send(xml("message", { to: server.componentDomain, id: "svc" }, xml("body", {}, "hello service")));
    const error = await frank.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(error.getChild("error")!.getChild("service-unavailable")).toBeDefined();
  }, 10_000);

  test("a wrong secret is reported clearly and retried, never online", async () => {
    const lines: string[] = [];
    const wrong = await startService({
      service: `xmpp://127.0.0.1:${server.componentPort}`,
      domain: server.componentDomain,
      password: "not-the-secret",
      log: (line) => lines.push(line),
    });
    let online = false;
    void wrong.online().then(() => (online = true));
    await Bun.sleep(1800);
    await wrong.stop();
    expect(online).toBe(false);
    const failures = lines.filter((l) => l.includes("cannot connect") && l.includes(server.componentDomain) && l.includes("not-authorized"));
    expect(failures.length).toBeGreaterThanOrEqual(2); // it kept retrying
  }, 10_000);
});
