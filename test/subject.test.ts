// XEP-0045 §8.1 Modifying the Room Subject (by default only moderators may,
// as in Prosody), and §7.2.15: the subject is the last thing a joiner receives.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, to, roomWith } from "./helpers.ts";

function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
}

function subject(from: string, text: string, id = "s1"): Element {
  return xml("message", { from, to: ROOM, type: "groupchat", id }, xml("subject", {}, text));
}

describe("changing the subject (§8.1)", () => {
  test("a moderator sets it: everyone receives it from the setter's occupant JID", () => {
    const sim = balcony();
    const out = sim.send(subject(ROMEO, "Fire Burn and Cauldron Bubble!"));
    expect(sim.take()).toMatchSnapshot();

    expect(out.map((m) => m.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
    for (const message of out) {
      expect(message.attrs).toMatchObject({ from: `${ROOM}/Romeo`, type: "groupchat" });
      expect(message.getChildText("subject")).toBe("Fire Burn and Cauldron Bubble!");
      expect(message.getChild("body")).toBeUndefined();
    }
    expect(sim.room()!.subject).toEqual({ text: "Fire Burn and Cauldron Bubble!", from: `${ROOM}/Romeo`, by: "romeo@example.net", at: sim.now });
  });

  test("a participant may not in a default room: forbidden, nobody else hears of it", () => {
    const sim = balcony();
    sim.send(subject(ROMEO, "Verona"));
    sim.take();
    const out = sim.send(subject(JULIET, "Capulets only"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET, from: ROOM });
    expect(condition(out[0]!)).toBe("forbidden");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("auth");
    expect(sim.room()!.subject?.text).toBe("Verona");
    const later = sim.send(join(MERCUTIO, "Mercutio"));
    expect(later[later.length - 1]!.getChildText("subject")).toBe("Verona");
  });

  test("a message with a body and a subject is an ordinary message, not a subject change", () => {
    const sim = balcony();
    const message = groupchat(JULIET, "hello", "m1");
    message.append(xml("subject", {}, "a thread title"));
    const out = sim.send(message);
    expect(out).toHaveLength(2);
    expect(sim.room()!.subject).toBeUndefined();
  });

  test("an empty <subject/> clears it: joiners then get an empty subject", () => {
    const sim = balcony();
    sim.send(subject(ROMEO, "Verona"));
    const out = sim.send(subject(ROMEO, ""));
    expect(out).toHaveLength(2);
    for (const message of out) expect(message.getChildText("subject")).toBe("");
    const later = sim.send(join(MERCUTIO, "Mercutio"));
    const last = later[later.length - 1]!;
    expect(last.getChild("subject")).toBeDefined();
    expect(last.getChildText("subject")).toBe("");
  });
});

describe("the subject on joining (§7.2.15)", () => {
  test("without a subject set, a joiner receives an empty <subject/> from the room", () => {
    const sim = balcony();
    const out = sim.send(join(MERCUTIO, "Mercutio"));
    const last = out[out.length - 1]!;
    expect(last.attrs).toMatchObject({ type: "groupchat", from: ROOM, to: MERCUTIO });
    expect(last.getChild("subject")).toBeDefined();
    expect(last.getChildText("subject")).toBe("");
  });

  test("a later joiner receives the current subject last, after the history", () => {
    const sim = balcony();
    sim.send(groupchat(JULIET, "O Romeo, Romeo!", "m1"));
    sim.now += 1000;
    sim.send(subject(ROMEO, "The balcony scene"));
    sim.now += 1000;
    sim.send(groupchat(ROMEO, "She speaks!", "m2"));
    sim.take();

    const out = sim.send(join(MERCUTIO, "Mercutio"));
    expect(sim.take()).toMatchSnapshot();

    const mine = to(out, MERCUTIO);
    const kinds = mine.map((s) => (s.name === "presence" ? "presence" : s.getChild("subject") ? "subject" : "history"));
    expect(kinds).toEqual(["presence", "presence", "presence", "history", "history", "subject"]);
    const last = mine[mine.length - 1]!;
    expect(last.attrs.from).toBe(`${ROOM}/Romeo`);
    expect(last.getChildText("subject")).toBe("The balcony scene");
    expect(last.getChild("delay", NS.delay)).toBeUndefined();
    // The subject change itself is not history.
    const history = mine.filter((s) => s.name === "message" && !s.getChild("subject"));
    expect(history.map((m) => m.getChildText("body"))).toEqual(["O Romeo, Romeo!", "She speaks!"]);
  });

  test("the subject keeps its setter's occupant JID after the setter leaves", () => {
    const sim = balcony();
    sim.send(subject(JULIET, "nope")); // forbidden, ignored
    sim.send(subject(ROMEO, "Verona"));
    sim.send(xml("presence", { from: ROMEO, to: `${ROOM}/Romeo`, type: "unavailable" }));
    const out = sim.send(join(MERCUTIO, "Mercutio"));
    const last = out[out.length - 1]!;
    expect(last.attrs.from).toBe(`${ROOM}/Romeo`);
    expect(last.getChildText("subject")).toBe("Verona");
  });
});
