// Rooms that survive on PostgreSQL, end to end: the real service as its own process
// (`bun run index.ts`, MUC_DATABASE=postgres://…) on a real Prosody and a throwaway
// PostgreSQL, killed with SIGKILL and started again: the room, its configuration and owner,
// the archive (MAM) and the occupants are intact, and nobody hears of a departure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectUser } from "../support/client.ts";
import { postgresAvailable, startPostgres, type Postgres } from "../support/postgres.ts";
import { startProsody, type Prosody } from "../support/prosody.ts";
import { codes, fromRoom, integrationAvailable, item, join, NS as BASE_NS, roomConfig, xml, type Element, type TestClient } from "./helpers.ts";
import { startServiceProcess, type ServiceProcess } from "./service-process.ts";

const NS = { ...BASE_NS, mam: "urn:xmpp:mam:2", rsm: "http://jabber.org/protocol/rsm", forward: "urn:xmpp:forward:0", sid: "urn:xmpp:sid:0" };
const available = integrationAvailable() && postgresAvailable();

/** One MAM page of `room` (all of it, up to 50): [stanza-id, body] in order. */
async function archive(client: TestClient, room: string, queryid: string): Promise<[string, string][]> {
  const fin = await client.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.mam, queryid }, xml("set", { xmlns: NS.rsm }, xml("max", {}, "50")))));
  if (fin.attrs.type !== "result") throw new Error(`MAM query failed: ${fin}`);
  return client.received
    .map((m) => (m.name === "message" ? m.getChild("result", NS.mam) : undefined))
    .filter((r): r is Element => r?.attrs.queryid === queryid)
    .map((r) => [r.attrs.id, r.getChild("forwarded", NS.forward)!.getChild("message")!.getChildText("body") ?? ""]);
}

describe.skipIf(!available)("rooms that survive, on PostgreSQL", () => {
  let pg: Postgres;
  let prosody: Prosody;
  let database: string;
  let service: ServiceProcess | undefined;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    [pg, prosody] = await Promise.all([startPostgres(), startProsody()]);
    database = await pg.database();
    service = await startServiceProcess(prosody, database);
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await service?.kill();
    await prosody?.stop();
    await pg?.stop();
  }, 20_000);

  test("create, configure persistent, talk, query the archive; SIGKILL; started again: room, archive and occupants intact", async () => {
    const room = `verona@${prosody.componentDomain}`;
    const [alice, bob] = [await connectUser(prosody, "alice"), await connectUser(prosody, "bob")];
    clients.push(alice, bob);
    expect(codes((await join(alice, room, "Alice")).self)).toContain(201);
    expect((await alice.iq(roomConfig(room, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Verona" }))).attrs.type).toBe("result");
    await join(bob, room, "Bob");
    const ids: string[] = [];
    for (const [client, body] of [[alice, "Two households"], [bob, "Both alike in dignity"], [alice, "In fair Verona"]] as const) {
      await client.send(xml("message", { to: room, type: "groupchat", id: body }, xml("body", {}, body)));
      const copy = await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === body);
      ids.push(copy.getChild("stanza-id", NS.sid)!.attrs.id);
    }
    const before = await archive(alice, room, "q1");
    expect(before).toEqual(ids.map((id, i) => [id, ["Two households", "Both alike in dignity", "In fair Verona"][i]!]));

    await service!.kill();
    expect(service!.output()).not.toContain("storage failed");
    service = await startServiceProcess(prosody, database);

    // The occupants were restored: Bob hears Alice without anyone rejoining, and nobody left.
    await alice.send(xml("message", { to: room, type: "groupchat", id: "after" }, xml("body", {}, "Still here")));
    await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === "Still here", 5000);
    await bob.expectNothing((el) => el.name === "presence" && el.attrs.type === "unavailable" && fromRoom(room)(el), 500);
    const rejoined = await join(alice, room, "Alice");
    expect(codes(rejoined.self)).not.toContain(201);
    expect(item(rejoined.self)!.attrs.affiliation).toBe("owner");
    expect(rejoined.stanzas.filter((m) => m.name === "message" && m.getChild("body")).map((m) => m.getChildText("body"))).toEqual([
      "Two households",
      "Both alike in dignity",
      "In fair Verona",
      "Still here",
    ]);
    const after = await archive(bob, room, "q2");
    expect(after.slice(0, 3)).toEqual(before);
    expect(after.map(([, body]) => body).at(-1)).toBe("Still here");
    const info = await bob.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.discoInfo })));
    expect(info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toContain("muc_persistent");
    expect(info.getChild("query")!.getChild("identity")!.attrs.name).toBe("Verona");
    expect(service!.output()).not.toContain("storage failed");
  }, 40_000);
});
