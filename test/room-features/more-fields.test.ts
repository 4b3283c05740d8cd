// The other fields of the full form: lang, allowinvites, getmemberlist, room admins and owners.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../../lib/stanza.ts";
import { codes, condition, configure, join, JULIET, MERCUTIO, ROMEO, ROOM, roomWith, to } from "../helpers.ts";

function submit(from: string, fields: Record<string, string[]>, id = "c"): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id },
    xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }, ...Object.entries(fields).map(([v, values]) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)))))),
  );
}
const info = (from: string) => xml("iq", { from, to: ROOM, type: "get", id: "i" }, xml("query", { xmlns: NS.discoInfo }));
const roominfo = (out: Element[]) => Object.fromEntries(out[0]!.getChild("query")!.getChild("x", NS.data)!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));

describe("lang", () => {
  test("shown as muc#roominfo_lang once set; a malformed tag is bad-request", () => {
    const sim = roomWith([ROMEO, "Romeo"]);
    expect(roominfo(sim.send(info(ROMEO)))["muc#roominfo_lang"]).toBeUndefined();
    sim.send(configure(ROMEO, { "muc#roomconfig_lang": "pt-BR" }, "c1"));
    expect(roominfo(sim.send(info(ROMEO)))["muc#roominfo_lang"]).toBe("pt-BR");
    expect(condition(sim.send(configure(ROMEO, { "muc#roomconfig_lang": "not a language" }, "c2"))[0]!)).toBe("bad-request");
  });
});

describe("allowinvites", () => {
  test("off: only moderators may invite", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    sim.send(configure(ROMEO, { "muc#roomconfig_allowinvites": "0" }, "c"));
    const invite = (from: string) => xml("message", { from, to: ROOM, id: "inv" }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to: "hecate@example.com" })));
    expect(condition(sim.send(invite(JULIET))[0]!)).toBe("forbidden");
    expect(sim.send(invite(ROMEO)).map((m) => m.attrs.to)).toEqual(["hecate@example.com"]);
  });
});

describe("getmemberlist", () => {
  test("participants may get the member list once the room allows it", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    const members = () => sim.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "ml" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "member" }))));
    expect(condition(members()[0]!)).toBe("forbidden");
    sim.send(submit(ROMEO, { "muc#roomconfig_getmemberlist": ["moderator", "participant"] }));
    expect(members()[0]!.attrs.type).toBe("result");
    expect(condition(sim.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "ol" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "outcast" }))))[0]!)).toBe("forbidden");
  });
});

describe("room admins and owners in the form", () => {
  test("the form lists them; submitting the lists changes affiliations, and occupants see their new presence", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    const out = sim.send(submit(ROMEO, { "muc#roomconfig_roomadmins": ["juliet@example.com"] }));
    expect(out[0]!.attrs.type).toBe("result");
    const presence = to(out, MERCUTIO).concat(to(out, ROMEO)).find((p) => p.name === "presence" && p.attrs.from === `${ROOM}/Juliet`)!;
    expect(presence.getChild("x", NS.mucUser)!.getChild("item")!.attrs).toMatchObject({ affiliation: "admin", role: "moderator" });
    expect(sim.room()!.affiliations.get("juliet@example.com")).toBe("admin");
    const form = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "f" }, xml("query", { xmlns: NS.mucOwner })))[0]!;
    const values = Object.fromEntries(form.getChild("query")!.getChild("x", NS.data)!.getChildren("field").map((f) => [f.attrs.var, f.getChildren("value").map((v) => v.getText())]));
    expect(values["muc#roomconfig_roomadmins"]).toEqual(["juliet@example.com"]);
    expect(values["muc#roomconfig_roomowners"]).toEqual(["romeo@example.net"]);
    // dropping her from the list takes the rank away again
    sim.send(submit(ROMEO, { "muc#roomconfig_roomadmins": [] }, "c2"));
    expect(sim.room()!.affiliations.get("juliet@example.com")).toBeUndefined();
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("participant");
    void codes;
  });

  test("the owner listed among admins alone (owners left out of the form) stays an owner (found by the property tests)", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    const out = sim.send(submit(ROMEO, { "muc#roomconfig_roomadmins": ["romeo@example.net", "juliet@example.com"] }));
    expect(out[0]!.attrs.type).toBe("result");
    expect(sim.room()!.affiliations.get("romeo@example.net")).toBe("owner");
    expect(sim.room()!.affiliations.get("juliet@example.com")).toBe("admin");
  });

  test("no owners left is refused (bad-request); a malformed JID is jid-malformed; nothing changes", () => {
    const sim = roomWith([ROMEO, "Romeo"]);
    expect(condition(sim.send(submit(ROMEO, { "muc#roomconfig_roomowners": [] }))[0]!)).toBe("bad-request");
    expect(condition(sim.send(submit(ROMEO, { "muc#roomconfig_roomadmins": ["@@@"] }))[0]!)).toBe("jid-malformed");
    expect([...sim.room()!.affiliations]).toEqual([["romeo@example.net", "owner"]]);
    void join;
  });
});
