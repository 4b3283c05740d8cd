// The message archive (XEP-0313), stanza-ids and occupant-ids, and moderation over the wire,
// against each server: what one client said is found by another, paged both ways, with the
// same ids the live copies carried; a moderator's retraction reaches everyone.
import { expect, test } from "bun:test";
import { describeEachServer, join, sharedBed, xml, type Element, type TestClient } from "./helpers.ts";

const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const SID = "urn:xmpp:sid:0";
let queries = 0;

/** One MAM page: the bodies and ids of the results, and the <fin/>. */
async function page(client: TestClient, room: string, rsm: Record<string, string>): Promise<{ bodies: string[]; ids: string[]; fin: Element }> {
  const queryid = `q${++queries}`;
  const set = xml("set", { xmlns: RSM }, ...Object.entries(rsm).map(([k, v]) => xml(k, {}, v)));
  const fin = await client.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: MAM, queryid }, set)));
  const results = client.received.filter((m) => m.name === "message" && m.getChild("result", MAM)?.attrs.queryid === queryid);
  return {
    bodies: results.map((m) => m.getChild("result", MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message")!.getChildText("body")!),
    ids: results.map((m) => m.getChild("result", MAM)!.attrs.id as string),
    fin: fin.getChild("fin", MAM)!,
  };
}

describeEachServer("the archive", (kind) => {
  const bed = sharedBed({}, { server: kind });

  test("what was said is archived with the ids its copies carried; pages forward and backward", async () => {
    const room = bed.room("archive");
    const [alice, bob] = [await bed.user("alice", "mam"), await bed.user("bob", "mam")];
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    const ids: string[] = [];
    for (let i = 1; i <= 7; i++) {
      await alice.send(xml("message", { to: room, type: "groupchat", id: `m${i}` }, xml("body", {}, `line ${i}`)));
      const copy = await bob.waitFor((m) => m.name === "message" && m.getChildText("body") === `line ${i}`);
      ids.push(copy.getChild("stanza-id", SID)!.attrs.id);
      expect(copy.getChild("stanza-id", SID)!.attrs.by).toBe(room);
    }
    const first = await page(bob, room, { max: "3" });
    expect(first.bodies).toEqual(["line 1", "line 2", "line 3"]);
    expect(first.ids).toEqual(ids.slice(0, 3));
    expect(first.fin.attrs.complete).toBeUndefined();
    const rest = await page(bob, room, { max: "10", after: first.ids.at(-1)! });
    expect(rest.bodies).toEqual(["line 4", "line 5", "line 6", "line 7"]);
    expect(rest.fin.attrs.complete).toBe("true");
    const last = await page(bob, room, { max: "2", before: "" });
    expect(last.bodies).toEqual(["line 6", "line 7"]);
  });

  test("a moderator retracts a message: everyone is told, and the archive keeps a tombstone", async () => {
    const room = bed.room("moderate");
    const [owner, rude] = [await bed.user("owner", "mod"), await bed.user("rude", "mod")];
    await join(owner, room, "Owner");
    await join(rude, room, "Rude");
    await rude.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, "something rude")));
    const copy = await owner.waitFor((m) => m.name === "message" && m.getChildText("body") === "something rude");
    const id = copy.getChild("stanza-id", SID)!.attrs.id;
    const result = await owner.iq(
      xml("iq", { to: room, type: "set" }, xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id }, xml("retract", { xmlns: "urn:xmpp:message-retract:1" }))),
    );
    expect(result.attrs.type).toBe("result");
    const notice = await rude.waitFor((m) => m.name === "message" && m.getChild("retract", "urn:xmpp:message-retract:1") !== undefined);
    expect(notice.getChild("retract", "urn:xmpp:message-retract:1")!.attrs.id).toBe(id);
    const archived = await page(owner, room, { max: "10" });
    expect(archived.bodies).not.toContain("something rude");
  });
});
