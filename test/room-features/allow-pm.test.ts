// muc#roomconfig_allowpm (lib/room-features/allow-pm.ts): who may send private messages.
import { describe, expect, test } from "bun:test";
import { xml } from "../../lib/stanza.ts";
import { condition, configure, join, JULIET, MERCUTIO, ROMEO, ROOM, roomWith, to } from "../helpers.ts";

const pm = (from: string, nick: string) => xml("message", { from, to: `${ROOM}/${nick}`, type: "chat", id: "pm" }, xml("body", {}, "psst"));

describe("allowpm", () => {
  test("anyone (the default): a visitor's private message is delivered", () => {
    const sim = roomWith([ROMEO, "Romeo"]);
    sim.send(configure(ROMEO, { "muc#roomconfig_moderatedroom": "1" }, "c"));
    sim.send(join(JULIET, "Juliet"));
    expect(sim.room()!.occupants.get("juliet")!.role).toBe("visitor");
    expect(to(sim.send(pm(JULIET, "Romeo")), ROMEO)).toHaveLength(1);
  });

  test("participants: a visitor may not, a participant may; moderators: only moderators; none: nobody", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    sim.send(configure(ROMEO, { "muc#roomconfig_allowpm": "participants" }, "c1"));
    expect(to(sim.send(pm(JULIET, "Romeo")), ROMEO)).toHaveLength(1);
    sim.send(configure(ROMEO, { "muc#roomconfig_moderatedroom": "1" }, "c2"));
    sim.send(join(MERCUTIO, "Mercutio"));
    const refused = sim.send(pm(MERCUTIO, "Romeo"));
    expect(refused.map((s) => [s.attrs.to, condition(s)])).toEqual([[MERCUTIO, "not-allowed"]]);

    sim.send(configure(ROMEO, { "muc#roomconfig_allowpm": "moderators" }, "c3"));
    expect(condition(sim.send(pm(JULIET, "Romeo"))[0]!)).toBe("not-allowed");
    expect(to(sim.send(pm(ROMEO, "Juliet")), JULIET)).toHaveLength(1);

    sim.send(configure(ROMEO, { "muc#roomconfig_allowpm": "none" }, "c4"));
    expect(condition(sim.send(pm(ROMEO, "Juliet"))[0]!)).toBe("not-allowed");
  });

  test("a value outside the four is bad-request, and nothing changes", () => {
    const sim = roomWith([ROMEO, "Romeo"]);
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_allowpm": "friends", "muc#roomconfig_roomname": "x" }, "c"));
    expect(condition(out[0]!)).toBe("bad-request");
    expect(sim.room()!.config).toMatchObject({ allowPm: "anyone", name: "" });
  });
});
