// §7.10 registration and reserved nicks (lib/register.ts, lib/affiliations.ts), §7.12 x-roomuser-item.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, configure, join, JULIET, leave, MERCUTIO, ROMEO, ROOM, Sim, to } from "./helpers.ts";

const REGISTER = "jabber:iq:register";
const getForm = (from: string) => xml("iq", { from, to: ROOM, type: "get", id: "rg" }, xml("query", { xmlns: REGISTER }));
function register(from: string, nick: string): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id: "rs" },
    xml(
      "query",
      { xmlns: REGISTER },
      xml(
        "x",
        { xmlns: NS.data, type: "submit" },
        xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#register")),
        xml("field", { var: "muc#register_roomnick" }, xml("value", {}, nick)),
      ),
    ),
  );
}
const unregister = (from: string) => xml("iq", { from, to: ROOM, type: "set", id: "ru" }, xml("query", { xmlns: REGISTER }, xml("remove")));
const member = (jid: string, nick?: string) =>
  xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "m" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid, affiliation: "member", ...(nick ? { nick } : {}) })));
const reservedNick = (sim: Sim, from: string) =>
  sim.send(xml("iq", { from, to: ROOM, type: "get", id: "rn" }, xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" })))[0]!;

/** Romeo owns the room; Juliet is a member, in the room. */
function withMember(): Sim {
  const sim = new Sim();
  sim.send(join(ROMEO, "Romeo"));
  sim.send(member("juliet@example.com"));
  sim.send(join(JULIET, "Juliet"));
  sim.take();
  return sim;
}

describe("registration (§7.10)", () => {
  test("a member gets the form, registers a nick, and finds it with x-roomuser-item", () => {
    const sim = withMember();
    sim.send(getForm(JULIET));
    sim.send(register(JULIET, "Juliet"));
    sim.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "rn" }, xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" })));
    expect(sim.take()).toMatchSnapshot();
    // registered: the form says so, with the nick
    const form = sim.send(getForm(JULIET))[0]!.getChild("query", REGISTER)!;
    expect(form.getChild("registered")).toBeDefined();
    expect(form.getChildText("username")).toBe("Juliet");
  });

  test("a reserved nick is refused to anyone else (conflict), on joining and on a nick change", () => {
    const sim = withMember();
    sim.send(register(JULIET, "Juliet"));
    sim.send(leave(JULIET, "Juliet"));
    expect(condition(sim.send(join(MERCUTIO, "juliet"))[0]!)).toBe("conflict");
    sim.send(join(MERCUTIO, "Mercutio"));
    expect(condition(sim.send(xml("presence", { from: MERCUTIO, to: `${ROOM}/Juliet` }))[0]!)).toBe("conflict");
    expect(sim.send(join(JULIET, "Juliet")).some((p) => p.attrs.type === "error")).toBe(false);
  });

  test("someone without affiliation may not register (registration-required), unless the service allows it; then they become a member", () => {
    const sim = withMember();
    expect(condition(sim.send(getForm(MERCUTIO))[0]!)).toBe("registration-required");
    expect(condition(sim.send(register(MERCUTIO, "Mercutio"))[0]!)).toBe("registration-required");
    const open = new Sim({ openRegistration: true });
    open.send(join(ROMEO, "Romeo"));
    open.send(join(MERCUTIO, "Mercutio"));
    const out = open.send(register(MERCUTIO, "Mercutio"));
    expect(out.at(-1)!.attrs.type).toBe("result");
    expect(open.room()!.affiliations.get("mercutio@example.org")).toBe("member");
    expect(to(out, ROMEO)[0]!.getChild("x", NS.mucUser)!.getChild("item")!.attrs.affiliation).toBe("member");
  });

  test("a nick in use by another occupant, or reserved by another member, is a conflict", () => {
    const sim = withMember();
    sim.send(member("mercutio@example.org"));
    sim.send(join(MERCUTIO, "Mercutio"));
    expect(condition(sim.send(register(JULIET, "Mercutio"))[0]!)).toBe("conflict");
    sim.send(register(MERCUTIO, "Queen Mab"));
    expect(condition(sim.send(register(JULIET, "queen mab"))[0]!)).toBe("conflict");
  });

  test("<remove/> cancels the registration and the membership; in a members-only room the occupant leaves with 321", () => {
    const sim = withMember();
    sim.send(configure(ROMEO, { "muc#roomconfig_membersonly": "1" }, "c"));
    sim.send(register(JULIET, "Juliet"));
    sim.take();
    const out = sim.send(unregister(JULIET));
    expect(sim.take()).toMatchSnapshot();
    expect(codes(to(out, JULIET)[0]!)).toEqual(["321", "110"]);
    expect(out.at(-1)!.attrs.type).toBe("result");
    expect(sim.room()!.affiliations.get("juliet@example.com")).toBeUndefined();
    expect(reservedNick(sim, JULIET).getChild("query")!.getChildren("identity")).toEqual([]);
  });

  test("an owner's <remove/> only releases the nick: the room keeps its owner", () => {
    const sim = withMember();
    sim.send(register(ROMEO, "Romeo"));
    sim.send(unregister(ROMEO));
    expect(sim.room()!.affiliations.get("romeo@example.net")).toBe("owner");
    expect(reservedNick(sim, ROMEO).getChild("query")!.getChildren("identity")).toEqual([]);
  });
});

describe("reserving a nick through muc#admin (§9.3)", () => {
  test("whoever holds the nick now is removed (307, 'This nickname is reserved'), then the member's notice and the result", () => {
    const sim = withMember();
    sim.send(join(MERCUTIO, "Benvolio"));
    sim.take();
    sim.send(member("benvolio@example.org", "Benvolio"));
    expect(sim.take()).toMatchSnapshot();
    expect(sim.room()!.occupants.has("benvolio")).toBe(false);
    expect(condition(sim.send(join(MERCUTIO, "Benvolio"))[0]!)).toBe("conflict");
  });

  test("the member list shows each reserved nick", () => {
    const sim = withMember();
    sim.send(member("mercutio@example.org", "Mercutio"));
    const list = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "l" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "member" }))));
    const items = list[0]!.getChild("query")!.getChildren("item").map((i) => i.attrs);
    expect(items).toEqual([
      { affiliation: "member", jid: "juliet@example.com" },
      { affiliation: "member", jid: "mercutio@example.org", nick: "Mercutio" },
    ]);
  });

  test("reserved nicks survive a restart", () => {
    const sim = withMember();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "p"));
    sim.send(register(JULIET, "Juliet"));
    const after = sim.restart();
    expect(condition(after.send(join(MERCUTIO, "Juliet"))[0]!)).toBe("conflict");
    expect(reservedNick(after, JULIET).getChild("query")!.getChild("identity")!.attrs.name).toBe("Juliet");
  });
});

describe("members who are not present", () => {
  test("a probe to a member's reserved nick answers with its unavailable presence; from a non-occupant, not-acceptable", () => {
    const sim = withMember();
    sim.send(member("mercutio@example.org", "Mercutio"));
    const probe = (from: string) => xml("presence", { from, to: `${ROOM}/Mercutio`, type: "probe" });
    const answer = sim.send(probe(ROMEO));
    expect(answer).toHaveLength(1);
    expect(answer[0]!.attrs).toMatchObject({ from: `${ROOM}/Mercutio`, to: ROMEO, type: "unavailable" });
    expect(answer[0]!.getChild("x", NS.mucUser)!.getChild("item")!.attrs).toEqual({ affiliation: "member", role: "none", nick: "Mercutio", jid: "mercutio@example.org" });
    const toParticipant = sim.send(probe(JULIET))[0]!;
    expect(toParticipant.getChild("x", NS.mucUser)!.getChild("item")!.attrs.jid).toBeUndefined();
    expect(condition(sim.send(probe("stranger@example.org/x"))[0]!)).toBe("not-acceptable");
  });
});
