// XEP-0421 occupant ids (lib/occupant-id.ts): one per (room, account), on every
// presence and message the room sends from an occupant, history and MAM
// included; stable across rejoins, nick changes and restarts; different in
// another room; a client's own is replaced.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { configure, DOMAIN, groupchat, join, JULIET, leave, ROMEO, ROMEO2, ROOM, Sim, to } from "./helpers.ts";

const idOf = (stanza: Element) => stanza.getChildren("occupant-id", NS.occupantId).map((o) => o.attrs.id as string);

describe("occupant-id", () => {
  test("the same id for an account's every session, presence and message; another for another account", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    const joined = sim.send(join(JULIET, "Juliet"));
    const merged = sim.send(join(ROMEO2, "Romeo"));
    const romeo = idOf(to(joined, JULIET).find((p) => p.attrs.from === `${ROOM}/Romeo`)!);
    expect(romeo).toHaveLength(1);
    expect(idOf(to(merged, ROMEO2).find((p) => p.attrs.from === `${ROOM}/Romeo`)!)).toEqual(romeo);
    const juliet = idOf(to(joined, ROMEO)[0]!);
    expect(juliet[0]).not.toBe(romeo[0]);
    const message = sim.send(groupchat(ROMEO2, "from the phone", "m1"));
    expect(message.map((m) => idOf(m)[0])).toEqual([romeo[0], romeo[0], romeo[0]]);
    const pm = sim.send(xml("message", { from: JULIET, to: `${ROOM}/Romeo`, type: "chat" }, xml("body", {}, "psst")));
    expect(pm.map((m) => idOf(m))).toEqual([juliet, juliet]);
  });

  test("stable across leaving and rejoining, nick changes and a restart; a different room gives a different id", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c"));
    const first = idOf(sim.send(join(JULIET, "Juliet")).find((p) => p.attrs.to === JULIET && p.attrs.from === `${ROOM}/Juliet`)!);
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Jules` }));
    sim.send(leave(JULIET, "Jules"));
    const again = sim.send(join(JULIET, "Giulietta"));
    expect(idOf(again.find((p) => p.attrs.from === `${ROOM}/Giulietta` && p.attrs.to === JULIET)!)).toEqual(first);
    const restarted = sim.restart();
    const after = restarted.send(join(JULIET, "Juliet"));
    expect(idOf(after.find((p) => p.attrs.from === `${ROOM}/Juliet`)!)).toEqual(first);
    const elsewhere = restarted.send(join(JULIET, "Juliet", `garden@${DOMAIN}`));
    expect(idOf(elsewhere.find((p) => p.attrs.from === `garden@${DOMAIN}/Juliet`)!)[0]).not.toBe(first[0]);
  });

  test("an occupant-id a client sends in its presence or message is replaced by the room's", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    const forged = xml("occupant-id", { xmlns: NS.occupantId, id: "i-am-juliet" });
    const joined = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet` }, xml("x", { xmlns: NS.muc }), forged));
    const own = idOf(to(joined, ROMEO)[0]!);
    expect(own).toHaveLength(1);
    expect(own[0]).not.toBe("i-am-juliet");
    const message = sim.send(groupchat(JULIET, "hi", "m1", ROOM, forged));
    expect(message.map(idOf)).toEqual([own, own]);
  });

  test("history carries the id the message was sent with", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    const [reflected] = sim.send(groupchat(ROMEO, "for history", "m1"));
    const history = sim.send(join(JULIET, "Juliet")).filter((m) => m.getChild("body"));
    expect(idOf(history[0]!)).toEqual(idOf(reflected!));
  });
});
