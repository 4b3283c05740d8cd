// XEP-0045 §7.4 Sending a Message to All Occupants: the room reflects a
// groupchat message to every session of every occupant, the sender's too.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, DOMAIN, groupchat, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

const CHATSTATES = "http://jabber.org/protocol/chatstates";

/** Romeo in two sessions (merged under "romeo"), and juliet. */
function romeoTwiceAndJuliet(): Sim {
  return roomWith([ROMEO, "romeo"], [JULIET, "juliet"], [ROMEO2, "romeo"]);
}

const recipients = (out: Element[]) => out.map((s) => s.attrs.to).sort();

describe("reflection (§7.4)", () => {
  test("to every session of every occupant, the sender and both merged sessions included, from the occupant JID", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(groupchat(JULIET, "Wherefore art thou?", "m1"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(3);
    expect(recipients(out)).toEqual([JULIET, ROMEO2, ROMEO].sort());
    for (const message of out) {
      expect(message.name).toBe("message");
      expect(message.attrs.from).toBe(`${ROOM}/juliet`);
      expect(message.attrs.type).toBe("groupchat");
      expect(message.attrs.id).toBe("m1");
      expect(message.getChildText("body")).toBe("Wherefore art thou?");
    }
    // Nothing about the sender's real JID goes out.
    for (const message of out) expect(message.toString()).not.toContain(`from="${JULIET}"`);
  });

  test("from the second session of a merged account: from the shared nick, to all three sessions", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(groupchat(ROMEO2, "Here I am", "m2"));
    expect(out).toHaveLength(3);
    expect(recipients(out)).toEqual([JULIET, ROMEO2, ROMEO].sort());
    for (const message of out) {
      expect(message.attrs.from).toBe(`${ROOM}/romeo`);
      expect(message.attrs.id).toBe("m2");
    }
  });

  test("extension payloads are kept: a chat state with no body is reflected as it is", () => {
    const sim = romeoTwiceAndJuliet();
    const message = xml("message", { from: JULIET, to: ROOM, type: "groupchat", id: "cs1" }, xml("active", { xmlns: CHATSTATES }));
    const out = sim.send(message);
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(3);
    expect(recipients(out)).toEqual([JULIET, ROMEO2, ROMEO].sort());
    for (const reflected of out) {
      expect(reflected.attrs.id).toBe("cs1");
      expect(reflected.getChild("active", CHATSTATES)).toBeDefined();
      expect(reflected.getChild("body")).toBeUndefined();
      // the chat state, and the occupant-id the room adds (XEP-0421); no stanza-id: a chat state alone is not archived
      expect(reflected.getChildElements().map((c) => c.name)).toEqual(["active", "occupant-id"]);
    }
  });

  test("other payloads travel next to the body", () => {
    const sim = romeoTwiceAndJuliet();
    const extra = xml("markable", { xmlns: "urn:xmpp:chat-markers:0" });
    const out = sim.send(groupchat(JULIET, "hi", "m3", ROOM, extra));
    for (const reflected of out) {
      expect(reflected.getChild("markable", "urn:xmpp:chat-markers:0")).toBeDefined();
      expect(reflected.getChildText("body")).toBe("hi");
    }
  });

  test("a stanza-id the client forged in the room's name is removed; another entity's is kept (XEP-0359 §3)", () => {
    const sim = romeoTwiceAndJuliet();
    const forged = xml("stanza-id", { xmlns: NS.stanzaId, by: ROOM, id: "forged" });
    const foreign = xml("stanza-id", { xmlns: NS.stanzaId, by: "juliet@example.com", id: "own-archive" });
    const out = sim.send(groupchat(JULIET, "trust me", "m4", ROOM, forged, foreign));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(3);
    for (const reflected of out) {
      const ids = reflected.getChildren("stanza-id", NS.stanzaId);
      expect(ids.some((s) => s.attrs.id === "forged")).toBe(false);
      expect(ids.filter((s) => s.attrs.by === ROOM && s.attrs.id === "forged")).toHaveLength(0);
      expect(reflected.toString()).not.toContain("forged");
      expect(ids.some((s) => s.attrs.by === "juliet@example.com" && s.attrs.id === "own-archive")).toBe(true);
    }
  });

  test("the reflection is in the room's history only as the room sent it", () => {
    const sim = romeoTwiceAndJuliet();
    sim.send(groupchat(JULIET, "remember me", "m5", ROOM, xml("stanza-id", { xmlns: NS.stanzaId, by: ROOM, id: "forged" })));
    const out = sim.send(join(MERCUTIO, "mercutio"));
    const history = to(out, MERCUTIO).filter((s) => s.name === "message" && s.getChild("body"));
    expect(history).toHaveLength(1);
    expect(history[0]!.attrs.from).toBe(`${ROOM}/juliet`);
    expect(history[0]!.toString()).not.toContain("forged");
  });
});

describe("refused messages", () => {
  test("from a non-occupant: not-acceptable to the sender, nothing to the room (§7.4)", () => {
    const sim = romeoTwiceAndJuliet();
    const before = sim.state;
    const out = sim.send(groupchat(MERCUTIO, "let me in", "x1"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: ROOM, to: MERCUTIO, id: "x1" });
    expect(condition(out[0]!)).toBe("not-acceptable");
    expect(sim.state).toBe(before);
  });

  test("from a session of an occupant's account that has not joined: not-acceptable", () => {
    const sim = romeoTwiceAndJuliet();
    const out = sim.send(groupchat("juliet@example.com/laptop", "me again", "x2"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.to).toBe("juliet@example.com/laptop");
    expect(condition(out[0]!)).toBe("not-acceptable");
  });

  test("to a room that does not exist: item-not-found, and no room is created", () => {
    const sim = romeoTwiceAndJuliet();
    const nowhere = `nowhere@${DOMAIN}`;
    const out = sim.send(groupchat(ROMEO, "anyone?", "x3", nowhere));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: nowhere, to: ROMEO, id: "x3" });
    expect(condition(out[0]!)).toBe("item-not-found");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    expect(sim.room(nowhere)).toBeUndefined();
    expect(sim.state.rooms.size).toBe(1);
  });

  test("a message of type error from an occupant is never reflected (transient error: nothing at all)", () => {
    const sim = romeoTwiceAndJuliet();
    const error = xml(
      "message",
      { from: JULIET, to: ROOM, type: "error", id: "m1" },
      xml("body", {}, "bounced"),
      xml("error", { type: "wait" }, xml("resource-constraint", { xmlns: NS.stanzas })),
    );
    const out = sim.send(error);
    expect(out).toEqual([]);
    expect(sim.room()!.sessions.has(JULIET)).toBe(true);
  });

  test("a message of type error from an occupant is never reflected (fatal error: only the departure)", () => {
    const sim = romeoTwiceAndJuliet();
    const error = xml(
      "message",
      { from: JULIET, to: ROOM, type: "error", id: "m1" },
      xml("body", {}, "bounced"),
      xml("error", { type: "cancel" }, xml("recipient-unavailable", { xmlns: NS.stanzas })),
    );
    const out = sim.send(error);
    expect(out.filter((s) => s.name === "message")).toEqual([]);
    expect(out.every((s) => s.name === "presence" && s.attrs.type === "unavailable")).toBe(true);
    for (const p of out) expect(codes(p)).toContain("333");
  });
});
