// muc#roomconfig_maxusers (lib/room-features/max-users.ts): the owner's limit, bounded by the service's.
import { describe, expect, test } from "bun:test";
import { NS, xml } from "../../lib/stanza.ts";
import { condition, configure, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim } from "../helpers.ts";

describe("maxusers", () => {
  test("a full room refuses newcomers with service-unavailable; admins and owners still enter", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_maxusers": "2" }, "c"));
    sim.send(join(JULIET, "Juliet"));
    expect(condition(sim.send(join(MERCUTIO, "Mercutio"))[0]!)).toBe("service-unavailable");
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "a" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "mercutio@example.org", affiliation: "admin" }))));
    expect(sim.send(join(MERCUTIO, "Mercutio")).some((p) => p.attrs.type === "error")).toBe(false);
  });

  test("never above the service's limit: a larger value is bad-request; the form offers no more; none means the service's", () => {
    const sim = new Sim({ maxOccupants: 50 });
    sim.send(join(ROMEO, "Romeo"));
    expect(condition(sim.send(configure(ROMEO, { "muc#roomconfig_maxusers": "100" }, "c1"))[0]!)).toBe("bad-request");
    const form = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "f" }, xml("query", { xmlns: NS.mucOwner })))[0]!;
    const field = form.getChild("query")!.getChild("x", NS.data)!.getChildren("field").find((f) => f.attrs.var === "muc#roomconfig_maxusers")!;
    expect(field.getChildText("value")).toBe("50");
    expect(field.getChildren("option").map((o) => o.getChildText("value"))).toEqual(["10", "20", "30", "50"]);
    expect(sim.send(configure(ROMEO, { "muc#roomconfig_maxusers": "20" }, "c2"))[0]!.attrs.type).toBe("result");
    expect(sim.room()!.config.maxUsers).toBe(20);
    sim.send(configure(ROMEO, { "muc#roomconfig_maxusers": "none" }, "c3"));
    expect(sim.room()!.config.maxUsers).toBe(0);
    expect(condition(sim.send(configure(ROMEO, { "muc#roomconfig_maxusers": "-3" }, "c4"))[0]!)).toBe("bad-request");
  });
});
