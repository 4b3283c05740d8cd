// XEP-0050 commands for the service's admins (lib/admin-commands.ts).
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, configure, DOMAIN, join, JULIET, ROMEO, ROOM, Sim } from "./helpers.ts";

const ADMIN = "admin@example.org/console";
const COMMANDS = "http://jabber.org/protocol/commands";
const items = (from: string) => xml("iq", { from, to: DOMAIN, type: "get", id: "ci" }, xml("query", { xmlns: NS.discoItems, node: COMMANDS }));
function command(from: string, node: string, fields?: Record<string, string[]>): Element {
  const form = fields
    ? [xml("x", { xmlns: NS.data, type: "submit" }, ...Object.entries(fields).map(([v, values]) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)))))]
    : [];
  return xml("iq", { from, to: DOMAIN, type: "set", id: "cmd" }, xml("command", { xmlns: COMMANDS, node, action: "execute" }, ...form));
}

function busy(): Sim {
  const sim = new Sim({ admins: ["admin@example.org"] });
  sim.send(join(ROMEO, "Romeo"));
  sim.send(join(JULIET, "Juliet"));
  sim.send(join(ROMEO, "Romeo", `garden@${DOMAIN}`));
  sim.take();
  return sim;
}

describe("service administration (XEP-0050)", () => {
  test("admins see the commands in disco#items; anyone else is forbidden, listing or running them", () => {
    const sim = busy();
    const listed = sim.send(items(ADMIN))[0]!.getChild("query")!.getChildren("item").map((i) => i.attrs.node);
    expect(listed).toEqual(["http://prosody.im/protocol/muc#destroy", "http://jabber.org/protocol/muc#admin-list-rooms", "http://jabber.org/protocol/admin#announce"]);
    expect(condition(sim.send(items(ROMEO))[0]!)).toBe("forbidden");
    expect(condition(sim.send(command(ROMEO, "http://prosody.im/protocol/muc#destroy", { rooms: [ROOM] }))[0]!)).toBe("forbidden");
    expect(sim.room()).toBeDefined();
  });

  test("destroy (Prosody's node): without a form, the form; with rooms, every occupant is told and the rooms go", () => {
    const sim = busy();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "p"));
    sim.take();
    const form = sim.send(command(ADMIN, "http://prosody.im/protocol/muc#destroy"))[0]!;
    expect(form.getChild("command")!.attrs.status).toBe("executing");
    sim.send(command(ADMIN, "http://prosody.im/protocol/muc#destroy", { rooms: [ROOM] }));
    expect(sim.take()).toMatchSnapshot();
    expect(sim.room()).toBeUndefined();
    expect(sim.store.db.query("SELECT jid FROM rooms").all()).toEqual([{ jid: `garden@${DOMAIN}` }]); // the other room, occupied, is still stored
  });

  test("destroying a room gives its occupants their place back in the per-account room count (found by the property tests)", () => {
    const sim = new Sim({ admins: ["admin@example.org"], maxRoomsPerUser: 1 });
    sim.send(join(ROMEO, "Romeo"));
    expect(condition(sim.send(join(ROMEO, "Romeo", `garden@${DOMAIN}`))[0]!)).toBe("resource-constraint");
    sim.send(command(ADMIN, "http://prosody.im/protocol/muc#destroy", { rooms: [ROOM] }));
    expect(sim.send(join(ROMEO, "Romeo", `garden@${DOMAIN}`)).some((p) => p.attrs.type === "error")).toBe(false);
  });

  test("list rooms with their occupant counts", () => {
    const sim = busy();
    const result = sim.send(command(ADMIN, "http://jabber.org/protocol/muc#admin-list-rooms"))[0]!;
    const rows = result.getChild("command")!.getChild("x", NS.data)!.getChildren("item").map((item) => item.getChildren("field").map((f) => f.getChildText("value")));
    expect(rows).toEqual([
      [`garden@${DOMAIN}`, "garden", "1"],
      [ROOM, "room", "2"],
    ]);
  });

  test("announce: a message from each room to every session in it", () => {
    const sim = busy();
    const out = sim.send(command(ADMIN, "http://jabber.org/protocol/admin#announce", { body: ["Maintenance at noon"] }));
    const messages = out.filter((s) => s.name === "message");
    const sent = messages.map((m) => `${m.attrs.from} → ${m.attrs.to}: ${m.getChildText("body")}`).sort();
    expect(sent).toEqual([`garden@${DOMAIN} → ${ROMEO}: Maintenance at noon`, `${ROOM} → ${JULIET}: Maintenance at noon`, `${ROOM} → ${ROMEO}: Maintenance at noon`]);
    expect(out.at(-1)!.getChild("command")!.attrs.status).toBe("completed");
  });

  test("an unknown command is item-not-found; service disco#info lists the commands feature", () => {
    const sim = busy();
    expect(condition(sim.send(command(ADMIN, "urn:nope"))[0]!)).toBe("item-not-found");
    const info = sim.send(xml("iq", { from: ROMEO, to: DOMAIN, type: "get", id: "i" }, xml("query", { xmlns: NS.discoInfo })))[0]!;
    expect(info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var)).toContain(COMMANDS);
  });
});
