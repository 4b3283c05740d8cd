// muc#roomconfig_presencebroadcast (lib/room-features/presence-broadcast.ts, lib/offline-members.ts).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../../lib/stanza.ts";
import { configure, join, JULIET, leave, MERCUTIO, ROMEO, ROOM, Sim, to } from "../helpers.ts";

const broadcast = (from: string, roles: string[], id = "pb") =>
  xml(
    "iq",
    { from, to: ROOM, type: "set", id },
    xml(
      "query",
      { xmlns: NS.mucOwner },
      xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "muc#roomconfig_presencebroadcast" }, ...roles.map((r) => xml("value", {}, r)))),
    ),
  );
const presencesFrom = (out: Element[], nick: string) => out.filter((p) => p.name === "presence" && p.attrs.from === `${ROOM}/${nick}`);

describe("presencebroadcast", () => {
  test("moderators only: a participant's arrival is seen by nobody but itself; a moderator's by everyone", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(broadcast(ROMEO, ["moderator"]));
    const joined = sim.send(join(JULIET, "Juliet"));
    expect(presencesFrom(to(joined, ROMEO), "Juliet")).toEqual([]);
    expect(presencesFrom(to(joined, JULIET), "Romeo")).toHaveLength(1); // the moderator is seen
    expect(presencesFrom(to(joined, JULIET), "Juliet")).toHaveLength(1); // and itself
    const left = sim.send(leave(JULIET, "Juliet"));
    expect(to(left, ROMEO)).toEqual([]);
  });

  test("with none: absent members with a reserved nick appear to each joiner as unavailable", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(broadcast(ROMEO, ["moderator", "participant", "visitor", "none"]));
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "m" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "juliet@example.com", affiliation: "member", nick: "Juliet" }))));
    sim.take();
    sim.send(join(MERCUTIO, "Mercutio"));
    expect(sim.take()).toMatchSnapshot();
    // Juliet arrives: she is no longer listed as absent
    sim.send(join(JULIET, "Juliet"));
    const later = sim.send(join("benvolio@example.org/x", "Benvolio"));
    expect(later.filter((p) => p.attrs.type === "unavailable")).toEqual([]);
  });

  test("a value that is not a role is bad-request", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    expect(sim.send(broadcast(ROMEO, ["moderator", "everyone"]))[0]!.getChild("error")).toBeDefined();
    expect(sim.room()!.config.presenceBroadcast).toEqual(["moderator", "participant", "visitor"]);
  });

  test("in disco and the form, a fresh room broadcasts every role", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    const form = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "f" }, xml("query", { xmlns: NS.mucOwner })))[0]!;
    const field = form.getChild("query")!.getChild("x", NS.data)!.getChildren("field").find((f) => f.attrs.var === "muc#roomconfig_presencebroadcast")!;
    expect(field.attrs.type).toBe("list-multi");
    expect(field.getChildren("value").map((v) => v.getText())).toEqual(["moderator", "participant", "visitor"]);
    void configure;
  });
});
