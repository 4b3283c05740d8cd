// The rest of running a room, end to end on a real Prosody: registration and reserved nicks,
// a probe for an absent member, voice requests, allowpm, and the service admins' ad-hoc
// commands (destroy, list, announce).
import { describe, expect, test } from "bun:test";
import { codes, condition, integrationAvailable, item, join, NS as BASE_NS, roomConfig, sharedBed, xml, type Element, type TestClient } from "./helpers.ts";

const NS = { ...BASE_NS, mucOwner: "http://jabber.org/protocol/muc#owner", register: "jabber:iq:register", commands: "http://jabber.org/protocol/commands" };
const available = integrationAvailable();

const configure = roomConfig;

function submit(to: string, fields: Record<string, string>, attrs: Record<string, string> = {}): Element {
  return xml(to.includes("@") ? "message" : "iq", { to, ...attrs }, xml("x", { xmlns: NS.data, type: "submit" }, ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value)))));
}

describe.skipIf(!available)("running a room", () => {
  const bed = sharedBed({ admins: ["admin@localhost"] });

  test("a member registers a nick; it is refused to others; a probe answers for the absent member", async () => {
    const room = bed.room("register");
    const [romeo, juliet, rosaline] = [await bed.user("romeo"), await bed.user("juliet"), await bed.user("rosaline")];
    await join(romeo, room, "Romeo");
    expect((await romeo.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: juliet.bare, affiliation: "member" }))))).attrs.type).toBe("result");
    await join(juliet, room, "Juliet");
    const form = await juliet.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.register })));
    expect(form.getChild("query", NS.register)!.getChild("x", NS.data)!.getChildren("field").map((f) => f.attrs.var)).toEqual(["FORM_TYPE", "muc#register_roomnick"]);
    const registered = await juliet.iq(
      xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.register }, submit("", { FORM_TYPE: "http://jabber.org/protocol/muc#register", "muc#register_roomnick": "Juliet" }).getChild("x")!)),
    );
    expect(registered.attrs.type).toBe("result");
    const nick = await juliet.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" })));
    expect(nick.getChild("query")!.getChild("identity")!.attrs.name).toBe("Juliet");

    await juliet.send(xml("presence", { to: `${room}/Juliet`, type: "unavailable" }));
    await juliet.waitFor((p) => p.name === "presence" && p.attrs.type === "unavailable" && codes(p).includes(110));
    await romeo.waitFor((p) => p.name === "presence" && p.attrs.type === "unavailable" && p.attrs.from === `${room}/Juliet`); // her leaving
    await rosaline.send(xml("presence", { to: `${room}/Juliet` }, xml("x", { xmlns: NS.muc })));
    expect(condition(await rosaline.waitFor((p) => p.name === "presence" && p.attrs.type === "error"))).toBe("conflict");

    await romeo.send(xml("presence", { to: `${room}/Juliet`, type: "probe" }));
    const probed = await romeo.waitFor((p) => p.name === "presence" && p.attrs.from === `${room}/Juliet` && p.attrs.type === "unavailable");
    expect(item(probed)!.attrs).toMatchObject({ affiliation: "member", role: "none", nick: "Juliet" });
  });

  test("a visitor asks for voice; the moderator approves; allowpm none refuses private messages", async () => {
    const room = bed.room("voice");
    const [owner, visitor] = [await bed.user("prospero"), await bed.user("caliban")];
    await join(owner, room, "Prospero");
    expect((await owner.iq(configure(room, { "muc#roomconfig_moderatedroom": "1", "muc#roomconfig_allowpm": "none" }))).attrs.type).toBe("result");
    const joined = await join(visitor, room, "Caliban");
    expect(item(joined.self)!.attrs.role).toBe("visitor");

    await visitor.send(submit(room, { FORM_TYPE: "http://jabber.org/protocol/muc#request", "muc#role": "participant" }));
    const request = await owner.waitFor((m) => m.name === "message" && m.getChild("x", NS.data)?.attrs.type === "form");
    const fields = Object.fromEntries(request.getChild("x", NS.data)!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
    expect(fields).toMatchObject({ "muc#roomnick": "Caliban", "muc#jid": visitor.jid });
    await owner.send(submit(room, { FORM_TYPE: "http://jabber.org/protocol/muc#request", "muc#role": "participant", "muc#roomnick": "Caliban", "muc#request_allow": "true" }));
    const voiced = await visitor.waitFor((p) => p.name === "presence" && p.attrs.from === `${room}/Caliban` && item(p)?.attrs.role === "participant");
    expect(codes(voiced)).toContain(110);

    await visitor.send(xml("message", { to: `${room}/Prospero`, type: "chat" }, xml("body", {}, "psst")));
    expect(condition(await visitor.waitFor((m) => m.name === "message" && m.attrs.type === "error"))).toBe("not-allowed");
  });

  test("the full form over the wire: maxusers fills, presencebroadcast shows absent members, lang and room admins", async () => {
    const room = bed.room("form");
    const [owner, member, third, fourth] = [await bed.user("antonio"), await bed.user("sebastian"), await bed.user("gonzalo"), await bed.user("adrian")];
    await join(owner, room, "Antonio");
    const set = await owner.iq(
      roomConfig(room, {
        "muc#roomconfig_maxusers": "2",
        "muc#roomconfig_lang": "it",
        "muc#roomconfig_presencebroadcast": ["moderator", "participant", "visitor", "none"],
        "muc#roomconfig_roomadmins": [third.bare],
      }),
    );
    expect(set.attrs.type).toBe("result");
    const info = await fourth.iq(xml("iq", { to: room, type: "get" }, xml("query", { xmlns: NS.discoInfo })));
    const fields = Object.fromEntries(info.getChild("query")!.getChild("x", NS.data)!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
    expect(fields["muc#roominfo_lang"]).toBe("it");
    // A member with a reserved nick who is not there shows as unavailable to each joiner.
    await owner.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: member.bare, affiliation: "member", nick: "Sebastian" }))));
    const joined = await join(fourth, room, "Adrian");
    const absent = joined.stanzas.find((p) => p.attrs.from === `${room}/Sebastian`)!;
    expect(absent.attrs.type).toBe("unavailable");
    expect(item(absent)!.attrs).toMatchObject({ affiliation: "member", role: "none", nick: "Sebastian" });
    // Two occupants: full for a newcomer, but not for an admin (Gonzalo, from the form's room admins).
    await member.send(xml("presence", { to: `${room}/Sebastian` }, xml("x", { xmlns: NS.muc })));
    expect(condition(await member.waitFor((p) => p.name === "presence" && p.attrs.type === "error"))).toBe("service-unavailable");
    const admin = await join(third, room, "Gonzalo");
    expect(item(admin.self)!.attrs).toMatchObject({ affiliation: "admin", role: "moderator" });
  });

  test("the service's admin lists rooms, announces, and destroys a room with Prosody's command; others are forbidden", async () => {
    const room = bed.room("doomed");
    const [owner, admin] = [await bed.user("miranda"), await bed.user("admin")];
    await join(owner, room, "Miranda");
    const commands = await admin.iq(xml("iq", { to: bed.domain, type: "get" }, xml("query", { xmlns: NS.discoItems, node: NS.commands })));
    expect(commands.getChild("query")!.getChildren("item").length).toBe(3);
    expect(condition(await owner.iq(xml("iq", { to: bed.domain, type: "get" }, xml("query", { xmlns: NS.discoItems, node: NS.commands }))))).toBe("forbidden");

    const list = await admin.iq(xml("iq", { to: bed.domain, type: "set" }, xml("command", { xmlns: NS.commands, node: "http://jabber.org/protocol/muc#admin-list-rooms", action: "execute" })));
    const rows = list.getChild("command")!.getChild("x", NS.data)!.getChildren("item").map((i) => i.getChildren("field").map((f) => f.getChildText("value")));
    expect(rows).toContainEqual([room, room.split("@")[0], "1"]);

    const announce = xml("command", { xmlns: NS.commands, node: "http://jabber.org/protocol/admin#announce", action: "execute" }, submit("", { body: "Closing soon" }).getChild("x")!);
    expect((await admin.iq(xml("iq", { to: bed.domain, type: "set" }, announce))).attrs.type).toBe("result");
    await owner.waitFor((m) => m.name === "message" && m.attrs.from === room && m.getChildText("body") === "Closing soon");

    const destroy = xml("command", { xmlns: NS.commands, node: "http://prosody.im/protocol/muc#destroy" }, xml("x", { xmlns: NS.data }, xml("field", { var: "rooms" }, xml("value", {}, room))));
    const done = await admin.iq(xml("iq", { to: bed.domain, type: "set" }, destroy));
    expect(done.getChild("command")!.attrs.status).toBe("completed");
    expect(done.getChild("command")!.getChildText("note")).toContain(room);
    const gone = await owner.waitFor((p) => p.name === "presence" && p.attrs.type === "unavailable" && p.attrs.from === `${room}/Miranda`);
    expect(gone.getChild("x", NS.mucUser)!.getChild("destroy")).toBeDefined();
  });
});

export type { TestClient };
