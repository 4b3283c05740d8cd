// XEP-0045 §7.2 Entering a Room (and §10.1.1 creating an instant room), as
// Prosody's mod_muc does it: what the joiner and the others receive, in order.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, DOMAIN, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

/** The muc#user <item/> of an occupant presence. */
function item(presence: Element): Record<string, string> | undefined {
  return presence.getChild("x", NS.mucUser)?.getChild("item")?.attrs;
}

const sorted = (values: string[]) => [...values].sort();

/** A room where romeo (the owner, a moderator) and juliet (a participant) are. */
function romeoAndJuliet(): Sim {
  return roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
}

describe("creating a room (§10.1.1)", () => {
  test("the creator becomes owner and moderator, gets 201 and 110, then an empty subject from the room", () => {
    const sim = new Sim();
    const out = sim.send(join(ROMEO, "romeo"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(2);
    const [self, subject] = out as [Element, Element];
    expect(self.name).toBe("presence");
    expect(self.attrs.from).toBe(`${ROOM}/romeo`);
    expect(self.attrs.to).toBe(ROMEO);
    expect(self.attrs.type).toBeUndefined();
    expect(sorted(codes(self))).toEqual(["110", "201"]);
    expect(item(self)).toEqual({ affiliation: "owner", role: "moderator", jid: ROMEO });

    // §7.2.15: the subject comes last, and is an empty <subject/> when none is set.
    expect(subject.name).toBe("message");
    expect(subject.attrs).toMatchObject({ from: ROOM, to: ROMEO, type: "groupchat" });
    expect(subject.getChild("subject")).toBeDefined();
    expect(subject.getChildText("subject")).toBe("");
    expect(subject.getChild("body")).toBeUndefined();

    const room = sim.room()!;
    expect(room.occupants.size).toBe(1);
    expect(room.affiliations.get("romeo@example.net")).toBe("owner");
  });

  test("201 is only for the creator: the next joiner does not get it", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    const out = sim.send(join(JULIET, "juliet"));
    for (const stanza of out) expect(codes(stanza)).not.toContain("201");
  });

  test("a room is created again, with 201, after it ended", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.send(xml("presence", { from: ROMEO, to: `${ROOM}/romeo`, type: "unavailable" }));
    expect(sim.room()).toBeUndefined();
    const out = sim.send(join(JULIET, "juliet"));
    expect(sorted(codes(out[0]!))).toEqual(["110", "201"]);
    expect(item(out[0]!)).toMatchObject({ affiliation: "owner", role: "moderator" });
  });
});

describe("entering an existing room (§7.2.2, §7.2.3)", () => {
  test("the joiner gets the occupants first, then itself with 110, then the subject; the others get its presence without 110", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.take();
    const out = sim.send(join(JULIET, "juliet"));
    expect(sim.take()).toMatchSnapshot();

    const forJuliet = to(out, JULIET);
    expect(forJuliet.map((s) => [s.name, s.attrs.from])).toEqual([
      ["presence", `${ROOM}/romeo`],
      ["presence", `${ROOM}/juliet`],
      ["message", ROOM],
    ]);
    const [romeo, self, subject] = forJuliet as [Element, Element, Element];
    expect(codes(romeo)).toEqual([]);
    expect(item(romeo)).toMatchObject({ affiliation: "owner", role: "moderator" });
    expect(codes(self)).toEqual(["110"]);
    expect(item(self)).toEqual({ affiliation: "none", role: "participant", jid: JULIET });
    expect(subject.getChildText("subject")).toBe("");

    const forRomeo = to(out, ROMEO);
    expect(forRomeo).toHaveLength(1);
    expect(forRomeo[0]!.name).toBe("presence");
    expect(forRomeo[0]!.attrs.from).toBe(`${ROOM}/juliet`);
    expect(forRomeo[0]!.attrs.type).toBeUndefined();
    expect(codes(forRomeo[0]!)).toEqual([]);

    expect(out).toHaveLength(4);
    expect(sim.room()!.occupants.size).toBe(2);
  });

  test("semi-anonymous by default (§7.2.5): real JIDs only for moderators, and for oneself", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(MERCUTIO, "mercutio"));
    expect(sim.take()).toMatchSnapshot();

    // Romeo, a moderator, sees mercutio's real JID.
    const [toRomeo] = to(out, ROMEO);
    expect(item(toRomeo!)).toEqual({ affiliation: "none", role: "participant", jid: MERCUTIO });
    // Juliet, a participant, does not.
    const [toJuliet] = to(out, JULIET);
    expect(item(toJuliet!)).toEqual({ affiliation: "none", role: "participant" });
    // Mercutio sees nobody's real JID but its own.
    const presences = to(out, MERCUTIO).filter((s) => s.name === "presence");
    expect(presences.map((p) => [p.attrs.from, item(p)?.jid])).toEqual([
      [`${ROOM}/romeo`, undefined],
      [`${ROOM}/juliet`, undefined],
      [`${ROOM}/mercutio`, MERCUTIO],
    ]);
    // And no real JID leaks anywhere else in what a participant receives about others.
    for (const stanza of [...to(out, JULIET), ...to(out, MERCUTIO).slice(0, 2)]) {
      const x = stanza.getChild("x", NS.mucUser)!.toString();
      for (const account of ["romeo@", "juliet@", "mercutio@"]) expect(x).not.toContain(account);
    }
  });

  test("the client's presence payload is passed on, its MUC join element is not (§7.2.3)", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    const presence = xml(
      "presence",
      { from: JULIET, to: `${ROOM}/juliet` },
      xml("show", {}, "away"),
      xml("status", {}, "on the balcony"),
      xml("x", { xmlns: NS.muc }, xml("password", {}, "secret")),
    );
    const out = sim.send(presence);
    for (const p of out.filter((s) => s.name === "presence" && s.attrs.from === `${ROOM}/juliet`)) {
      expect(p.getChildText("show")).toBe("away");
      expect(p.getChildText("status")).toBe("on the balcony");
      expect(p.getChild("x", NS.muc)).toBeUndefined();
      expect(p.toString()).not.toContain("secret");
    }
    expect(to(out, ROMEO)).toHaveLength(1);
  });

  test("a Groupchat 1.0 join, without <x xmlns='…muc'/>, also enters (§7.2.1)", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.take();
    const out = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/juliet` }));
    expect(sim.take()).toMatchSnapshot();

    expect(sim.room()!.occupants.size).toBe(2);
    expect(sim.room()!.sessions.has(JULIET)).toBe(true);
    const forJuliet = to(out, JULIET);
    expect(forJuliet.map((s) => s.name)).toEqual(["presence", "presence", "message"]);
    expect(codes(forJuliet[1]!)).toEqual(["110"]);
    expect(to(out, ROMEO)).toHaveLength(1);
  });

  test("a Groupchat 1.0 join creates a room too", () => {
    const sim = new Sim();
    const out = sim.send(xml("presence", { from: ROMEO, to: `${ROOM}/romeo` }));
    expect(sim.room()).toBeDefined();
    expect(sorted(codes(out[0]!))).toEqual(["110", "201"]);
    expect(out[1]!.getChildText("subject")).toBe("");
  });
});

describe("refused entries", () => {
  test("no nickname, to the bare room JID: jid-malformed, no room created (§7.2)", () => {
    const sim = new Sim();
    const out = sim.send(xml("presence", { from: ROMEO, to: ROOM, id: "j1" }, xml("x", { xmlns: NS.muc })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: ROMEO, from: ROOM, id: "j1" });
    expect(condition(out[0]!)).toBe("jid-malformed");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("modify");
    expect(sim.room()).toBeUndefined();
  });

  test("an empty nickname (room@service/): jid-malformed, no room created", () => {
    const sim = new Sim();
    const out = sim.send(join(ROMEO, ""));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.type).toBe("error");
    expect(out[0]!.attrs.to).toBe(ROMEO);
    expect(condition(out[0]!)).toBe("jid-malformed");
    expect(sim.room()).toBeUndefined();
  });

  test("no nickname in an existing room: jid-malformed, and the occupants hear nothing", () => {
    const sim = romeoAndJuliet();
    const before = sim.state;
    const out = sim.send(xml("presence", { from: MERCUTIO, to: ROOM }, xml("x", { xmlns: NS.muc })));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.to).toBe(MERCUTIO);
    expect(condition(out[0]!)).toBe("jid-malformed");
    expect(sim.state).toBe(before);
  });

  test("a nick another account holds: conflict, nobody else is told, the room is unchanged (§7.2.9)", () => {
    const sim = romeoAndJuliet();
    const before = sim.state;
    const out = sim.send(xml("presence", { from: MERCUTIO, to: `${ROOM}/juliet`, id: "j2" }, xml("x", { xmlns: NS.muc })));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: MERCUTIO, from: `${ROOM}/juliet`, id: "j2" });
    expect(condition(out[0]!)).toBe("conflict");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    expect(sim.state).toBe(before);
    expect(sim.room()!.occupants.size).toBe(2);
    expect(sim.room()!.sessions.has(MERCUTIO)).toBe(false);
  });

  test("nicks conflict whatever their case", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(MERCUTIO, "JULIET"));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("conflict");
    expect(sim.room()!.occupants.size).toBe(2);
  });

  test("a room name with a space: jid-malformed, no room created", () => {
    const sim = new Sim();
    const out = sim.send(join(ROMEO, "romeo", `bad room@${DOMAIN}`));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.type).toBe("error");
    expect(out[0]!.attrs.to).toBe(ROMEO);
    expect(condition(out[0]!)).toBe("jid-malformed");
    expect(sim.state.rooms.size).toBe(0);
  });

  // RFC 7622 §3.3.1: a localpart never contains " & ' / : < > @ (XEP-0106 escapes them).
  for (const bad of ['"', "&", "'", ":", "<", ">"]) {
    test(`a room name with ${bad}: jid-malformed, no room created (RFC 7622 §3.3.1)`, () => {
      const sim = new Sim();
      const out = sim.send(join(ROMEO, "romeo", `bad${bad}room@${DOMAIN}`));
      expect(out).toHaveLength(1);
      expect(out[0]!.attrs.type).toBe("error");
      expect(condition(out[0]!)).toBe("jid-malformed");
      expect(sim.state.rooms.size).toBe(0);
    });
  }
});

describe("a second session of the same account (§7.2.2 multi-session nicks)", () => {
  test("with the same nick: merged into the occupant, welcomed without 201, nobody else told", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(ROMEO2, "romeo"));
    expect(sim.take()).toMatchSnapshot();

    // Everything goes to the new session, nothing to juliet or to romeo's first session.
    expect(out.every((s) => s.attrs.to === ROMEO2)).toBe(true);
    expect(out.map((s) => [s.name, s.attrs.from])).toEqual([
      ["presence", `${ROOM}/juliet`],
      ["presence", `${ROOM}/romeo`],
      ["message", ROOM],
    ]);
    const self = out[1]!;
    expect(codes(self)).toEqual(["110"]);
    expect(item(self)).toEqual({ affiliation: "owner", role: "moderator", jid: ROMEO2 });
    // Romeo's session is a moderator's: it sees juliet's real JID.
    expect(item(out[0]!)?.jid).toBe(JULIET);

    const room = sim.room()!;
    expect(room.occupants.size).toBe(2);
    expect(room.sessions.get(ROMEO2)).toBe(room.sessions.get(ROMEO)!);
    expect(room.occupants.get(room.sessions.get(ROMEO)!)!.sessions.map((s) => s.jid)).toEqual([ROMEO, ROMEO2]);
  });

  test("asking for another nick: merged under the first nick, with 210 (§7.2.2)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(ROMEO2, "montague"));
    expect(sim.take()).toMatchSnapshot();

    expect(out.every((s) => s.attrs.to === ROMEO2)).toBe(true);
    const self = out.find((s) => s.name === "presence" && codes(s).includes("110"))!;
    expect(self.attrs.from).toBe(`${ROOM}/romeo`);
    expect(sorted(codes(self))).toEqual(["110", "210"]);
    expect(out.some((s) => s.attrs.from === `${ROOM}/montague`)).toBe(false);

    const room = sim.room()!;
    expect(room.occupants.size).toBe(2);
    expect([...room.occupants.values()].map((o) => o.nick).sort()).toEqual(["juliet", "romeo"]);
  });

  test("the nick case differs only: the same nick, no 210", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(ROMEO2, "Romeo"));
    const self = out.find((s) => s.name === "presence" && codes(s).includes("110"))!;
    expect(codes(self)).toEqual(["110"]);
    expect(self.attrs.from).toBe(`${ROOM}/romeo`);
  });

  test("alone in the room: the second session only gets itself and the subject", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    const out = sim.send(join(ROMEO2, "romeo"));
    expect(out.map((s) => [s.name, s.attrs.to])).toEqual([
      ["presence", ROMEO2],
      ["message", ROMEO2],
    ]);
    expect(codes(out[0]!)).toEqual(["110"]);
  });
});
