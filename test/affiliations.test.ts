// XEP-0045 §9 Admin Use Cases and §10.3–§10.7 Owner Use Cases: affiliation
// changes (ban, member, admin, owner, none) by a muc#admin IQ set to the room,
// the affiliation lists (§9.5, §10.5 …) and the role lists (§8.5, §9.8).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, to, configure as configureRoom } from "./helpers.ts";

const configure = (from: string, fields: Record<string, string>, id = "c1") => configureRoom(from, fields, id);

const TYBALT = "tybalt@example.com/sword";

/** Romeo (owner, moderator), Juliet and Mercutio (participants, affiliation none); semi-anonymous. */
function verona(): Sim {
  const sim = new Sim();
  sim.send(join(ROMEO, "Romeo"));
  sim.send(join(JULIET, "Juliet"));
  sim.send(join(MERCUTIO, "Mercutio"));
  sim.take();
  return sim;
}

function setAffiliation(from: string, target: { jid?: string; nick?: string }, affiliation: string, reason?: string, id = "a1"): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id },
    xml("query", { xmlns: NS.mucAdmin }, xml("item", { ...target, affiliation }, ...(reason ? [xml("reason", {}, reason)] : []))),
  );
}

function getList(from: string, attrs: { affiliation?: string; role?: string }, id = "l1"): Element {
  return xml("iq", { from, to: ROOM, type: "get", id }, xml("query", { xmlns: NS.mucAdmin }, xml("item", attrs)));
}

function item(stanza: Element): Element {
  return stanza.getChild("x", NS.mucUser)!.getChild("item")!;
}

function listItems(result: Element): Record<string, string>[] {
  return result.getChild("query", NS.mucAdmin)!.getChildren("item").map((i) => ({ ...i.attrs }));
}

function iqs(out: Element[]): Element[] {
  return out.filter((s) => s.name === "iq");
}

describe("granting membership to someone not in the room (§9.3)", () => {
  test("the owner (a moderator, who sees real JIDs) gets a notice, then the result; a participant gets nothing", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "member", undefined, "grant1"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(2);
    const [notice, result] = out;
    expect(notice!.name).toBe("message");
    expect(notice!.attrs).toEqual({ from: ROOM, to: ROMEO });
    expect(item(notice!).attrs).toEqual({ jid: "tybalt@example.com", affiliation: "member" });
    expect(result!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "grant1" });

    // Semi-anonymous room: participants may not learn real JIDs, so no notice for them.
    expect(to(out, JULIET)).toHaveLength(0);
    expect(to(out, MERCUTIO)).toHaveLength(0);
    expect(sim.room()!.affiliations.get("tybalt@example.com")).toBe("member");
  });

  test("a full JID in the item is stored as its bare JID", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "Tybalt@Example.com/sword" }, "member"));
    expect(item(out[0]!).attrs.jid).toBe("tybalt@example.com");
    expect([...sim.room()!.affiliations.keys()].sort()).toEqual(["romeo@example.net", "tybalt@example.com"]);
  });

  test("the member list shows the new member to the owner; a non-admin asking gets forbidden (§9.5)", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "member"));
    sim.take();
    const list = sim.send(getList(ROMEO, { affiliation: "member" }, "list1"));
    const refused = sim.send(getList(MERCUTIO, { affiliation: "member" }, "list2"));
    expect(sim.take()).toMatchSnapshot();

    expect(list).toHaveLength(1);
    expect(list[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "list1" });
    expect(listItems(list[0]!)).toEqual([{ affiliation: "member", jid: "tybalt@example.com" }]);

    expect(refused).toHaveLength(1);
    expect(refused[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: MERCUTIO, id: "list2" });
    expect(condition(refused[0]!)).toBe("forbidden");
    expect(refused[0]!.getChild("error")!.attrs.type).toBe("auth");
  });

  test("the owner list holds the creator", () => {
    const sim = verona();
    const [result] = sim.send(getList(ROMEO, { affiliation: "owner" }));
    expect(listItems(result!)).toEqual([{ affiliation: "owner", jid: "romeo@example.net" }]);
  });
});

describe("granting admin to an occupant (§10.6)", () => {
  test("the occupant becomes a moderator: presence with affiliation admin, role moderator to all, 110 to itself", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "admin", undefined, "admin1"));
    expect(sim.take()).toMatchSnapshot();

    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.to).sort()).toEqual([JULIET, MERCUTIO, ROMEO].sort());
    for (const presence of presences) {
      expect(presence.attrs.from).toBe(`${ROOM}/Juliet`);
      expect(presence.attrs.type).toBeUndefined();
      expect(item(presence).attrs).toMatchObject({ affiliation: "admin", role: "moderator" });
    }
    // Real JIDs: Romeo (moderator) and Juliet herself see hers, Mercutio does not.
    expect(item(to(out, ROMEO)[0]!).attrs.jid).toBe(JULIET);
    expect(item(to(out, MERCUTIO)[0]!).attrs.jid).toBeUndefined();
    expect(codes(to(out, JULIET)[0]!)).toEqual(["110"]);
    expect(codes(to(out, MERCUTIO)[0]!)).toEqual([]);
    // No notice message: the target is an occupant, its presence says it all.
    expect(out.filter((s) => s.name === "message")).toHaveLength(0);
    expect(iqs(out)).toHaveLength(1);
    expect(iqs(out)[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "admin1" });
    expect(out.at(-1)!.name).toBe("iq");
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("moderator");
  });

  test("by nick works too, and the new admin may then see the member and ban lists, but not the admin list of a semi-anonymous room (§10.8)", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { nick: "Juliet" }, "admin"));
    expect(sim.room()!.affiliations.get("juliet@example.com")).toBe("admin");
    sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "outcast"));
    const [outcasts] = sim.send(getList(JULIET, { affiliation: "outcast" }));
    expect(outcasts!.attrs.type).toBe("result");
    expect(listItems(outcasts!)).toEqual([{ affiliation: "outcast", jid: "tybalt@example.com" }]);
    const [members] = sim.send(getList(JULIET, { affiliation: "member" }));
    expect(members!.attrs.type).toBe("result");
    const [admins] = sim.send(getList(JULIET, { affiliation: "admin" }));
    expect(condition(admins!)).toBe("forbidden");
    // In a non-anonymous room (§10.8 "MAY"), the admin list is open to admins.
    sim.send(configure(ROMEO, { "muc#roomconfig_whois": "anyone" }));
    const [open] = sim.send(getList(JULIET, { affiliation: "admin" }));
    expect(listItems(open!)).toEqual([{ affiliation: "admin", jid: "juliet@example.com" }]);
  });
});

describe("banning (§9.1)", () => {
  test("banning an occupant removes it: 301 with actor and reason, 110 for itself, then the result", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "mercutio@example.org" }, "outcast", "A plague o' both your houses!", "ban1"));
    expect(sim.take()).toMatchSnapshot();

    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.to).sort()).toEqual([JULIET, MERCUTIO, ROMEO].sort());
    for (const presence of presences) {
      expect(presence.attrs).toMatchObject({ from: `${ROOM}/Mercutio`, type: "unavailable" });
      expect(item(presence).attrs).toMatchObject({ affiliation: "outcast", role: "none" });
      expect(item(presence).getChild("actor")!.attrs.nick).toBe("Romeo");
      expect(item(presence).getChildText("reason")).toBe("A plague o' both your houses!");
    }
    expect(codes(to(out, MERCUTIO)[0]!).sort()).toEqual(["110", "301"]);
    expect(codes(to(out, JULIET)[0]!)).toEqual(["301"]);
    // The actor's real JID only to those who may see real JIDs.
    expect(item(to(out, ROMEO)[0]!).getChild("actor")!.attrs.jid).toBe(ROMEO);
    expect(item(to(out, JULIET)[0]!).getChild("actor")!.attrs.jid).toBeUndefined();

    expect(iqs(out)).toHaveLength(1);
    expect(out.at(-1)!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "ban1" });
    expect(sim.room()!.occupants.has("mercutio")).toBe(false);
    expect(sim.room()!.sessions.has(MERCUTIO)).toBe(false);
    expect(sim.room()!.affiliations.get("mercutio@example.org")).toBe("outcast");
  });

  test("a banned user trying to join: forbidden (§7.2.8); so is a banned occupant coming back", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "outcast"));
    sim.send(setAffiliation(ROMEO, { jid: "mercutio@example.org" }, "outcast"));
    sim.take();
    const refused = sim.send(join(TYBALT, "Tybalt"));
    expect(sim.take()).toMatchSnapshot();
    expect(refused).toHaveLength(1);
    expect(refused[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/Tybalt`, to: TYBALT });
    expect(condition(refused[0]!)).toBe("forbidden");
    expect(refused[0]!.getChild("error")!.attrs.type).toBe("auth");

    const back = sim.send(join(MERCUTIO, "Mercutio"));
    expect(back).toHaveLength(1);
    expect(condition(back[0]!)).toBe("forbidden");
    expect(sim.room()!.occupants.size).toBe(2);
  });

  test("the ban list (§9.2)", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "outcast"));
    const [result] = sim.send(getList(ROMEO, { affiliation: "outcast" }));
    expect(listItems(result!)).toEqual([{ affiliation: "outcast", jid: "tybalt@example.com" }]);
  });
});

describe("revoking membership in a members-only room (§9.4)", () => {
  test("the occupant is removed with 321, affiliation none, role none", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "member"));
    sim.send(configure(ROMEO, { "muc#roomconfig_membersonly": "1" }));
    // Mercutio (none) was removed by the configuration change; Juliet, a member, stays.
    expect([...sim.room()!.occupants.keys()].sort()).toEqual(["juliet", "romeo"]);
    sim.take();

    const out = sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "none", undefined, "revoke1"));
    expect(sim.take()).toMatchSnapshot();
    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
    for (const presence of presences) {
      expect(presence.attrs).toMatchObject({ from: `${ROOM}/Juliet`, type: "unavailable" });
      expect(item(presence).attrs).toMatchObject({ affiliation: "none", role: "none" });
    }
    expect(codes(to(out, ROMEO)[0]!)).toEqual(["321"]);
    expect(codes(to(out, JULIET)[0]!).sort()).toEqual(["110", "321"]);
    expect(out.at(-1)!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "revoke1" });
    expect(sim.room()!.occupants.has("juliet")).toBe(false);
    expect(sim.room()!.affiliations.has("juliet@example.com")).toBe(false);
    // And she may not come back.
    expect(condition(sim.send(join(JULIET, "Juliet"))[0]!)).toBe("registration-required");
  });

  test("in an open room, affiliation none only changes the presence", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "member"));
    const out = sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "none"));
    const presences = out.filter((s) => s.name === "presence");
    expect(presences).toHaveLength(3);
    for (const presence of presences) {
      expect(presence.attrs.type).toBeUndefined();
      expect(item(presence).attrs).toMatchObject({ affiliation: "none", role: "participant" });
    }
    expect(sim.room()!.occupants.has("juliet")).toBe(true);
  });
});

describe("who may change affiliations (§5.2)", () => {
  test("an admin cannot ban an owner: not-allowed, nothing changes", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "admin"));
    sim.take();
    const out = sim.send(setAffiliation(JULIET, { jid: "romeo@example.net" }, "outcast", undefined, "ban2"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: JULIET, id: "ban2" });
    expect(condition(out[0]!)).toBe("not-allowed");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    expect(sim.room()!.affiliations.get("romeo@example.net")).toBe("owner");
    expect(sim.room()!.occupants.has("romeo")).toBe(true);
  });

  test("an admin may ban a participant", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "admin"));
    const out = sim.send(setAffiliation(JULIET, { nick: "Mercutio" }, "outcast"));
    expect(out.at(-1)!.attrs.type).toBe("result");
    expect(item(to(out, MERCUTIO)[0]!).getChild("actor")!.attrs.nick).toBe("Juliet");
    expect(sim.room()!.occupants.has("mercutio")).toBe(false);
  });

  test("a participant cannot change affiliations: forbidden", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(MERCUTIO, { jid: "tybalt@example.com" }, "member", undefined, "grant2"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: MERCUTIO, id: "grant2" });
    expect(condition(out[0]!)).toBe("forbidden");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("auth");
    expect(sim.room()!.affiliations.has("tybalt@example.com")).toBe(false);
  });

  test("the last owner cannot give up ownership: conflict (§10.7)", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "romeo@example.net" }, "admin", undefined, "own1"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: ROMEO, id: "own1" });
    expect(condition(out[0]!)).toBe("conflict");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    expect(sim.room()!.affiliations.get("romeo@example.net")).toBe("owner");
  });

  test("with a second owner, the first may step down to admin", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "owner"));
    const out = sim.send(setAffiliation(ROMEO, { jid: "romeo@example.net" }, "admin"));
    expect(out.at(-1)!.attrs.type).toBe("result");
    expect(sim.room()!.affiliations.get("romeo@example.net")).toBe("admin");
    for (const p of out.filter((s) => s.name === "presence")) expect(item(p).attrs).toMatchObject({ affiliation: "admin", role: "moderator" });
  });

  test("an unknown affiliation: bad-request", () => {
    const sim = verona();
    const out = sim.send(setAffiliation(ROMEO, { jid: "tybalt@example.com" }, "king"));
    expect(condition(out[0]!)).toBe("bad-request");
  });
});

describe("role lists (§8.5, §9.8)", () => {
  test("a moderator gets the moderator list; a participant asking gets forbidden", () => {
    const sim = verona();
    sim.send(setAffiliation(ROMEO, { jid: "juliet@example.com" }, "admin"));
    sim.take();
    const list = sim.send(getList(ROMEO, { role: "moderator" }, "roles1"));
    const refused = sim.send(getList(MERCUTIO, { role: "moderator" }, "roles2"));
    expect(sim.take()).toMatchSnapshot();

    expect(list).toHaveLength(1);
    expect(list[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "roles1" });
    const items = listItems(list[0]!).sort((a, b) => a.nick!.localeCompare(b.nick!));
    expect(items).toEqual([
      { nick: "Juliet", role: "moderator", affiliation: "admin", jid: JULIET },
      { nick: "Romeo", role: "moderator", affiliation: "owner", jid: ROMEO },
    ]);

    expect(refused).toHaveLength(1);
    expect(condition(refused[0]!)).toBe("forbidden");
  });

  test("the participant list, for a moderator", () => {
    const sim = verona();
    const [result] = sim.send(getList(ROMEO, { role: "participant" }));
    expect(listItems(result!).map((i) => i.nick).sort()).toEqual(["Juliet", "Mercutio"]);
  });
});

describe("bans that hold: affiliation JIDs are prepared (RFC 7622) before they are stored or compared", () => {
  const BENVOLIO = "benvolio@example.org";
  const ban = (jid: string, id = "ban") => setAffiliation(ROMEO, { jid }, "outcast", undefined, id);

  test("a ban written in fullwidth letters and capitals is stored as the prepared JID, and bans the real user", () => {
    const sim = verona();
    sim.send(ban("ｂｅｎｖｏｌｉｏ@ＥＸＡＭＰＬＥ.ORG"));
    const refused = sim.send(join(`${BENVOLIO}/home`, "Benvolio"));
    expect(sim.take()).toMatchSnapshot();
    expect([...sim.room()!.affiliations].filter(([, a]) => a === "outcast")).toEqual([[BENVOLIO, "outcast"]]);
    expect(condition(refused[0]!)).toBe("forbidden");
    expect(sim.room()!.occupants.has("benvolio")).toBe(false);
  });

  test("the banned user cannot enter under another nick, from another resource, or with the JID spelled in another case or width", () => {
    const sim = verona();
    sim.send(ban(BENVOLIO));
    for (const [from, nick] of [
      [`${BENVOLIO}/home`, "Benvolio"],
      [`${BENVOLIO}/home`, "NotBenvolio"],
      [`${BENVOLIO}/phone`, "Ben"],
      ["Benvolio@Example.ORG/phone", "Ben"],
      ["ＢＥＮＶＯＬＩＯ@example.org/tablet", "Ben2"],
      ["benvolio@ｅｘａｍｐｌｅ.org/laptop", "Ben3"],
    ] as const) {
      const out = sim.send(join(from, nick));
      expect(out).toHaveLength(1);
      expect(out[0]!.attrs.type).toBe("error");
      expect(condition(out[0]!)).toBe("forbidden");
    }
    expect(sim.room()!.occupants.size).toBe(3);
  });

  test("lifting the ban with another spelling lifts it", () => {
    const sim = verona();
    sim.send(ban(BENVOLIO));
    sim.send(setAffiliation(ROMEO, { jid: "ＢｅｎＶｏｌｉｏ@Example.org" }, "none", undefined, "unban"));
    expect(sim.room()!.affiliations.has(BENVOLIO)).toBe(false);
    const out = sim.send(join(`${BENVOLIO}/home`, "Benvolio"));
    expect(out.some((s) => s.name === "presence" && codes(s).includes("110"))).toBe(true);
  });

  test("a JID that does not prepare is refused with jid-malformed, and nothing is stored", () => {
    for (const jid of ["bad name@example.org", 'quote"s@example.org', "a<b@example.org", "@example.org", "benvolio@", "x".repeat(1024) + "@example.org", "ctl\u0007@example.org", "benvolio@exa mple.org"]) {
      const sim = verona();
      const [answer] = sim.send(ban(jid));
      expect(answer!.attrs.type).toBe("error");
      expect(condition(answer!)).toBe("jid-malformed");
      expect([...sim.room()!.affiliations.values()]).toEqual(["owner"]);
    }
  });
});
