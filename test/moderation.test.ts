// XEP-0045 §8.2 Kicking an Occupant and §8.3–§8.4 Granting and Revoking
// Voice, by role changes in a muc#admin IQ set to the room; §7.4 a visitor
// may not speak.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, to, roomWith } from "./helpers.ts";

/** Romeo (owner, moderator), Juliet and Mercutio (participants). */
function verona(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"], [MERCUTIO, "Mercutio"]);
}

function setRole(from: string, nick: string, role: string, reason?: string, id = "r1"): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id },
    xml("query", { xmlns: NS.mucAdmin }, xml("item", { nick, role }, ...(reason ? [xml("reason", {}, reason)] : []))),
  );
}

function item(presence: Element): Element {
  return presence.getChild("x", NS.mucUser)!.getChild("item")!;
}

function xShape(presence: Element): string[] {
  return presence.getChild("x", NS.mucUser)!.getChildElements().map((c) => (c.name === "status" ? `status:${c.attrs.code}` : c.name));
}

describe("kicking (§8.2)", () => {
  test("a moderator kicks: 307 with actor and reason to all, 110 for the kicked, and an IQ result", () => {
    const sim = verona();
    const out = sim.send(setRole(ROMEO, "Mercutio", "none", "A plague o' both your houses!", "kick1"));
    expect(sim.take()).toMatchSnapshot();

    const [kicked] = to(out, MERCUTIO);
    expect(to(out, MERCUTIO)).toHaveLength(1);
    expect(kicked!.attrs).toMatchObject({ from: `${ROOM}/Mercutio`, type: "unavailable" });
    expect(item(kicked!).attrs).toMatchObject({ affiliation: "none", role: "none" });
    expect(item(kicked!).getChild("actor")!.attrs.nick).toBe("Romeo");
    expect(item(kicked!).getChildText("reason")).toBe("A plague o' both your houses!");
    expect(codes(kicked!).sort()).toEqual(["110", "307"]);
    expect(xShape(kicked!)).toEqual(["status:307", "item", "status:110"]);

    for (const session of [ROMEO, JULIET]) {
      const presences = to(out, session).filter((s) => s.name === "presence");
      expect(presences).toHaveLength(1);
      expect(presences[0]!.attrs).toMatchObject({ from: `${ROOM}/Mercutio`, type: "unavailable" });
      expect(codes(presences[0]!)).toEqual(["307"]);
      expect(item(presences[0]!).attrs.role).toBe("none");
    }

    const results = out.filter((s) => s.name === "iq");
    expect(results).toHaveLength(1);
    expect(results[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "kick1" });

    expect(sim.room()!.occupants.has("mercutio")).toBe(false);
    expect(sim.room()!.sessions.has(MERCUTIO)).toBe(false);
  });

  test("the kick presence is the room's, not a replay of the kicked occupant's last <status/> text", () => {
    // Prosody builds a fresh unavailable presence for a kick; the occupant's old
    // "at the balcony" is not a leave message, and the reason has its own place.
    const sim = verona();
    sim.send(xml("presence", { from: MERCUTIO, to: `${ROOM}/Mercutio` }, xml("show", {}, "away"), xml("status", {}, "at the balcony")));
    const out = sim.send(setRole(ROMEO, "Mercutio", "none", "Be gone"));
    const presences = out.filter((s) => s.name === "presence");
    expect(presences).toHaveLength(3);
    for (const presence of presences) {
      expect(presence.getChild("status")).toBeUndefined();
      expect(presence.getChild("show")).toBeUndefined();
      expect(item(presence).getChildText("reason")).toBe("Be gone");
    }
  });

  test("the kicked occupant is out: its messages are refused, and it may join again", () => {
    const sim = verona();
    sim.send(setRole(ROMEO, "Mercutio", "none"));
    const said = sim.send(groupchat(MERCUTIO, "I am hurt"));
    expect(said).toHaveLength(1);
    expect(condition(said[0]!)).toBe("not-acceptable");
    const back = sim.send(join(MERCUTIO, "Mercutio"));
    expect(to(back, JULIET)).toHaveLength(1);
  });

  test("a participant trying to kick: forbidden, nothing happens", () => {
    const sim = verona();
    const out = sim.send(setRole(JULIET, "Mercutio", "none", undefined, "kick2"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: JULIET, id: "kick2" });
    expect(condition(out[0]!)).toBe("forbidden");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("auth");
    expect(sim.room()!.occupants.size).toBe(3);
  });

  test("kicking the owner: not-allowed, even for a moderator", () => {
    const sim = verona();
    sim.send(setRole(ROMEO, "Juliet", "moderator"));
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("moderator");
    sim.take();
    const out = sim.send(setRole(JULIET, "Romeo", "none", undefined, "kick3"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET, id: "kick3" });
    expect(condition(out[0]!)).toBe("not-allowed");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    expect(sim.room()!.occupants.has("romeo")).toBe(true);
  });

  test("kicking a nick nobody has: item-not-found", () => {
    const sim = verona();
    const out = sim.send(setRole(ROMEO, "Tybalt", "none"));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("item-not-found");
  });

  test("someone not in the room cannot kick", () => {
    const sim = verona();
    const out = sim.send(setRole("tybalt@example.com/sword", "Mercutio", "none"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.type).toBe("error");
    expect(condition(out[0]!)).toBe("forbidden");
    expect(sim.room()!.occupants.has("mercutio")).toBe(true);
  });
});

describe("voice (§8.3–§8.4) in an unmoderated room", () => {
  test("revoking voice makes a participant a visitor, for everyone to see", () => {
    const sim = verona();
    const out = sim.send(setRole(ROMEO, "Juliet", "visitor", "Not so worthy after all!", "voice1"));
    expect(sim.take()).toMatchSnapshot();

    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.to).sort()).toEqual([JULIET, MERCUTIO, ROMEO].sort());
    for (const presence of presences) {
      expect(presence.attrs.from).toBe(`${ROOM}/Juliet`);
      expect(presence.attrs.type).toBeUndefined();
      expect(item(presence).attrs.role).toBe("visitor");
      expect(item(presence).getChildText("reason")).toBe("Not so worthy after all!");
    }
    expect(codes(to(out, JULIET)[0]!)).toEqual(["110"]);
    expect(codes(to(out, MERCUTIO)[0]!)).toEqual([]);
    const [result] = out.filter((s) => s.name === "iq");
    expect(result!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "voice1" });
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("visitor");
  });

  test("a visitor's groupchat message: forbidden, not reflected", () => {
    const sim = verona();
    sim.send(setRole(ROMEO, "Juliet", "visitor"));
    sim.take();
    const out = sim.send(groupchat(JULIET, "O, speak again, bright angel!", "g1"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: JULIET, id: "g1" });
    expect(condition(out[0]!)).toBe("forbidden");
    // Nor is it history.
    const later = sim.send(join("benvolio@example.net/square", "Benvolio"));
    expect(later.some((s) => s.getChildText("body") === "O, speak again, bright angel!")).toBe(false);
  });

  test("granting voice back makes the visitor a participant who may speak again", () => {
    const sim = verona();
    sim.send(setRole(ROMEO, "Juliet", "visitor"));
    sim.take();
    const out = sim.send(setRole(ROMEO, "Juliet", "participant", undefined, "voice2"));
    const presences = out.filter((s) => s.name === "presence");
    expect(presences).toHaveLength(3);
    for (const presence of presences) expect(item(presence).attrs.role).toBe("participant");
    expect(out.filter((s) => s.name === "iq")[0]!.attrs).toMatchObject({ type: "result", id: "voice2" });
    const said = sim.send(groupchat(JULIET, "Romeo, doff thy name", "g2"));
    expect(said).toHaveLength(3);
    for (const m of said) expect(m.attrs).toMatchObject({ from: `${ROOM}/Juliet`, type: "groupchat" });
  });

  test("a participant cannot revoke someone's voice", () => {
    const sim = verona();
    const out = sim.send(setRole(MERCUTIO, "Juliet", "visitor"));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("forbidden");
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("participant");
  });
});
