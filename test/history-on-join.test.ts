// XEP-0045 §7.2.15 Discussion History, end to end through the service: what
// the room keeps, what a joiner asked for with <history/> (§7.2.14 limits),
// each message with a XEP-0203 <delay from=room/>, before the subject.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, T0, to, roomWith } from "./helpers.ts";

const SECOND = 1000;

function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
}

/** Mercutio joins with these <history/> attributes (none: no <history/> at all). */
function joinWith(sim: Sim, attrs?: Record<string, string>): Element[] {
  const out = sim.send(join(MERCUTIO, "Mercutio", ROOM, ...(attrs ? [xml("history", attrs)] : [])));
  return to(out, MERCUTIO);
}

/** The bodies of the history messages among what a joiner received. */
function historyBodies(received: Element[]): string[] {
  return received.filter((s) => s.name === "message" && s.getChild("delay", NS.delay)).map((m) => m.getChildText("body")!);
}

/** Romeo and Juliet say m1…mn, one every 10 seconds from T0; then `now` is 10 s after the last. */
function chatter(sim: Sim, n: number): void {
  for (let i = 1; i <= n; i++) {
    sim.now = T0 + (i - 1) * 10 * SECOND;
    sim.send(groupchat(i % 2 ? JULIET : ROMEO, `m${i}`, `id${i}`));
  }
  sim.now = T0 + n * 10 * SECOND;
  sim.take();
}

describe("history on join (§7.2.15)", () => {
  test("stored messages are sent with a delay from the room, after the presences and before the subject", () => {
    const sim = balcony();
    chatter(sim, 3);
    const received = joinWith(sim);
    expect(sim.take()).toMatchSnapshot();

    const history = received.filter((s) => s.getChild("delay", NS.delay));
    expect(history.map((m) => m.getChildText("body"))).toEqual(["m1", "m2", "m3"]);
    expect(history.map((m) => m.attrs.from)).toEqual([`${ROOM}/Juliet`, `${ROOM}/Romeo`, `${ROOM}/Juliet`]);
    expect(history.map((m) => m.attrs.id)).toEqual(["id1", "id2", "id3"]);
    const stamps = history.map((m) => m.getChild("delay", NS.delay)!.attrs);
    expect(stamps).toEqual([
      { xmlns: NS.delay, from: ROOM, stamp: "2026-01-01T12:00:00Z" },
      { xmlns: NS.delay, from: ROOM, stamp: "2026-01-01T12:00:10Z" },
      { xmlns: NS.delay, from: ROOM, stamp: "2026-01-01T12:00:20Z" },
    ]);
    for (const m of history) expect(m.attrs.type).toBe("groupchat");
    const firstHistory = received.indexOf(history[0]!);
    expect(received.slice(0, firstHistory).every((s) => s.name === "presence")).toBe(true);
    const last = received[received.length - 1]!;
    expect(last.getChild("subject")).toBeDefined();
    expect(received.indexOf(history[2]!)).toBe(received.length - 2);
  });

  test("the other occupants receive no history when someone joins", () => {
    const sim = balcony();
    chatter(sim, 3);
    const out = sim.send(join(MERCUTIO, "Mercutio"));
    for (const session of [ROMEO, JULIET]) expect(to(out, session).map((s) => s.name)).toEqual(["presence"]);
  });

  test("maxstanzas='0' and maxchars='0': no history, the subject still comes", () => {
    for (const attrs of [{ maxstanzas: "0" }, { maxchars: "0" }] as Record<string, string>[]) {
      const sim = balcony();
      chatter(sim, 3);
      const received = joinWith(sim, attrs);
      expect(historyBodies(received)).toEqual([]);
      expect(received.filter((s) => s.name === "message")).toHaveLength(1);
      expect(received[received.length - 1]!.getChild("subject")).toBeDefined();
    }
  });

  test("maxstanzas='2': the last two", () => {
    const sim = balcony();
    chatter(sim, 5);
    expect(historyBodies(joinWith(sim, { maxstanzas: "2" }))).toEqual(["m4", "m5"]);
  });

  test("seconds: only what the room received within that many seconds", () => {
    const sim = balcony();
    chatter(sim, 5); // m1 at T0 … m5 at T0+40s; now is T0+50s
    sim.now += 60 * SECOND; // T0+110s: m5 was 70 s ago, m4 80 s ago, m3 90 s ago
    sim.take();
    expect(historyBodies(joinWith(sim, { seconds: "85" }))).toEqual(["m4", "m5"]);
  });

  test("seconds: advancing the clock makes old messages fall out", () => {
    const sim = balcony();
    chatter(sim, 2);
    sim.now = T0 + 3600 * SECOND;
    expect(historyBodies(joinWith(sim, { seconds: "60" }))).toEqual([]);
  });

  test("since: only messages received after that time", () => {
    const sim = balcony();
    chatter(sim, 5);
    expect(historyBodies(joinWith(sim, { since: "2026-01-01T12:00:15Z" }))).toEqual(["m3", "m4", "m5"]);
  });

  test("maxchars: as many of the newest as fit", () => {
    const sim = balcony();
    chatter(sim, 5);
    // Stored messages are about the same length (nicks differ by a letter): room for two and a half.
    const one = sim.room()!.history[0]!.chars;
    expect(historyBodies(joinWith(sim, { maxchars: String(Math.floor(one * 2.5)) }))).toEqual(["m4", "m5"]);
  });

  test("chat states without a body and messages with <no-store/> are broadcast but not kept", () => {
    const sim = balcony();
    const composing = xml(
      "message",
      { from: JULIET, to: ROOM, type: "groupchat", id: "cs1" },
      xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }),
    );
    expect(sim.send(composing)).toHaveLength(2);
    const offTheRecord = groupchat(ROMEO, "off the record", "nr1", ROOM, xml("no-store", { xmlns: NS.hints }));
    expect(sim.send(offTheRecord)).toHaveLength(2);
    sim.send(groupchat(JULIET, "on the record", "r1"));
    sim.take();

    const received = joinWith(sim);
    expect(historyBodies(received)).toEqual(["on the record"]);
    expect(received.some((s) => s.getChild("composing", "http://jabber.org/protocol/chatstates"))).toBe(false);
    expect(sim.room()!.history).toHaveLength(1);
  });

  test("by default the room keeps the last 20", () => {
    const sim = balcony();
    chatter(sim, 25);
    expect(sim.room()!.history).toHaveLength(20);
    const bodies = historyBodies(joinWith(sim));
    expect(bodies).toHaveLength(20);
    expect(bodies[0]).toBe("m6");
    expect(bodies[19]).toBe("m25");
    // Asking for more than the room keeps gives what it keeps.
    const sim2 = balcony();
    chatter(sim2, 25);
    expect(historyBodies(joinWith(sim2, { maxstanzas: "50" }))).toHaveLength(20);
  });

  test("history survives the speakers leaving, and keeps the nick they had", () => {
    const sim = balcony();
    chatter(sim, 2);
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet`, type: "unavailable" }));
    const received = joinWith(sim);
    const history = received.filter((s) => s.getChild("delay", NS.delay));
    expect(history.map((m) => m.attrs.from)).toEqual([`${ROOM}/Juliet`, `${ROOM}/Romeo`]);
  });
});
