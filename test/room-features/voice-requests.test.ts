// §8.6 requesting voice (lib/room-features/voice-requests.ts).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../../lib/stanza.ts";
import { condition, configure, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, to } from "../helpers.ts";

const REQUEST = "http://jabber.org/protocol/muc#request";
function request(from: string, fields: Record<string, string> = {}): Element {
  return xml(
    "message",
    { from, to: ROOM, id: "vr" },
    xml(
      "x",
      { xmlns: NS.data, type: "submit" },
      xml("field", { var: "FORM_TYPE" }, xml("value", {}, REQUEST)),
      xml("field", { var: "muc#role", type: "list-single" }, xml("value", {}, "participant")),
      ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))),
    ),
  );
}

/** A moderated room: Romeo (owner), Mercutio (admin, a second moderator), Juliet a visitor. */
function moderatedRoom(config = {}): Sim {
  const sim = new Sim(config);
  sim.send(join(ROMEO, "Romeo"));
  sim.send(configure(ROMEO, { "muc#roomconfig_moderatedroom": "1", "muc#roomconfig_voicerequestmininterval": "60" }, "c"));
  sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "a" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "mercutio@example.org", affiliation: "admin" }))));
  sim.send(join(MERCUTIO, "Mercutio"));
  sim.send(join(JULIET, "Juliet"));
  sim.take();
  return sim;
}

describe("voice requests", () => {
  test("a visitor's request reaches every moderator with the approval form; approving grants voice", () => {
    const sim = moderatedRoom();
    sim.send(request(JULIET));
    expect(sim.take()).toMatchSnapshot();
    const approval = request(ROMEO, { "muc#roomnick": "Juliet", "muc#request_allow": "true" });
    const out = sim.send(approval);
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("participant");
    const presence = to(out, JULIET)[0]!;
    expect(presence.getChild("x", NS.mucUser)!.getChild("item")!.attrs.role).toBe("participant");
  });

  test("at most one request per interval; a participant gets not-acceptable; turned off: not-allowed", () => {
    const sim = moderatedRoom();
    expect(sim.send(request(JULIET)).length).toBe(2);
    expect(condition(sim.send(request(JULIET))[0]!)).toBe("resource-constraint");
    sim.now += 61_000;
    expect(sim.send(request(JULIET)).length).toBe(2);
    expect(condition(sim.send(request(ROMEO))[0]!)).toBe("not-acceptable"); // a moderator's own form without an answer
    sim.send(configure(ROMEO, { "muc#roomconfig_allowvoicerequests": "0" }, "off"));
    sim.now += 61_000;
    expect(condition(sim.send(request(JULIET))[0]!)).toBe("not-allowed");
  });

  test("a declined request (allow false) changes nothing; a non-moderator cannot approve", () => {
    const sim = moderatedRoom();
    sim.send(request(JULIET));
    expect(sim.send(request(ROMEO, { "muc#roomnick": "Juliet", "muc#request_allow": "false" }))).toEqual([]);
    sim.send(join("benvolio@example.org/x", "Benvolio"));
    sim.send(request("benvolio@example.org/x", { "muc#roomnick": "Juliet", "muc#request_allow": "true" }));
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("visitor");
  });

  test("disco#info shows muc#request where visitors may ask", () => {
    const sim = moderatedRoom();
    const info = sim.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "i" }, xml("query", { xmlns: NS.discoInfo })));
    expect(info[0]!.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toContain(REQUEST);
  });
});
