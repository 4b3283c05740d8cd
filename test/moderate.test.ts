// XEP-0425 moderated message retraction (lib/moderate.ts): a moderator retracts
// a message by its stanza-id; everyone is told from the room's bare JID; the
// archive keeps a tombstone; history forgets the message.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim } from "./helpers.ts";

function moderate(from: string, id: string, reason?: string): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id: "mod1" },
    xml("moderate", { xmlns: NS.moderate, id }, xml("retract", { xmlns: NS.retract }), ...(reason ? [xml("reason", {}, reason)] : [])),
  );
}

function legacyModerate(from: string, id: string): Element {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id: "mod0" },
    xml("apply-to", { xmlns: NS.fasten, id }, xml("moderate", { xmlns: NS.moderate0 }, xml("retract", { xmlns: NS.retract0 }), xml("reason", {}, "old client"))),
  );
}

/** Romeo owns the room; Juliet and Mercutio are participants; Mercutio says something rude. */
function rude(): [Sim, string] {
  const sim = new Sim();
  sim.send(join(ROMEO, "Romeo"));
  sim.send(join(JULIET, "Juliet"));
  sim.send(join(MERCUTIO, "Mercutio"));
  const out = sim.send(groupchat(MERCUTIO, "A plague o' both your houses!", "rude"));
  sim.take();
  return [sim, out[0]!.getChild("stanza-id", NS.stanzaId)!.attrs.id];
}

describe("moderation", () => {
  test("a moderator retracts a message: everyone gets the retraction from the room, then the moderator the result", () => {
    const [sim, id] = rude();
    sim.send(moderate(ROMEO, id, "Language"));
    expect(sim.take()).toMatchSnapshot();
  });

  test("the archive keeps a tombstone instead of the content, and archives the notice; history forgets the message", () => {
    const [sim, id] = rude();
    sim.send(moderate(ROMEO, id, "Language"));
    sim.store.settle(); // the notice, staged, in the archive proper
    const rows = sim.store.db.query("SELECT id, stanza, retracted FROM archive ORDER BY seq").all() as { id: string; stanza: string; retracted: number }[];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id, retracted: 1 });
    expect(rows[0]!.stanza).not.toContain("plague");
    expect(rows[0]!.stanza).toContain(`<retracted xmlns="${NS.retract}"`);
    expect(rows[1]!.stanza).toContain(`<retract xmlns="${NS.retract}" id="${id}"`);
    const history = sim.send(join("benvolio@example.org/x", "Benvolio")).filter((m) => m.name === "message");
    expect(history.map(String).join()).not.toContain("plague");
    expect(history.some((m) => m.getChild("retract", NS.retract)?.attrs.id === id)).toBe(true);
  });

  test("the older protocol (urn:xmpp:message-moderate:0) works too", () => {
    const [sim, id] = rude();
    const out = sim.send(legacyModerate(ROMEO, id));
    expect(out.at(-1)!.attrs.type).toBe("result");
    const notice = out[0]!;
    expect(notice.getChild("apply-to", NS.fasten)!.attrs.id).toBe(id);
    expect(notice.getChild("apply-to", NS.fasten)!.getChild("moderated", NS.moderate0)!.attrs.by).toBe(`${ROOM}/Romeo`);
  });

  test("a participant may not moderate (forbidden); an unknown id is item-not-found; retracting twice is a quiet success", () => {
    const [sim, id] = rude();
    expect(condition(sim.send(moderate(JULIET, id))[0]!)).toBe("forbidden");
    expect(condition(sim.send(moderate("stranger@example.org/x", id))[0]!)).toBe("forbidden");
    expect(condition(sim.send(moderate(ROMEO, "no-such-id"))[0]!)).toBe("item-not-found");
    expect(condition(sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "b" }, xml("moderate", { xmlns: NS.moderate, id })))[0]!)).toBe("bad-request");
    expect(sim.send(moderate(ROMEO, id)).length).toBeGreaterThan(1);
    expect(sim.send(moderate(ROMEO, id)).map((s) => s.attrs.type)).toEqual(["result"]);
  });

  test("MAM returns the tombstone where the message was", () => {
    const [sim, id] = rude();
    sim.send(moderate(ROMEO, id));
    const out = sim.send(xml("iq", { from: JULIET, to: ROOM, type: "set", id: "q" }, xml("query", { xmlns: NS.mam })));
    const forwarded = out.filter((m) => m.name === "message").map((m) => m.getChild("result", NS.mam)!.getChild("forwarded", NS.forward)!.getChild("message")!);
    expect(forwarded[0]!.getChild("retracted", NS.retract)).toBeDefined();
    expect(forwarded[0]!.getChild("body")).toBeUndefined();
    expect(forwarded[0]!.attrs.from).toBe(`${ROOM}/Mercutio`);
  });
});
