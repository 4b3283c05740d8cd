// Rooms that survive, end to end: the real service as its own process (`bun run index.ts`)
// on a real Prosody with an SQLite file, killed with SIGKILL between steps and started again;
// and Prosody itself killed and restarted under a running service. Rooms, configuration,
// members, bans (with their reason), subject, avatar, archive and occupant-ids are intact,
// nobody hears of a departure, and no message anyone received is lost.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { connectUser } from "../support/client.ts";
import { startProsody, type Prosody } from "../support/prosody.ts";
import { codes, condition, fromRoom, integrationAvailable, isSubject, item, join, NS as BASE_NS, roomConfig, sleep, xml, type Element, type TestClient } from "./helpers.ts";
import { killProsody, startServiceProcess, type ServiceProcess } from "./service-process.ts";

const NS = {
  ...BASE_NS,
  mucOwner: "http://jabber.org/protocol/muc#owner",
  mam: "urn:xmpp:mam:2",
  rsm: "http://jabber.org/protocol/rsm",
  forward: "urn:xmpp:forward:0",
  sid: "urn:xmpp:sid:0",
  occupantId: "urn:xmpp:occupant-id:0",
  vcard: "vcard-temp",
  vcardUpdate: "vcard-temp:x:update",
};

const available = integrationAvailable();
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const occupantId = (el: Element) => el.getChild("occupant-id", NS.occupantId)?.attrs.id as string | undefined;
const stanzaId = (el: Element) => el.getChild("stanza-id", NS.sid)?.attrs.id as string | undefined;

const configure = roomConfig;

function affiliate(room: string, jid: string, affiliation: string, reason?: string): Element {
  return xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid, affiliation }, ...(reason ? [xml("reason", {}, reason)] : []))));
}

let queries = 0;

/** Every archived message of `room`, paging forward 50 at a time: [stanza-id, body] in order. */
async function archive(client: TestClient, room: string): Promise<[string, string][]> {
  const all: [string, string][] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const queryid = `q${++queries}`;
    const set = xml("set", { xmlns: NS.rsm }, xml("max", {}, "50"), ...(after ? [xml("after", {}, after)] : []));
    const fin = await client.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.mam, queryid }, set)));
    if (fin.attrs.type !== "result") throw new Error(`MAM query failed: ${fin}`);
    // The results arrive before the <fin/> on the same stream.
    for (const m of client.received) {
      const r = m.name === "message" ? m.getChild("result", NS.mam) : undefined;
      if (r?.attrs.queryid === queryid) all.push([r.attrs.id, r.getChild("forwarded", NS.forward)!.getChild("message")!.getChildText("body") ?? ""]);
    }
    const finEl = fin.getChild("fin", NS.mam)!;
    after = finEl.getChild("set", NS.rsm)?.getChildText("last") ?? undefined;
    if (finEl.attrs.complete === "true") break;
  }
  return all;
}

describe.skipIf(!available)("rooms that survive", () => {
  let prosody: Prosody;
  let dir: string;
  let database: string;
  let service: ServiceProcess | undefined;
  // The burst test sends 400 messages at once: what it tests is durability, not the rate limit (limits.test.ts).
  const BURSTY = { MUC_RATE_GROUPCHAT_BURST: "100000" };
  const clients: TestClient[] = [];
  const user = async (name: string) => {
    const c = await connectUser(prosody, name);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    prosody = await startProsody();
    dir = mkdtempSync(joinPath(tmpdir(), "muc-persist-"));
    database = joinPath(dir, "muc.sqlite");
    service = await startServiceProcess(prosody, database, BURSTY);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await service?.kill();
    await prosody?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  test("the service killed with SIGKILL: the room, its configuration, members, ban, subject, avatar, archive and occupant-ids are intact", async () => {
    const room = `verona@${prosody.componentDomain}`;
    const [alice, bob, carol, eve] = [await user("alice"), await user("bob"), await user("carol"), await user("eve")];

    const created = await join(alice, room, "Alice");
    expect(codes(created.self)).toContain(201);
    const aliceId = occupantId(created.self)!;
    for (const request of [
      configure(room, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_membersonly": "1", "muc#roomconfig_roomname": "Verona" }),
      affiliate(room, bob.bare, "member"),
      affiliate(room, eve.bare, "outcast", "Spreads rumours"),
      xml("iq", { to: room, type: "set" }, xml("vCard", { xmlns: NS.vcard }, xml("PHOTO", {}, xml("TYPE", {}, "image/png"), xml("BINVAL", {}, PNG)))),
    ])
      expect((await alice.iq(request)).attrs.type).toBe("result");
    const bobJoin = await join(bob, room, "Bob");
    const bobId = occupantId(bobJoin.self)!;
    await alice.send(xml("message", { to: room, type: "groupchat" }, xml("subject", {}, "Two households")));
    await bob.waitFor(isSubject(room));
    await alice.waitFor(isSubject(room));
    const ids: string[] = [];
    for (const [client, body] of [[alice, "Both alike in dignity"], [bob, "In fair Verona"]] as const) {
      await client.send(xml("message", { to: room, type: "groupchat", id: body }, xml("body", {}, body)));
      const copy = await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === body);
      ids.push(stanzaId(copy)!);
    }

    await service!.kill();
    service = await startServiceProcess(prosody, database, BURSTY);

    // Nobody heard of a departure, and the clients are still in the room: their self-pings (XEP-0410)
    // succeed, and the room's own checks of each session (verify.ts) find them there.
    const ping = await alice.iq(xml("iq", { to: `${room}/Alice`, type: "get" }, xml("ping", { xmlns: NS.ping })));
    expect(ping.attrs.type).toBe("result");
    await bob.waitFor((iq) => iq.name === "iq" && iq.attrs.from === room && iq.getChild("ping", NS.ping) !== undefined, 5000);
    await bob.expectNothing((el) => el.name === "presence" && el.attrs.type === "unavailable" && fromRoom(room)(el), 1500);
    await alice.send(xml("message", { to: room, type: "groupchat", id: "after" }, xml("body", {}, "Still here")));
    await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === "Still here");
    await alice.waitFor((m) => m.name === "message" && m.getChildText("body") === "Still here");

    const rejoined = await join(alice, room, "Alice");
    expect(codes(rejoined.self)).not.toContain(201);
    expect(item(rejoined.self)!.attrs.affiliation).toBe("owner");
    expect(occupantId(rejoined.self)).toBe(aliceId);
    expect(rejoined.stanzas[0]!.attrs.from).toBe(room); // the room's avatar presence comes first
    expect(rejoined.stanzas[0]!.getChild("x", NS.vcardUpdate)!.getChildText("photo")).toMatch(/^[0-9a-f]{40}$/);
    const history = rejoined.stanzas.filter((m) => m.name === "message" && m.getChild("body"));
    expect(history.map((m) => m.getChildText("body"))).toEqual(["Both alike in dignity", "In fair Verona", "Still here"]);
    expect(history.map(stanzaId).slice(0, 2)).toEqual(ids);
    expect(history.map(occupantId)).toEqual([aliceId, bobId, aliceId]);
    expect(rejoined.stanzas.at(-1)!.getChildText("subject")).toBe("Two households");

    const bobAgain = await join(bob, room, "Bob");
    expect(item(bobAgain.self)!.attrs.affiliation).toBe("member");
    expect(occupantId(bobAgain.self)).toBe(bobId);
    // members-only, and the ban, still hold
    await carol.send(xml("presence", { to: `${room}/Carol` }, xml("x", { xmlns: NS.muc })));
    expect(condition(await carol.waitFor((p) => p.name === "presence" && p.attrs.type === "error"))).toBe("registration-required");
    await eve.send(xml("presence", { to: `${room}/Eve` }, xml("x", { xmlns: NS.muc })));
    expect(condition(await eve.waitFor((p) => p.name === "presence" && p.attrs.type === "error"))).toBe("forbidden");
    const outcasts = await alice.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "outcast" }))));
    const banned = outcasts.getChild("query")!.getChildren("item");
    expect(banned.map((i) => [i.attrs.jid, i.getChildText("reason")])).toEqual([[eve.bare, "Spreads rumours"]]);
    // the archive
    expect((await archive(bob, room)).map(([, body]) => body)).toEqual(["Both alike in dignity", "In fair Verona", "Still here"]);
    expect((await archive(bob, room)).slice(0, 2).map(([id]) => id)).toEqual(ids);
    const info = await carol.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.discoInfo })));
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(["muc_persistent", "muc_membersonly", NS.mam, NS.sid, NS.occupantId]));
  }, 30_000);

  test("kill -9 right after a burst: every message anyone received is in the archive", async () => {
    const room = `burst@${prosody.componentDomain}`;
    const [alice, bob] = [await user("alice2"), await user("bob2")];
    await join(alice, room, "Alice");
    expect((await alice.iq(configure(room, { "muc#roomconfig_persistentroom": "1" }))).attrs.type).toBe("result");
    await join(bob, room, "Bob");

    const total = 400;
    for (let i = 0; i < total; i++) void alice.send(xml("message", { to: room, type: "groupchat", id: `b${i}` }, xml("body", {}, `burst ${i}`)));
    await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === "burst 40", 10_000);
    await service!.kill();
    await sleep(300); // whatever was already on its way reaches bob
    const received = bob.received.filter((m) => m.name === "message" && m.getChildText("body")?.startsWith("burst "));
    const receivedIds = received.map((m) => stanzaId(m)!);
    expect(receivedIds.length).toBeGreaterThan(40);

    service = await startServiceProcess(prosody, database, BURSTY);
    await join(bob, room, "Bob", xml("history", { maxstanzas: "0" }));
    const archived = new Map(await archive(bob, room));
    const lost = receivedIds.filter((id) => !archived.has(id));
    expect(lost).toEqual([]);
    // and what was archived is in order, each once
    const bodies = [...archived.values()];
    expect(bodies).toEqual(bodies.map((_, i) => `burst ${i}`));
  }, 40_000);

  for (const how of ["killed with SIGKILL", "stopped cleanly"] as const)
    test(`Prosody ${how} and started again: the occupants it forgot are removed (333), those who came back stay`, async () => {
      const room = `ghosts-${how.split(" ")[0]}@${prosody.componentDomain}`;
      const [alice, bob] = [await user(`ghost-alice-${how.length}`), await user(`ghost-bob-${how.length}`)];
      await join(alice, room, "Alice");
      expect((await alice.iq(configure(room, { "muc#roomconfig_whois": "anyone", "muc#roomconfig_persistentroom": "1" }))).attrs.type).toBe("result");
      await join(bob, room, "Bob");
      const { componentPort, secret } = prosody;
      if (how === "killed with SIGKILL") killProsody(prosody);
      await prosody.stop();
      clients.splice(0).forEach((c) => void c.stop().catch(() => {}));
      prosody = await startProsody({ componentPort, secret });
      await prosody.waitForLog("External component successfully authenticated", 45_000); // the service retries with backoff (up to 30 s between tries)
      // Bob comes back (as a client does after its server restarted); Alice does not.
      const back = await user(bob.bare.split("@")[0]!);
      const rejoined = await join(back, room, "Bob");
      // Killed, Prosody told nobody: Alice stays a ghost until the room's checks find her gone (333).
      // Stopped cleanly, Prosody sent her unavailable presence on its way down. Either way she is
      // gone within seconds; the room lists its occupants (non-anonymous), so Bob can watch.
      if (rejoined.stanzas.some((p) => p.attrs.from === `${room}/Alice`)) {
        const gone = await back.waitFor((p) => p.name === "presence" && p.attrs.from === `${room}/Alice` && p.attrs.type === "unavailable", 15_000);
        expect(codes(gone)).toContain(333);
      }
      const occupants = async () =>
        (await back.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.discoItems })))).getChild("query")!.getChildren("item").map((i) => i.attrs.name);
      expect(await occupants()).toEqual(["Bob"]);
      // Bob's old session was a ghost too: it goes silently (his account is still in the room through the new one).
      await back.expectNothing((p) => p.name === "presence" && p.attrs.from === `${room}/Bob` && p.attrs.type === "unavailable", 1000);
      const ping = await back.iq(xml("iq", { to: `${room}/Bob`, type: "get" }, xml("ping", { xmlns: NS.ping })));
      expect(ping.attrs.type).toBe("result");
    }, 70_000);

  test("Prosody killed with SIGKILL and started again: the service reconnects, and the room and its archive are there", async () => {
    const room = `crash@${prosody.componentDomain}`;
    const alice = await user("alice3");
    const created = await join(alice, room, "Alice");
    expect((await alice.iq(configure(room, { "muc#roomconfig_persistentroom": "1" }))).attrs.type).toBe("result");
    await alice.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, "before the crash")));
    await alice.waitFor((m) => m.getChildText("body") === "before the crash");

    const { componentPort, secret } = prosody;
    killProsody(prosody);
    await prosody.stop(); // it is dead already: this removes its temp dir
    clients.splice(0).forEach((c) => void c.stop().catch(() => {}));
    prosody = await startProsody({ componentPort, secret });
    await prosody.waitForLog("External component successfully authenticated", 45_000); // the service retries with backoff (up to 30 s between tries)

    const back = await user("alice3");
    const rejoined = await join(back, room, "Alice");
    expect(codes(rejoined.self)).not.toContain(201);
    expect(item(rejoined.self)!.attrs.affiliation).toBe("owner");
    expect(occupantId(rejoined.self)).toBe(occupantId(created.self));
    expect(rejoined.stanzas.filter((m) => m.getChild("body")).map((m) => m.getChildText("body"))).toEqual(["before the crash"]);
    expect((await archive(back, room)).map(([, body]) => body)).toEqual(["before the crash"]);
  }, 70_000);
});
