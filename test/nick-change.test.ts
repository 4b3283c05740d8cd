// XEP-0045 §7.6 Changing Nickname, and §7.2.1/§7.2.9 nick conflicts at join
// decided on the normalised nick (RFC 8266), as Prosody orders the status codes.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, groupchat, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, roomWith } from "./helpers.ts";

function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
}

/** A nick change: plain presence to the new occupant JID (no MUC <x/>). */
function rename(from: string, nick: string): Element {
  return xml("presence", { from, to: `${ROOM}/${nick}` });
}

function item(presence: Element): Element | undefined {
  return presence.getChild("x", NS.mucUser)?.getChild("item");
}

/** The muc#user children as "status:303", "item", "status:110": their order matters. */
function xShape(presence: Element): string[] {
  return (presence.getChild("x", NS.mucUser)?.getChildElements() ?? []).map((c) =>
    c.name === "status" ? `status:${c.attrs.code}` : c.name,
  );
}

function nicks(sim: Sim): string[] {
  return [...sim.room()!.occupants.values()].map((o) => o.nick).sort();
}

describe("changing nickname (§7.6)", () => {
  test("unavailable with 303 and the new nick from the old one, then available from the new, to everyone", () => {
    const sim = balcony();
    const out = sim.send(rename(JULIET, "Capulet"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(4);
    for (const session of [ROMEO, JULIET]) {
      const [gone, back] = to(out, session);
      expect(gone!.attrs).toMatchObject({ from: `${ROOM}/Juliet`, type: "unavailable" });
      expect(item(gone!)!.attrs.nick).toBe("Capulet");
      expect(item(gone!)!.attrs.role).toBe("participant"); // not "none": she is not leaving (§7.6 example)
      expect(back!.attrs.from).toBe(`${ROOM}/Capulet`);
      expect(back!.attrs.type).toBeUndefined();
      expect(item(back!)!.attrs.nick).toBeUndefined();
      expect(item(back!)!.attrs.role).toBe("participant");
    }
    const [goneJ, backJ] = to(out, JULIET);
    expect(xShape(goneJ!)).toEqual(["status:303", "item", "status:110"]);
    expect(xShape(backJ!)).toEqual(["item", "status:110"]);
    const [goneR, backR] = to(out, ROMEO);
    expect(xShape(goneR!)).toEqual(["status:303", "item"]);
    expect(xShape(backR!)).toEqual(["item"]);

    expect(nicks(sim)).toEqual(["Capulet", "Romeo"]);
    expect(sim.room()!.sessions.get(JULIET)).toBe("capulet");
  });

  test("the owner keeps affiliation and role under the new nick", () => {
    const sim = balcony();
    const out = sim.send(rename(ROMEO, "Montague"));
    const [gone, back] = to(out, JULIET);
    expect(item(gone!)!.attrs).toMatchObject({ affiliation: "owner", role: "moderator", nick: "Montague" });
    expect(item(back!)!.attrs).toMatchObject({ affiliation: "owner", role: "moderator" });
    expect(back!.attrs.from).toBe(`${ROOM}/Montague`);
  });

  test("afterwards messages come from the new nick, and the old nick is free", () => {
    const sim = balcony();
    sim.send(rename(JULIET, "Capulet"));
    const out = sim.send(groupchat(JULIET, "My only love sprung from my only hate!"));
    expect(out).toHaveLength(2);
    for (const m of out) expect(m.attrs.from).toBe(`${ROOM}/Capulet`);

    const pm = sim.send(xml("message", { from: ROMEO, to: `${ROOM}/Capulet`, type: "chat" }, xml("body", {}, "hi")));
    expect(pm.map((m) => m.attrs.to)).toEqual([JULIET]);
    const stale = sim.send(xml("message", { from: ROMEO, to: `${ROOM}/Juliet`, type: "chat" }, xml("body", {}, "hi")));
    expect(stale).toHaveLength(1);
    expect(condition(stale[0]!)).toBe("item-not-found");

    const taken = sim.send(join(MERCUTIO, "Juliet"));
    expect(to(taken, MERCUTIO).some((s) => s.attrs.type === "error")).toBe(false);
    expect(nicks(sim)).toEqual(["Capulet", "Juliet", "Romeo"]);
  });

  test("a nick taken by another occupant: conflict, and nothing changes", () => {
    const sim = balcony();
    for (const nick of ["Romeo", "ROMEO", "ｒｏｍｅｏ"]) {
      const out = sim.send(rename(JULIET, nick));
      expect(out).toHaveLength(1);
      const [error] = out;
      expect(error!.attrs).toMatchObject({ type: "error", from: `${ROOM}/${nick}`, to: JULIET });
      expect(condition(error!)).toBe("conflict");
      expect(error!.getChild("error")!.attrs.type).toBe("cancel");
    }
    expect(sim.take()).toMatchSnapshot();
    expect(nicks(sim)).toEqual(["Juliet", "Romeo"]);
    expect(sim.room()!.sessions.get(JULIET)).toBe("juliet");
    const said = sim.send(groupchat(JULIET, "still me"));
    expect(said.map((m) => m.attrs.from)).toEqual([`${ROOM}/Juliet`, `${ROOM}/Juliet`]);
  });

  test("an invalid nick (control character): an error to the changer only, nothing changes", () => {
    const sim = balcony();
    for (const nick of ["Jul\tiet", "Ju\u0007liet", "Jul\u200Diet"]) {
      const out = sim.send(rename(JULIET, nick));
      expect(out).toHaveLength(1);
      expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET });
      expect(condition(out[0]!)).toBe("not-acceptable");
    }
    const tooLong = sim.send(rename(JULIET, "J".repeat(65)));
    expect(tooLong).toHaveLength(1);
    expect(condition(tooLong[0]!)).toBe("not-acceptable");
    expect(nicks(sim)).toEqual(["Juliet", "Romeo"]);
  });

  test("a case-only change is allowed", () => {
    const sim = balcony();
    const out = sim.send(rename(JULIET, "JULIET"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(4);
    const [gone, back] = to(out, ROMEO);
    expect(gone!.attrs).toMatchObject({ from: `${ROOM}/Juliet`, type: "unavailable" });
    expect(codes(gone!)).toEqual(["303"]);
    expect(item(gone!)!.attrs.nick).toBe("JULIET");
    expect(back!.attrs.from).toBe(`${ROOM}/JULIET`);
    expect(nicks(sim)).toEqual(["JULIET", "Romeo"]);
    expect(sim.room()!.occupants.size).toBe(2);
    expect(sim.send(groupchat(JULIET, "hi"))[0]!.attrs.from).toBe(`${ROOM}/JULIET`);
  });

  test("a merged account: a change by one session moves all its sessions", () => {
    const sim = balcony();
    sim.send(join(ROMEO2, "Romeo"));
    sim.take();
    const out = sim.send(rename(ROMEO2, "Montague"));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(6);
    for (const session of [ROMEO, ROMEO2]) {
      const [gone, back] = to(out, session);
      expect(gone!.attrs).toMatchObject({ from: `${ROOM}/Romeo`, type: "unavailable" });
      expect(xShape(gone!)).toEqual(["status:303", "item", "status:110"]);
      expect(item(gone!)!.attrs.nick).toBe("Montague");
      expect(back!.attrs.from).toBe(`${ROOM}/Montague`);
      expect(xShape(back!)).toEqual(["item", "status:110"]);
    }
    const [gone, back] = to(out, JULIET);
    expect(codes(gone!)).toEqual(["303"]);
    expect(back!.attrs.from).toBe(`${ROOM}/Montague`);

    const romeo = sim.room()!.occupants.get("montague")!;
    expect(romeo.sessions.map((s) => s.jid).sort()).toEqual([ROMEO, ROMEO2].sort());
    expect(sim.room()!.sessions.get(ROMEO)).toBe("montague");
    expect(sim.room()!.occupants.has("romeo")).toBe(false);
    // The other session speaks under the new nick too.
    expect(sim.send(groupchat(ROMEO, "Call me but love"))[0]!.attrs.from).toBe(`${ROOM}/Montague`);
  });
});

describe("nick normalisation at join (§7.2.9 conflicts, RFC 8266)", () => {
  test("nicks equal after normalisation conflict: case and full-width forms", () => {
    const sim = balcony();
    for (const nick of ["romeo", "ROMEO", "ｒｏｍｅｏ", " Romeo "]) {
      const out = sim.send(join(MERCUTIO, nick));
      expect(out).toHaveLength(1);
      expect(out[0]!.attrs).toMatchObject({ type: "error", to: MERCUTIO });
      expect(condition(out[0]!)).toBe("conflict");
    }
    expect(sim.take()).toMatchSnapshot();
    expect(sim.room()!.occupants.size).toBe(2);
    expect(sim.room()!.sessions.has(MERCUTIO)).toBe(false);
  });

  test("over-long and invalid nicks are rejected and nobody hears of them", () => {
    const sim = balcony();
    const long = sim.send(join(MERCUTIO, "M".repeat(65)));
    expect(long).toHaveLength(1);
    expect(condition(long[0]!)).toBe("not-acceptable");
    const control = sim.send(join(MERCUTIO, "Mercu\ntio"));
    expect(control).toHaveLength(1);
    expect(condition(control[0]!)).toBe("not-acceptable");
    expect(sim.room()!.occupants.size).toBe(2);
    // The longest allowed nick is fine.
    const ok = sim.send(join(MERCUTIO, "M".repeat(64)));
    expect(to(ok, JULIET)).toHaveLength(1);
  });

  test("a normalised nick is used as the occupant's nick, with 210 to tell the joiner", () => {
    const sim = balcony();
    const out = sim.send(join(MERCUTIO, "ｍｅｒｃｕｔｉｏ"));
    const self = to(out, MERCUTIO).find((s) => s.name === "presence" && codes(s).includes("110"))!;
    expect(self.attrs.from).toBe(`${ROOM}/mercutio`);
    expect(codes(self)).toContain("210");
    expect(to(out, JULIET)[0]!.attrs.from).toBe(`${ROOM}/mercutio`);
  });
});
