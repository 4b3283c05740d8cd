// Addresses taken from stanzas are XMPP addresses (RFC 7622, lib/jid.ts): what is not one is
// refused with jid-malformed and never passed on; what is one is compared, and answered from,
// in canonical form.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, DOMAIN, join, JULIET, MERCUTIO, ROMEO, ROOM, roomWith, Sim } from "./helpers.ts";

const BAD = ["@@@", "not a jid", "romeo@", "a@b@c", "x@exa<mple.org", "x@example.org/"];

function invitation(from: string, to: string): Element {
  return xml("message", { from, to: ROOM, id: "inv1" }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to })));
}

function decline(from: string, to: string): Element {
  return xml("message", { from, to: ROOM, id: "dec1" }, xml("x", { xmlns: NS.mucUser }, xml("decline", { to })));
}

function affiliate(from: string, jid: string, affiliation = "owner"): Element {
  return xml("iq", { from, to: ROOM, type: "set", id: "a1" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid, affiliation })));
}

function destroy(from: string, venue: string): Element {
  return xml("iq", { from, to: ROOM, type: "set", id: "d1" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy", { jid: venue })));
}

/** The only stanza out is an error to `to`, with `cond`. */
function onlyError(out: Element[], to: string, cond: string) {
  expect(out.map((s) => [s.attrs.type, s.attrs.to, condition(s)])).toEqual([["error", to, cond]]);
}

describe("addresses in payloads", () => {
  for (const bad of BAD) {
    test(`an invitation to ${JSON.stringify(bad)}: jid-malformed to the inviter, nothing to anyone else`, () => {
      const sim = roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
      onlyError(sim.send(invitation(JULIET, bad)), JULIET, "jid-malformed");
    });

    test(`a decline to ${JSON.stringify(bad)}: jid-malformed, nothing passed on`, () => {
      const sim = roomWith([ROMEO, "romeo"]);
      onlyError(sim.send(decline("hecate@example.com/cave", bad)), "hecate@example.com/cave", "jid-malformed");
    });

    test(`a muc#admin item with jid ${JSON.stringify(bad)}: jid-malformed, never a result, no affiliation stored`, () => {
      const sim = roomWith([ROMEO, "romeo"]);
      const before = sim.room();
      onlyError(sim.send(affiliate(ROMEO, bad)), ROMEO, "jid-malformed");
      expect(sim.room()).toBe(before);
    });

    test(`destroying with the alternate venue ${JSON.stringify(bad)}: jid-malformed, the room stays`, () => {
      const sim = roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
      const before = sim.room();
      onlyError(sim.send(destroy(ROMEO, bad)), ROMEO, "jid-malformed");
      expect(sim.room()).toBe(before);
    });
  }

  test("an invitee is invited at its canonical address", () => {
    const sim = roomWith([ROMEO, "romeo"]);
    const out = sim.send(invitation(ROMEO, "Hecate@Example.COM/Cave"));
    expect(out.map((s) => s.attrs.to)).toEqual(["hecate@example.com/Cave"]);
  });

  test("an affiliation given to a mixed-case JID is the same as to its canonical form", () => {
    const sim = roomWith([ROMEO, "romeo"]);
    sim.send(affiliate(ROMEO, "Tybalt@EXAMPLE.com", "member"));
    expect([...sim.room()!.affiliations]).toEqual([
      ["romeo@example.net", "owner"],
      ["tybalt@example.com", "member"],
    ]);
  });

  test("the alternate venue is announced in canonical form", () => {
    const sim = roomWith([ROMEO, "romeo"]);
    const out = sim.send(destroy(ROMEO, `Coven@${DOMAIN.toUpperCase()}`));
    expect(out[0]!.getChild("x", NS.mucUser)!.getChild("destroy")!.attrs.jid).toBe(`coven@${DOMAIN}`);
  });
});

describe("the stanza's own addresses", () => {
  test("an error to a stanza sent to an upper-case room address comes from the canonical address", () => {
    const sim = new Sim();
    const out = sim.send(xml("message", { from: ROMEO, to: `GARBAGE@${DOMAIN.toUpperCase()}/Upper`, type: "chat", id: "m1" }, xml("body", {}, "hi")));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ from: `garbage@${DOMAIN}/Upper`, to: ROMEO, type: "error" });
    expect(out[0]!.getChild("error")!.attrs.by).toBe(`garbage@${DOMAIN}`);
  });

  test("a room addressed in any case, or in full width, is the same room", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo", `Room@${DOMAIN.toUpperCase()}`));
    const out = sim.send(join(JULIET, "juliet", "ＲＯＯＭ@" + DOMAIN));
    expect(sim.state.rooms.size).toBe(1);
    expect(out.every((s) => s.attrs.from.startsWith(`${ROOM}/`) || s.attrs.from === ROOM)).toBe(true);
  });

  test("a room name that is not a localpart: jid-malformed from the service itself (the one address that is sure to be one)", () => {
    const sim = new Sim();
    const out = sim.send(join(ROMEO, "romeo", `bad<room@${DOMAIN}`));
    onlyError(out, ROMEO, "jid-malformed");
    expect(out[0]!.attrs.from).toBe(DOMAIN);
    expect(sim.state.rooms.size).toBe(0);
  });

  test("the sender's address is canonical: a session that writes its JID in capitals is the same session", () => {
    const sim = roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
    const out = sim.send(xml("message", { from: "JULIET@Example.COM/balcony", to: ROOM, type: "groupchat", id: "g1" }, xml("body", {}, "hi")));
    expect(out.map((s) => [s.attrs.from, s.attrs.to])).toEqual([
      [`${ROOM}/juliet`, ROMEO],
      [`${ROOM}/juliet`, JULIET],
    ]);
    expect(sim.room()!.sessions.size).toBe(2);
  });

  test("a stanza from no address at all is dropped: there is nobody to answer", () => {
    const sim = roomWith([ROMEO, "romeo"]);
    const before = sim.state;
    for (const from of BAD) {
      expect(sim.send(join(from, "ghost"))).toEqual([]);
      expect(sim.send(xml("iq", { from, to: ROOM, type: "get", id: "q" }, xml("query", { xmlns: NS.discoInfo })))).toEqual([]);
    }
    expect(sim.state).toBe(before);
  });

  test("a stanza from our own domain (one of ours coming back) is dropped, so nothing can loop", () => {
    const sim = roomWith([ROMEO, "romeo"]);
    const before = sim.state;
    expect(sim.send(join(`other@${DOMAIN}`, "echo"))).toEqual([]);
    expect(sim.send(xml("message", { from: `other@${DOMAIN}/x`, to: `${ROOM}/romeo`, type: "chat" }, xml("body", {}, "loop?")))).toEqual([]);
    expect(sim.send(xml("iq", { from: DOMAIN, to: DOMAIN, type: "get", id: "p" }, xml("ping", { xmlns: NS.ping })))).toEqual([]);
    expect(sim.state).toBe(before);
  });

  test("a stanza for another domain is not ours: dropped (the server should never have routed it here)", () => {
    const sim = new Sim();
    expect(sim.send(join(MERCUTIO, "m", "room@elsewhere.example"))).toEqual([]);
    expect(sim.send(join(MERCUTIO, "m", `room@${DOMAIN}.evil`))).toEqual([]);
  });
});
