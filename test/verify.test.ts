// No ghosts (lib/verify.ts): after the component connection comes back, every session in memory
// is checked; while it is down, nothing is sent or timed out.
import { describe, expect, test } from "bun:test";
import { NS, xml } from "../lib/stanza.ts";
import { codes, join, JULIET, ROMEO, ROOM, roomWith } from "./helpers.ts";

describe("session checks after a reconnect", () => {
  test("back online: each session gets a ping from its room; a 'gone' error removes it (333); a live answer keeps it", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    sim.input({ kind: "connection", online: false });
    expect(sim.input({ kind: "tick" })).toEqual([]); // nothing is checked while down
    sim.input({ kind: "connection", online: true });
    const pings = sim.input({ kind: "tick" });
    expect(pings.map((p) => [p.attrs.from, p.attrs.to, p.getChild("ping", NS.ping) !== undefined]).sort()).toEqual([
      [ROOM, JULIET, true],
      [ROOM, ROMEO, true],
    ]);
    const romeo = pings.find((p) => p.attrs.to === ROMEO)!;
    const juliet = pings.find((p) => p.attrs.to === JULIET)!;
    expect(sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "result", id: romeo.attrs.id }))).toEqual([]);
    const gone = sim.send(xml("iq", { from: JULIET, to: ROOM, type: "error", id: juliet.attrs.id }, xml("error", { type: "cancel" }, xml("recipient-unavailable", { xmlns: NS.stanzas }))));
    expect(gone.map((p) => [p.attrs.to, p.attrs.type, codes(p)])).toEqual([[ROMEO, "unavailable", ["333"]]]);
    expect(gone[0]!.getChildText("status")).toBe("Removed from the room: no longer connected");
  });

  test("an answer from someone else, or to an id we did not send, changes nothing; a client's feature-not-implemented keeps it", () => {
    const sim = roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
    sim.input({ kind: "connection", online: true });
    const pings = sim.input({ kind: "tick" });
    const juliet = pings.find((p) => p.attrs.to === JULIET)!;
    const error = (from: string, id: string, condition: string) =>
      xml("iq", { from, to: ROOM, type: "error", id }, xml("error", { type: "cancel" }, xml(condition, { xmlns: NS.stanzas })));
    expect(sim.send(error(ROMEO, juliet.attrs.id, "item-not-found"))).toEqual([]);
    expect(sim.send(error(JULIET, "muc-verify-forged", "item-not-found"))).toEqual([]);
    expect(sim.send(error(JULIET, juliet.attrs.id, "feature-not-implemented"))).toEqual([]);
    expect([...sim.room()!.occupants.keys()].sort()).toEqual(["juliet", "romeo"]);
    void join;
  });
});
