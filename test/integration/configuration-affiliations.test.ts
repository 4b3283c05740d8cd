// The owner's room configuration (§10.2) and affiliations (§9, §10.3-10.7) over the wire, against
// each server: the form is fetched and submitted, a password then gates entry; a members-only
// room admits a granted member and refuses others; a ban removes the occupant (301) and keeps
// him out. The reducer tests cover every rule; this shows it works through real servers.
import { expect, test } from "bun:test";
import { codes, condition, describeEachServer, isPresence, item, join, joinPresence, sharedBed, xml, type TestClient } from "./helpers.ts";

const OWNER = "http://jabber.org/protocol/muc#owner";
const ADMIN = "http://jabber.org/protocol/muc#admin";
const DATA = "jabber:x:data";

const configure = (owner: TestClient, room: string, fields: Record<string, string>) =>
  owner.iq(
    xml(
      "iq",
      { type: "set", to: room },
      xml(
        "query",
        { xmlns: OWNER },
        xml(
          "x",
          { xmlns: DATA, type: "submit" },
          xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig")),
          ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))),
        ),
      ),
    ),
  );

const affiliate = (admin: TestClient, room: string, attrs: Record<string, string>) =>
  admin.iq(xml("iq", { type: "set", to: room }, xml("query", { xmlns: ADMIN }, xml("item", attrs))));

describeEachServer("room configuration and affiliations", (kind) => {
  const bed = sharedBed({}, { server: kind });

  test("the owner gets the form, sets a password; entry without it is not-authorized, with it works", async () => {
    const room = bed.room("secret");
    const alice = await bed.user("alice", "cfg");
    await join(alice, room, "Alice");

    const form = await alice.iq(xml("iq", { type: "get", to: room }, xml("query", { xmlns: OWNER })));
    expect(form.attrs.type).toBe("result");
    const vars = form.getChild("query", OWNER)!.getChild("x", DATA)!.getChildren("field").map((f) => f.attrs.var);
    expect(vars).toContain("muc#roomconfig_roomsecret");

    const done = await configure(alice, room, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "open sesame" });
    expect(done.attrs.type).toBe("result");

    const bob = await bed.user("bob", "cfg");
    await bob.send(joinPresence(`${room}/Bob`));
    expect(condition(await bob.waitFor(isPresence(`${room}/Bob`, "error")))).toBe("not-authorized");
    const inside = await join(bob, room, "Bob", xml("password", {}, "open sesame"));
    expect(codes(inside.self)).toEqual([110]);
  }, 15_000);

  test("members-only: a granted member gets in, a stranger is refused; a ban removes with 301 and keeps out", async () => {
    const room = bed.room("club");
    const alice = await bed.user("alice", "club");
    await join(alice, room, "Alice");
    expect((await configure(alice, room, { "muc#roomconfig_membersonly": "1" })).attrs.type).toBe("result");

    const bob = await bed.user("bob", "club");
    expect((await affiliate(alice, room, { jid: "bob@localhost", affiliation: "member" })).attrs.type).toBe("result");
    const b = await join(bob, room, "Bob");
    expect(item(b.self)!.attrs.affiliation).toBe("member");
    await alice.waitFor(isPresence(`${room}/Bob`));

    const carol = await bed.user("carol", "club");
    await carol.send(joinPresence(`${room}/Carol`));
    expect(condition(await carol.waitFor(isPresence(`${room}/Carol`, "error")))).toBe("registration-required");

    const list = await alice.iq(xml("iq", { type: "get", to: room }, xml("query", { xmlns: ADMIN }, xml("item", { affiliation: "member" }))));
    expect(list.getChild("query", ADMIN)!.getChildren("item").map((i) => i.attrs.jid)).toEqual(["bob@localhost"]);

    expect((await affiliate(alice, room, { jid: "bob@localhost", affiliation: "outcast" })).attrs.type).toBe("result");
    const banned = await bob.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(codes(banned)).toEqual([301, 110]);
    expect(codes(await alice.waitFor(isPresence(`${room}/Bob`, "unavailable")))).toEqual([301]);
    await bob.send(joinPresence(`${room}/Bob`));
    expect(condition(await bob.waitFor(isPresence(`${room}/Bob`, "error")))).toBe("forbidden");
  }, 15_000);
});
