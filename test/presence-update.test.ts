// XEP-0045 §7.7 Changing Availability Status, and a session joining again
// (§7.2 as Prosody handles a client that resyncs by sending its join again).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

const CAPS = "http://jabber.org/protocol/caps";
const VCARD_UPDATE = "vcard-temp:x:update";

/** Romeo creates the room (owner, moderator), Juliet joins; the transcript is cleared. */
function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
}

function away(from: string, nick: string, status = "at the balcony"): Element {
  return xml(
    "presence",
    { from, to: `${ROOM}/${nick}` },
    xml("show", {}, "away"),
    xml("status", {}, status),
    xml("c", { xmlns: CAPS, hash: "sha-1", node: "https://example.net/client", ver: "QgayPKawpkPSDYmwT/WM94uAlu0=" }),
    xml("x", { xmlns: VCARD_UPDATE }, xml("photo", {}, "01b87fcd030b72895ff8e88db57ec525450f000d")),
  );
}

function item(presence: Element): Element | undefined {
  return presence.getChild("x", NS.mucUser)?.getChild("item");
}

describe("presence update (§7.7)", () => {
  test("show and status go to every occupant, 110 only on the changer's own copy", () => {
    const sim = balcony();
    const out = sim.send(away(JULIET, "Juliet"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(2);
    for (const presence of out) {
      expect(presence.name).toBe("presence");
      expect(presence.attrs.from).toBe(`${ROOM}/Juliet`);
      expect(presence.attrs.type).toBeUndefined();
      expect(presence.getChildText("show")).toBe("away");
      expect(presence.getChildText("status")).toBe("at the balcony");
      expect(item(presence)?.attrs.role).toBe("participant");
      expect(item(presence)?.attrs.affiliation).toBe("none");
    }
    const [toRomeo] = to(out, ROMEO);
    const [toJuliet] = to(out, JULIET);
    expect(codes(toJuliet!)).toEqual(["110"]);
    expect(codes(toRomeo!)).toEqual([]);
  });

  test("client payloads (entity caps, vCard avatar hash) are passed on unchanged", () => {
    const sim = balcony();
    const out = sim.send(away(JULIET, "Juliet"));
    for (const presence of out) {
      const caps = presence.getChild("c", CAPS);
      expect(caps?.attrs).toEqual({ xmlns: CAPS, hash: "sha-1", node: "https://example.net/client", ver: "QgayPKawpkPSDYmwT/WM94uAlu0=" });
      expect(presence.getChild("x", VCARD_UPDATE)?.getChildText("photo")).toBe("01b87fcd030b72895ff8e88db57ec525450f000d");
      // Exactly one muc#user <x/>, the room's own.
      expect(presence.getChildren("x", NS.mucUser)).toHaveLength(1);
    }
  });

  test("a client cannot forge status codes: its own muc#user <x/> is not passed on", () => {
    const sim = balcony();
    const forged = xml(
      "presence",
      { from: JULIET, to: `${ROOM}/Juliet` },
      xml("show", {}, "dnd"),
      xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation: "owner", role: "moderator" }), xml("status", { code: "201" })),
    );
    const out = sim.send(forged);
    expect(out).toHaveLength(2);
    for (const presence of out) {
      expect(presence.getChildren("x", NS.mucUser)).toHaveLength(1);
      expect(item(presence)?.attrs.affiliation).toBe("none");
      expect(item(presence)?.attrs.role).toBe("participant");
      expect(codes(presence)).not.toContain("201");
    }
  });

  test("the room remembers the new presence: a later joiner sees it", () => {
    const sim = balcony();
    sim.send(away(JULIET, "Juliet", "gone to bed"));
    const out = sim.send(join(MERCUTIO, "Mercutio"));
    const juliet = to(out, MERCUTIO).find((p) => p.name === "presence" && p.attrs.from === `${ROOM}/Juliet`)!;
    expect(juliet.getChildText("show")).toBe("away");
    expect(juliet.getChildText("status")).toBe("gone to bed");
    expect(juliet.getChild("c", CAPS)).toBeDefined();
  });

  test("a merged account: every session of the occupant gets 110, others one copy each", () => {
    const sim = balcony();
    sim.send(join(ROMEO2, "Romeo"));
    sim.take();
    const out = sim.send(away(ROMEO2, "Romeo", "under the window"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(3);
    for (const session of [ROMEO, ROMEO2]) {
      const [copy] = to(out, session);
      expect(copy?.getChildText("show")).toBe("away");
      expect(codes(copy!)).toEqual(["110"]);
    }
    const [toJuliet] = to(out, JULIET);
    expect(toJuliet?.getChildText("status")).toBe("under the window");
    expect(codes(toJuliet!)).toEqual([]);
    // Juliet is a participant in a semi-anonymous room: no real JID for her.
    expect(item(toJuliet!)?.attrs.jid).toBeUndefined();
  });

  test("going back to available (no show) is broadcast too", () => {
    const sim = balcony();
    sim.send(away(JULIET, "Juliet"));
    const out = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet` }));
    expect(out).toHaveLength(2);
    for (const presence of out) {
      expect(presence.getChild("show")).toBeUndefined();
      expect(presence.getChild("status")).toBeUndefined();
    }
  });
});

describe("a session joining again (same session, same nick)", () => {
  test("gets the occupant list, its own presence and the subject again; nobody else hears of it", () => {
    const sim = balcony();
    sim.send(join(MERCUTIO, "Mercutio"));
    sim.send(xml("message", { from: ROMEO, to: ROOM, type: "groupchat", id: "s1" }, xml("subject", {}, "Verona")));
    sim.take();

    const out = sim.send(join(JULIET, "Juliet"));
    expect(sim.take()).toMatchSnapshot();

    expect(out.every((s) => s.attrs.to === JULIET)).toBe(true);
    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.from).sort()).toEqual([`${ROOM}/Juliet`, `${ROOM}/Mercutio`, `${ROOM}/Romeo`]);
    // Self-presence last among the presences, with 110.
    const self = presences[presences.length - 1]!;
    expect(self.attrs.from).toBe(`${ROOM}/Juliet`);
    expect(codes(self)).toEqual(["110"]);
    // The subject ends the join.
    const last = out[out.length - 1]!;
    expect(last.name).toBe("message");
    expect(last.getChildText("subject")).toBe("Verona");
    expect(last.attrs.from).toBe(`${ROOM}/Romeo`);

    // Still one occupant, one session, no status 201 (the room is not new).
    expect(sim.room()!.occupants.size).toBe(3);
    expect(sim.room()!.occupants.get("juliet")!.sessions).toHaveLength(1);
    expect(codes(self)).not.toContain("201");
  });

  test("a rejoin that carries a new show updates what later joiners see, silently", () => {
    const sim = balcony();
    const again = join(JULIET, "Juliet");
    again.append(xml("show", {}, "chat"));
    const out = sim.send(again);
    expect(to(out, ROMEO)).toEqual([]);
    const later = sim.send(join(MERCUTIO, "Mercutio"));
    const juliet = to(later, MERCUTIO).find((p) => p.attrs.from === `${ROOM}/Juliet`)!;
    expect(juliet.getChildText("show")).toBe("chat");
  });
});
