// XEP-0045 §7.5 Sending a Private Message: from one occupant to another's
// occupant JID, to every session of the recipient, from the sender's occupant
// JID, with an empty muc#user <x/> (as Prosody marks them).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

/** Romeo (two sessions, one occupant) and Juliet. */
function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [ROMEO2, "Romeo"], [JULIET, "Juliet"]);
}

function pm(from: string, nick: string, body: string, type: string | undefined = "chat", id = "pm1"): Element {
  return xml("message", { from, to: `${ROOM}/${nick}`, ...(type ? { type } : {}), id }, xml("body", {}, body));
}

describe("private messages (§7.5)", () => {
  test("delivered to every session of the recipient, from the sender's occupant JID, marked with <x xmlns='muc#user'/>", () => {
    const sim = balcony();
    const out = sim.send(pm(JULIET, "Romeo", "Wherefore art thou Romeo?"));
    expect(sim.take()).toMatchSnapshot();

    expect(out.map((m) => m.attrs.to).sort()).toEqual([ROMEO, ROMEO2].sort());
    for (const message of out) {
      expect(message.name).toBe("message");
      expect(message.attrs).toMatchObject({ from: `${ROOM}/Juliet`, type: "chat", id: "pm1" });
      expect(message.getChildText("body")).toBe("Wherefore art thou Romeo?");
      const x = message.getChildren("x", NS.mucUser);
      expect(x).toHaveLength(1);
      expect(x[0]!.children).toHaveLength(0);
      // Juliet's real JID is nowhere in what Romeo receives.
      expect(message.toString()).not.toContain("juliet@example.com");
    }
  });

  test("the reply goes back the same way, to the sender's only session", () => {
    const sim = balcony();
    const out = sim.send(pm(ROMEO2, "Juliet", "I take thee at thy word"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ from: `${ROOM}/Romeo`, to: JULIET, type: "chat" });
    expect(out[0]!.toString()).not.toContain("romeo@example.net");
  });

  test("a message without a type (normal) is delivered too", () => {
    const sim = balcony();
    const out = sim.send(pm(JULIET, "Romeo", "hello", undefined));
    expect(out).toHaveLength(2);
    for (const message of out) expect(message.attrs.from).toBe(`${ROOM}/Juliet`);
  });

  test("to a nick nobody has: item-not-found, nothing delivered", () => {
    const sim = balcony();
    const out = sim.send(pm(JULIET, "Tybalt", "Where are you?"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/Tybalt`, to: JULIET, id: "pm1" });
    expect(condition(out[0]!)).toBe("item-not-found");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
  });

  test("from someone not in the room: not-acceptable, nothing delivered", () => {
    const sim = balcony();
    const out = sim.send(pm(MERCUTIO, "Juliet", "A plague o' both your houses!"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: MERCUTIO });
    expect(condition(out[0]!)).toBe("not-acceptable");
    expect(to(out, JULIET)).toEqual([]);
  });

  test("type groupchat to an occupant JID: bad-request, nothing delivered", () => {
    const sim = balcony();
    const out = sim.send(pm(JULIET, "Romeo", "to everyone?", "groupchat"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET });
    expect(condition(out[0]!)).toBe("bad-request");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("modify");
  });

  test("a private message is not room history", () => {
    const sim = balcony();
    sim.send(pm(JULIET, "Romeo", "secret"));
    const out = sim.send(join(MERCUTIO, "Mercutio"));
    expect(out.some((s) => s.getChildText("body") === "secret")).toBe(false);
  });

  test("after the recipient leaves, its nick is gone: item-not-found", () => {
    const sim = balcony();
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet`, type: "unavailable" }));
    const out = sim.send(pm(ROMEO, "Juliet", "Juliet?"));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("item-not-found");
  });
});
