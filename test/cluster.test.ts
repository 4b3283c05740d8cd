// Several processes for one domain (lib/cluster.ts): two simulated processes on one store,
// with this test playing the server that routes each room's stanzas to its process (as
// ejabberd's domain_balancing does). The end-to-end version, on a real ejabberd with three
// processes, is test/integration/cluster.test.ts.
import { describe, expect, test } from "bun:test";
import { childEnv, parseCount, restartDelay } from "../lib/shell/cluster.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, DOMAIN, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim } from "./helpers.ts";

const ADMIN = "admin@example.org/console";
const GARDEN = `garden@${DOMAIN}`;
const COMMANDS = "http://jabber.org/protocol/commands";

function command(node: string, fields?: Record<string, string[]>): Element {
  const form = fields
    ? [xml("x", { xmlns: NS.data, type: "submit" }, ...Object.entries(fields).map(([v, values]) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)))))]
    : [];
  return xml("iq", { from: ADMIN, to: DOMAIN, type: "set", id: "cmd" }, xml("command", { xmlns: COMMANDS, node, action: "execute" }, ...form));
}

/** Process A holds the service's domain and `room`; process B holds `garden`. Both on one store. */
function twoProcesses() {
  const store = openSqliteStore(":memory:");
  const config = { cluster: true, admins: ["admin@example.org"] };
  const a = new Sim(config, { store });
  const b = new Sim(config, { store });
  b.sequence = 10_000; // ids of different processes never meet
  a.send(join(ROMEO, "Romeo"));
  a.send(join(JULIET, "Juliet"));
  b.send(join(MERCUTIO, "Mercutio", GARDEN));
  b.send(join(JULIET, "Juliet", GARDEN));
  a.take();
  b.take();
  return { a, b, store };
}

const rows = (result: Element) =>
  result.getChild("command")!.getChild("x", NS.data)!.getChildren("item").map((item) => item.getChildren("field").map((f) => f.getChildText("value")));

describe("several processes on one store (lib/cluster.ts)", () => {
  test("back after the connection was down, a process forgets its rooms, and reads each again, occupants and history, when it is next addressed", () => {
    const sim = new Sim({ cluster: true });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(join(JULIET, "Juliet"));
    sim.send(groupchat(ROMEO, "before the reconnect"));
    sim.input({ kind: "connection", online: false });
    sim.input({ kind: "connection", online: true });
    expect(sim.state.rooms.size).toBe(0);
    sim.take();
    const out = sim.send(groupchat(JULIET, "after it", "m2"));
    expect(out.map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO]); // both still occupants, nobody told anything
    expect(sim.room()!.history.map((h) => h.stanza.getChildText("body"))).toEqual(["before the reconnect", "after it"]);
    // The restored sessions are checked (verify.ts), as after a restart.
    sim.now += 1000;
    const checks = sim.input({ kind: "tick" });
    expect(checks.filter((s) => s.getChild("ping", NS.ping)).map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO]);
  });

  test("one process alone (the default) keeps its rooms over a reconnect, as before", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.input({ kind: "connection", online: false });
    sim.input({ kind: "connection", online: true });
    expect(sim.room()).toBeDefined();
  });

  test("a process that takes over a room (its slot changed hands) restores its occupants and answers MAM with what the other archived", () => {
    const { a, store } = twoProcesses();
    a.send(groupchat(ROMEO, "archived by A"));
    const c = new Sim({ cluster: true }, { store });
    c.sequence = 20_000;
    const out = c.send(groupchat(JULIET, "sent through C", "m2"));
    expect(out.map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO]);
    const mam = c.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "q" }, xml("query", { xmlns: NS.mam })));
    const bodies = mam.filter((s) => s.name === "message").map((m) => m.getChild("result", NS.mam)!.getChild("forwarded", NS.forward)!.getChild("message")!.getChildText("body"));
    expect(bodies).toEqual(["archived by A", "sent through C"]);
  });

  test("listing rooms reads storage: the rooms of every process, with their occupants", () => {
    const { a } = twoProcesses();
    const out = a.send(command("http://jabber.org/protocol/muc#admin-list-rooms"));
    expect(rows(out[0]!)).toEqual([
      [GARDEN, "garden", "2"],
      [ROOM, "room", "2"],
    ]);
    // Only admins: the list is never read for anyone else.
    const refused = a.send(xml("iq", { from: ROMEO, to: DOMAIN, type: "set", id: "x" }, xml("command", { xmlns: COMMANDS, node: "http://jabber.org/protocol/muc#admin-list-rooms" })));
    expect(condition(refused[0]!)).toBe("forbidden");
  });

  test("destroying a room another process holds: the request goes to the room through the server, its owner destroys it, and nobody answers the answer", () => {
    const { a, b } = twoProcesses();
    const form = a.send(command("http://prosody.im/protocol/muc#destroy"))[0]!;
    expect(form.getChild("command")!.getChild("x", NS.data)!.getChild("field")!.getChildren("option").map((o) => o.getChildText("value"))).toEqual([GARDEN, ROOM]);
    a.showWrites = true;
    const sent = a.send(command("http://prosody.im/protocol/muc#destroy", { rooms: [GARDEN], reason: ["closing"] }));
    const request = sent.find((s) => s.attrs.to === GARDEN)!;
    expect(a.take()).toMatchSnapshot("process A: a request to garden, no write of its own");
    b.showWrites = true;
    const done = b.send(request);
    expect(b.take()).toMatchSnapshot("process B: the occupants are told, the room goes");
    expect(b.room(GARDEN)).toBeUndefined();
    const answer = done.find((s) => s.attrs.to === DOMAIN)!;
    expect(answer.attrs.type).toBe("result");
    expect(a.send(answer)).toEqual([]);
    expect(a.room()).toBeDefined();
  });

  test("an announcement reaches the rooms of every process", () => {
    const { a, b } = twoProcesses();
    const out = a.send(command("http://jabber.org/protocol/admin#announce", { body: ["maintenance at noon"] }));
    expect(out.filter((s) => s.name === "message").map((s) => s.attrs.to).sort()).toEqual([GARDEN, JULIET, ROMEO]);
    expect(out.at(-1)!.getChild("command")!.getChildText("note")).toBe("The announcement was sent to 2 sessions here, and to 1 rooms held by other processes.");
    const heard = b.send(out.find((s) => s.attrs.to === GARDEN)!);
    expect(heard.map((s) => [s.attrs.from, s.attrs.to, s.attrs.type, s.getChildText("body")])).toEqual([
      [GARDEN, MERCUTIO, "groupchat", "maintenance at noon"],
      [GARDEN, JULIET, "groupchat", "maintenance at noon"],
    ]);
  });

  test("a request for a room that is stored but not in memory reads it first; for a room that does not exist, nothing happens and nobody is answered", () => {
    const { a, store } = twoProcesses();
    const c = new Sim({ cluster: true }, { store });
    const announce = xml("message", { from: DOMAIN, to: GARDEN, id: "x" }, xml("body", {}, "hello"));
    expect(c.send(announce).map((s) => s.attrs.to).sort()).toEqual([JULIET, MERCUTIO]);
    expect(c.send(xml("message", { from: DOMAIN, to: `nowhere@${DOMAIN}`, id: "y" }, xml("body", {}, "hello")))).toEqual([]);
    expect(c.send(xml("iq", { from: DOMAIN, to: `nowhere@${DOMAIN}`, type: "set", id: "z" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy"))))).toEqual([]);
    expect(a.room()).toBeDefined();
  });

  test("never answer ourselves: nothing else from our own domain gets an answer, an error least of all", () => {
    const { a } = twoProcesses();
    const ours = [
      xml("message", { from: GARDEN, to: ROOM, type: "groupchat", id: "1" }, xml("body", {}, "loop?")),
      xml("message", { from: `${GARDEN}/Mercutio`, to: `${ROOM}/Romeo`, type: "chat", id: "2" }, xml("body", {}, "loop?")),
      xml("iq", { from: DOMAIN, to: ROOM, type: "get", id: "3" }, xml("query", { xmlns: NS.discoInfo })),
      xml("iq", { from: `${GARDEN}/Mercutio`, to: DOMAIN, type: "get", id: "4" }, xml("query", { xmlns: NS.discoItems })),
      xml("presence", { from: DOMAIN, to: `${ROOM}/Service` }),
      xml("message", { from: GARDEN, to: ROOM, type: "error", id: "5" }, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))),
      xml("iq", { from: DOMAIN, to: `${ROOM}/Romeo`, type: "set", id: "6" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy"))),
      xml("message", { from: DOMAIN, to: DOMAIN, id: "7" }, xml("body", {}, "to myself")),
    ];
    for (const stanza of ours) expect([stanza.toString(), a.send(stanza)]).toEqual([stanza.toString(), []]);
    expect(a.room()!.occupants.size).toBe(2);
  });

  test("with one process (the default), a destroy request from our own domain is dropped like anything else from it", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    expect(sim.send(xml("iq", { from: DOMAIN, to: ROOM, type: "set", id: "z" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy"))))).toEqual([]);
    expect(sim.room()).toBeDefined();
  });
});

describe("the supervisor's decisions (lib/shell/cluster.ts)", () => {
  test("each process gets MUC_CLUSTER, its own HTTP port and its own recording; the rest of the environment as it is", () => {
    const env = { XMPP_DOMAIN: "muc.example.org", MUC_HTTP: "127.0.0.1:9090", MUC_RECORD: "/var/log/muc.rec" };
    expect([0, 2].map((i) => childEnv(env, i))).toEqual([
      { XMPP_DOMAIN: "muc.example.org", MUC_HTTP: "127.0.0.1:9090", MUC_RECORD: "/var/log/muc.rec.1", MUC_CLUSTER: "true" },
      { XMPP_DOMAIN: "muc.example.org", MUC_HTTP: "127.0.0.1:9092", MUC_RECORD: "/var/log/muc.rec.3", MUC_CLUSTER: "true" },
    ]);
    expect(childEnv({ MUC_HTTP: "[::1]:9090" }, 1).MUC_HTTP).toBe("[::1]:9091");
    expect(childEnv({ MUC_HTTP: "localhost:0" }, 1).MUC_HTTP).toBe("localhost:0"); // any free port, each its own
  });

  test("a process that ran a while is started again at once; one that keeps dying waits longer each time, up to 30 s", () => {
    expect(restartDelay(60_000, 8000)).toBe(0);
    const delays: number[] = [];
    for (let d = 0, i = 0; i < 10; i++) delays.push((d = restartDelay(100, d)));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  test("N is a whole number from 1 to 64", () => {
    expect(parseCount(["3"])).toBe(3);
    expect(parseCount([])).toBe(2);
    for (const bad of ["0", "65", "two", "1.5"]) expect(parseCount([bad])).toMatch(/^usage: bun run cluster N/);
  });
});
