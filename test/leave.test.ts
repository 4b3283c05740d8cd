// XEP-0045 §7.14 Exiting a Room, the end of a temporary room (§10.1.1 "when
// the last occupant exits"), and errors bounced back for a gone session
// (RFC 6120 §8.3; status 333, XEP-0045 §15.6.2, as Prosody kicks such sessions).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

function item(presence: Element): Record<string, string> | undefined {
  return presence.getChild("x", NS.mucUser)?.getChild("item")?.attrs;
}

function romeoAndJuliet(): Sim {
  return roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
}

/** Romeo in two sessions (merged under "romeo"), and juliet. */
function romeoTwiceAndJuliet(): Sim {
  const sim = romeoAndJuliet();
  sim.send(join(ROMEO2, "romeo"));
  sim.take();
  return sim;
}

function discoItems(sim: Sim): string[] {
  const [result] = sim.send(xml("iq", { from: MERCUTIO, to: DOMAIN, type: "get", id: "items" }, xml("query", { xmlns: NS.discoItems })));
  return result!.getChild("query", NS.discoItems)!.getChildren("item").map((i) => i.attrs.jid);
}

function errorStanza(name: "message" | "presence", from: string, toJid: string, type: string, conditionName: string): Element {
  return xml(name, { from, to: toJid, type: "error", id: "e1" }, xml("error", { type }, xml(conditionName, { xmlns: NS.stanzas })));
}

describe("exiting a room (§7.14)", () => {
  test("the others get an unavailable presence with role none; the leaver gets its own with 110", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(leave(JULIET, "juliet"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(2);
    const [toRomeo] = to(out, ROMEO);
    expect(toRomeo!.attrs).toMatchObject({ from: `${ROOM}/juliet`, type: "unavailable" });
    expect(item(toRomeo!)).toMatchObject({ role: "none", affiliation: "none" });
    expect(codes(toRomeo!)).toEqual([]);
    // Romeo is a moderator: the real JID is shown to him (semi-anonymous room).
    expect(item(toRomeo!)!.jid).toBe(JULIET);

    const [self] = to(out, JULIET);
    expect(self!.attrs).toMatchObject({ from: `${ROOM}/juliet`, type: "unavailable" });
    expect(item(self!)).toMatchObject({ role: "none", jid: JULIET });
    expect(codes(self!)).toEqual(["110"]);

    const room = sim.room()!;
    expect(room.occupants.size).toBe(1);
    expect(room.sessions.has(JULIET)).toBe(false);
  });

  test("a participant leaving is shown to another participant without its real JID", () => {
    const sim = romeoAndJuliet();
    sim.send(join(MERCUTIO, "mercutio"));
    const out = sim.send(leave(MERCUTIO, "mercutio"));
    const [toJuliet] = to(out, JULIET);
    expect(toJuliet!.attrs.type).toBe("unavailable");
    expect(item(toJuliet!)).toEqual({ affiliation: "none", role: "none" });
    expect(to(out, ROMEO)).toHaveLength(1);
    expect(to(out, MERCUTIO)).toHaveLength(1);
    expect(out).toHaveLength(3);
  });

  test("the leaver's status text is passed on (§7.14)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/juliet`, type: "unavailable" }, xml("status", {}, "Good night")));
    expect(out).toHaveLength(2);
    for (const p of out) expect(p.getChildText("status")).toBe("Good night");
  });

  test("the leaver no longer receives the room's messages", () => {
    const sim = romeoAndJuliet();
    sim.send(leave(JULIET, "juliet"));
    const out = sim.send(groupchat(ROMEO, "gone?", "m9"));
    expect(out.map((s) => s.attrs.to)).toEqual([ROMEO]);
  });

  test("one session of a merged account leaving: only that session is told, nobody else", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(leave(ROMEO2, "romeo"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    const [self] = out;
    expect(self!.attrs).toMatchObject({ from: `${ROOM}/romeo`, to: ROMEO2, type: "unavailable" });
    expect(codes(self!)).toEqual(["110"]);
    expect(item(self!)).toMatchObject({ role: "none", jid: ROMEO2 });

    const room = sim.room()!;
    expect(room.occupants.size).toBe(2);
    expect(room.sessions.has(ROMEO)).toBe(true);
    expect(room.sessions.has(ROMEO2)).toBe(false);
    // The remaining session still gets the room's messages; the gone one does not.
    const reflected = sim.send(groupchat(JULIET, "still there?", "m10"));
    expect(reflected.map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
  });

  test("the first session of a merged account leaving: only that session is told, the other stays", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(leave(ROMEO, "romeo"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ from: `${ROOM}/romeo`, to: ROMEO, type: "unavailable" });
    expect(codes(out[0]!)).toEqual(["110"]);
    expect(sim.room()!.sessions.has(ROMEO2)).toBe(true);
    expect(sim.room()!.sessions.has(ROMEO)).toBe(false);
    expect(sim.send(groupchat(ROMEO2, "still here", "m13")).map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO2].sort());
  });

  test("the last session of a merged account leaving: the occupant leaves, everyone is told", () => {
    const sim = romeoTwiceAndJuliet();
    sim.send(leave(ROMEO2, "romeo"));
    const out = sim.send(leave(ROMEO, "romeo"));
    expect(out.map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
    expect(codes(to(out, ROMEO)[0]!)).toEqual(["110"]);
    expect(codes(to(out, JULIET)[0]!)).toEqual([]);
    expect(sim.room()!.occupants.size).toBe(1);
  });

  test("the last occupant leaving ends the temporary room: gone, and no longer in disco#items", () => {
    const sim = romeoAndJuliet();
    expect(discoItems(sim)).toEqual([ROOM]);
    sim.send(leave(JULIET, "juliet"));
    expect(sim.room()).toBeDefined();
    sim.take();

    const out = sim.send(leave(ROMEO, "romeo"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ to: ROMEO, type: "unavailable" });
    expect(codes(out[0]!)).toEqual(["110"]);
    expect(sim.room()).toBeUndefined();
    expect(sim.state.rooms.size).toBe(0);
    expect(discoItems(sim)).toEqual([]);
  });

  test("an unavailable presence from a non-occupant: nothing, the room is unchanged", () => {
    const sim = romeoAndJuliet();
    const before = sim.state;
    expect(sim.send(leave(MERCUTIO, "mercutio"))).toEqual([]);
    expect(sim.send(leave(MERCUTIO, "juliet"))).toEqual([]);
    expect(sim.send(leave("juliet@example.com/laptop", "juliet"))).toEqual([]);
    expect(sim.state).toBe(before);
  });

  test("an unavailable presence to a room that does not exist: nothing", () => {
    const sim = new Sim();
    expect(sim.send(leave(ROMEO, "romeo"))).toEqual([]);
    expect(sim.state.rooms.size).toBe(0);
  });
});

describe("errors bounced back from an occupant's session", () => {
  test("a message error (cancel, recipient-unavailable): the session leaves, the others see 333, the gone session gets nothing", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(errorStanza("message", JULIET, ROOM, "cancel", "recipient-unavailable"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(to(out, JULIET)).toEqual([]);
    const [toRomeo] = to(out, ROMEO);
    expect(toRomeo!.attrs).toMatchObject({ from: `${ROOM}/juliet`, type: "unavailable" });
    expect(codes(toRomeo!)).toEqual(["333"]);
    expect(item(toRomeo!)!.role).toBe("none");
    expect(sim.room()!.sessions.has(JULIET)).toBe(false);
    expect(sim.room()!.occupants.size).toBe(1);
  });

  test("a presence error (remote-server-not-found) to an occupant JID: the session leaves with 333", () => {
    const sim = romeoAndJuliet();
    sim.send(join(MERCUTIO, "mercutio"));
    sim.take();
    const out = sim.send(errorStanza("presence", JULIET, `${ROOM}/mercutio`, "cancel", "remote-server-not-found"));
    expect(sim.take()).toMatchSnapshot();

    expect(out.map((s) => s.attrs.to).sort()).toEqual([MERCUTIO, ROMEO].sort());
    for (const p of out) {
      expect(p.attrs).toMatchObject({ from: `${ROOM}/juliet`, type: "unavailable" });
      expect(codes(p)).toEqual(["333"]);
    }
    expect(sim.room()!.sessions.has(JULIET)).toBe(false);
  });

  test("a private message bounced back (to an occupant JID): the session leaves with 333", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(errorStanza("message", JULIET, `${ROOM}/romeo`, "cancel", "service-unavailable"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.to).toBe(ROMEO);
    expect(codes(out[0]!)).toEqual(["333"]);
    expect(sim.room()!.sessions.has(JULIET)).toBe(false);
  });

  test("one session of a merged account gone: only that session is removed, nobody is told", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(errorStanza("message", ROMEO2, ROOM, "cancel", "recipient-unavailable"));
    expect(out).toEqual([]);
    const room = sim.room()!;
    expect(room.sessions.has(ROMEO2)).toBe(false);
    expect(room.sessions.has(ROMEO)).toBe(true);
    expect(room.occupants.size).toBe(2);
    expect(sim.send(groupchat(JULIET, "hi", "m11")).map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
  });

  test("the last occupant gone: the room ends", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    const out = sim.send(errorStanza("presence", ROMEO, `${ROOM}/romeo`, "cancel", "remote-server-not-found"));
    expect(out).toEqual([]);
    expect(sim.room()).toBeUndefined();
  });

  test("a transient error (type wait) does not remove the session", () => {
    const sim = romeoAndJuliet();
    const before = sim.state;
    expect(sim.send(errorStanza("message", JULIET, ROOM, "wait", "recipient-unavailable"))).toEqual([]);
    expect(sim.send(errorStanza("presence", JULIET, `${ROOM}/romeo`, "wait", "resource-constraint"))).toEqual([]);
    expect(sim.state).toBe(before);
    expect(sim.room()!.sessions.has(JULIET)).toBe(true);
  });

  test("an error from a non-occupant does nothing", () => {
    const sim = romeoAndJuliet();
    const before = sim.state;
    expect(sim.send(errorStanza("message", MERCUTIO, ROOM, "cancel", "recipient-unavailable"))).toEqual([]);
    expect(sim.send(errorStanza("presence", MERCUTIO, `${ROOM}/juliet`, "cancel", "remote-server-not-found"))).toEqual([]);
    expect(sim.send(errorStanza("message", "juliet@example.com/laptop", ROOM, "cancel", "recipient-unavailable"))).toEqual([]);
    expect(sim.send(errorStanza("message", MERCUTIO, `nowhere@${DOMAIN}`, "cancel", "recipient-unavailable"))).toEqual([]);
    expect(sim.state).toBe(before);
  });

  test("after a bounce the gone session is not sent the room's messages", () => {
    const sim = romeoAndJuliet();
    sim.send(errorStanza("message", JULIET, ROOM, "cancel", "recipient-unavailable"));
    expect(sim.send(groupchat(ROMEO, "hello?", "m12")).map((s) => s.attrs.to)).toEqual([ROMEO]);
  });
});
