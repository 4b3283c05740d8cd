// Rooms that survive (lib/storage.ts, lib/shell/sqlite.ts): what the core asks
// storage to write, as data next to the stanzas (snapshots show both), and a
// restart of the service on the same SQLite store: persistent rooms come back
// with their configuration, affiliations (reasons, reserved nicks), subject,
// avatar, occupant-id salt and history, loaded when first addressed; nobody is
// told of a departure; temporary rooms are gone with their archive.
import { describe, expect, test } from "bun:test";
import { NS, xml } from "../lib/stanza.ts";
import { toStoredRoom } from "../lib/storage.ts";
import { codes, condition, configure, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROOM, Sim, to } from "./helpers.ts";

const persistent = (id = "c1", extra: Record<string, string> = {}) => configure(ROMEO, { "muc#roomconfig_persistentroom": "1", ...extra }, id);

function admin(from: string, item: Record<string, string>, reason?: string) {
  return xml(
    "iq",
    { from, to: ROOM, type: "set", id: `a-${item.jid ?? item.nick}` },
    xml("query", { xmlns: NS.mucAdmin }, xml("item", item, ...(reason ? [xml("reason", {}, reason)] : []))),
  );
}

function list(from: string, affiliation: string) {
  return xml("iq", { from, to: ROOM, type: "get", id: `l-${affiliation}` }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation })));
}

const subject = (from: string, text: string) => xml("message", { from, to: ROOM, type: "groupchat", id: "s" }, xml("subject", {}, text));

/** A persistent members-only room with a member, a ban with a reason, a subject and two messages. */
function furnished(): Sim {
  const sim = new Sim({}, { showWrites: true });
  sim.send(join(ROMEO, "Romeo"));
  sim.send(persistent("c1", { "muc#roomconfig_membersonly": "1", "muc#roomconfig_roomname": "Verona" }));
  sim.send(admin(ROMEO, { jid: "juliet@example.com", affiliation: "member" }));
  sim.send(admin(ROMEO, { jid: "tybalt@example.org", affiliation: "outcast" }, "Too quick to draw"));
  sim.send(join(JULIET, "Juliet"));
  sim.send(subject(ROMEO, "The balcony"));
  sim.now += 1000;
  sim.send(groupchat(JULIET, "Wherefore art thou?", "m1"));
  sim.send(groupchat(ROMEO, "Here!", "m2"));
  return sim;
}

/** The room's archived rows as stored, in the archive or still staged (lib/shell/sqlite.ts). */
const archived = (sim: Sim, columns: string) =>
  sim.store.db.query(`SELECT ${columns} FROM (SELECT seq, room, id, at, nick, stanza FROM archive UNION ALL SELECT seq, room, id, at, nick, stanza FROM archive_staged) ORDER BY seq`).all();

describe("writes, as data next to the stanzas", () => {
  test("a room is stored while it has occupants, temporary or not (so a restart restores them); persistent, also when empty", () => {
    const sim = new Sim({}, { showWrites: true });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(groupchat(ROMEO, "Is anyone there?", "m1"));
    sim.send(persistent());
    sim.send(join(JULIET, "Juliet"));
    sim.send(leave(JULIET, "Juliet"));
    expect(sim.take()).toMatchSnapshot();
  });

  test("a groupchat message's archive write comes before its copies leave (one batch, committed first)", () => {
    const sim = new Sim({}, { showWrites: true });
    sim.send(join(ROMEO, "Romeo"));
    sim.take();
    sim.send(groupchat(ROMEO, "Is anyone there?", "m1"));
    expect(sim.store.db.inTransaction).toBe(false);
    expect(archived(sim, "id, room")).toEqual([{ id: "n3", room: ROOM }]);
  });

  test("the last occupant leaving a temporary room ends it, and its archive goes with it", () => {
    const sim = new Sim({}, { showWrites: true });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(groupchat(ROMEO, "Soon gone", "m1"));
    sim.take();
    sim.send(leave(ROMEO, "Romeo"));
    expect(sim.take()).toContain(`## delete-room ${ROOM} with its archive`);
    expect(archived(sim, "id")).toEqual([]);
  });

  test("a persistent room that becomes temporary stays stored while occupied, and ends with its archive when the last one leaves", () => {
    const sim = new Sim({}, { showWrites: true });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(persistent());
    sim.send(groupchat(ROMEO, "kept", "m1"));
    sim.take();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "0" }, "c2"));
    expect(sim.take()).toContain(`## save-room ${ROOM} {"config":{"name":"","description":"","persistent":false`);
    expect(archived(sim, "id")).toHaveLength(1);
    sim.send(leave(ROMEO, "Romeo"));
    expect(sim.take()).toContain(`## delete-room ${ROOM} with its archive`);
    for (const table of ["rooms", "archive", "archive_staged", "occupants"]) expect(sim.store.db.query(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
  });

  test("destroying a persistent room removes it and its archive from storage", () => {
    const sim = furnished();
    sim.take();
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "d" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy"))));
    expect(sim.take()).toContain(`## delete-room ${ROOM} with its archive`);
    for (const table of ["rooms", "archive", "archive_staged", "occupants"]) expect(sim.store.db.query(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    const after = sim.restart();
    const out = after.send(join(MERCUTIO, "Mercutio"));
    expect(codes(to(out, MERCUTIO).find((p) => p.name === "presence")!)).toContain("201"); // a new room
  });

  test("the same inputs give the same writes (replays cover storage too)", () => {
    const a = furnished();
    const b = furnished();
    const transcript = a.take();
    expect(transcript).toBe(b.take());
    expect(transcript.split("\n").filter((l) => l.startsWith("## ")).length).toBeGreaterThan(8);
  });
});

describe("after a restart (the service killed, started again on the same store)", () => {
  test("a persistent room comes back with its configuration, affiliations, ban reason, subject and history; its owner is still its owner", () => {
    const before = furnished();
    const ownerId = before.room()!.occupants.get("romeo")!.occupantId;
    const sim = before.restart();
    expect(sim.state.rooms.size).toBe(0); // nothing is loaded at start

    // Someone else arriving first does not get a fresh room to own: it is members-only.
    const refused = sim.send(join(MERCUTIO, "Mercutio"));
    expect(condition(refused[0]!)).toBe("registration-required");
    const room = sim.room()!;
    expect(room.config).toMatchObject({ persistent: true, membersOnly: true, name: "Verona" });
    expect(room.affiliations.get("romeo@example.net")).toBe("owner");
    expect(room.affiliations.get("juliet@example.com")).toBe("member");
    expect(room.affiliationNotes.get("tybalt@example.org")).toEqual({ reason: "Too quick to draw" });
    expect(room.subject).toMatchObject({ text: "The balcony", from: `${ROOM}/Romeo`, by: "romeo@example.net" });

    sim.take();
    const out = sim.send(join(ROMEO, "Romeo"));
    expect(sim.take()).toMatchSnapshot();
    const self = out.find((p) => p.name === "presence" && codes(p).includes("110"))!;
    expect(codes(self)).not.toContain("201"); // not a new room
    expect(self.getChild("occupant-id", NS.occupantId)!.attrs.id).toBe(ownerId);
    const history = out.filter((m) => m.name === "message" && m.getChild("body"));
    expect(history.map((m) => m.getChildText("body"))).toEqual(["Wherefore art thou?", "Here!"]);
    expect(history.map((m) => m.getChild("stanza-id", NS.stanzaId)!.attrs.id)).toEqual(["n8", "n9"]);
    expect(out.at(-1)!.getChildText("subject")).toBe("The balcony");

    const outcasts = sim.send(list(ROMEO, "outcast"));
    expect(outcasts[0]!.getChild("query")!.getChildren("item").map((i) => i.attrs.jid)).toEqual(["tybalt@example.org"]);
  });

  test("occupants come back as they were: nobody is told anything, and a client that stayed connected notices nothing", () => {
    const sim = furnished().restart();
    sim.take();
    const ping = sim.send(xml("iq", { from: JULIET, to: `${ROOM}/Juliet`, type: "get", id: "sp" }, xml("ping", { xmlns: NS.ping })));
    expect(ping.map((s) => s.attrs.type)).toEqual(["result"]); // XEP-0410: still joined
    const message = sim.send(groupchat(JULIET, "still here", "m3"));
    expect(message.map((m) => m.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
    expect(sim.take().split("\n").filter((l) => l.includes('type="unavailable"'))).toEqual([]);
    expect([...sim.room()!.occupants.keys()].sort()).toEqual(["juliet", "romeo"]);
    expect(sim.room()!.occupants.get("romeo")!.role).toBe("moderator");
  });

  test("each restored session is checked with a ping, a few per tick: one that answers stays, one the server says is gone leaves with 333", () => {
    const sim = furnished().restart({ verifyBatch: 1 });
    sim.send(groupchat(ROMEO, "wake the room", "w")); // the room is read from storage when addressed
    sim.take();
    const ticks = [sim.input({ kind: "tick" }), sim.input({ kind: "tick" })];
    expect(ticks.map((out) => out.length)).toEqual([1, 1]); // paced: one per tick here
    for (const [ping] of ticks) expect([ping!.name, ping!.attrs.type, ping!.attrs.from, ping!.getChild("ping", NS.ping) !== undefined]).toEqual(["iq", "get", ROOM, true]);
    const first = ticks.find(([ping]) => ping!.attrs.to === ROMEO)!;
    const second = ticks.find(([ping]) => ping!.attrs.to === JULIET)!;
    // Romeo's client answers; Juliet's server says there is no such session (twice: ping, then disco#info).
    expect(sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "result", id: first[0]!.attrs.id }))).toEqual([]);
    const unavailable = (id: string) =>
      xml("iq", { from: JULIET, to: ROOM, type: "error", id }, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas })));
    const disco = sim.send(unavailable(second[0]!.attrs.id));
    expect(disco.map((s) => [s.attrs.to, s.getChildElements()[0]!.attrs.xmlns])).toEqual([[JULIET, NS.discoInfo]]);
    const removed = sim.send(unavailable(disco[0]!.attrs.id));
    expect(removed.map((s) => [s.attrs.to, s.attrs.type])).toEqual([[ROMEO, "unavailable"]]);
    expect(codes(removed[0]!)).toEqual(["333"]);
    expect([...sim.room()!.occupants.keys()]).toEqual(["romeo"]);
    expect(sim.store.db.query("SELECT key FROM occupants").all()).toEqual([{ key: "romeo" }]);
  });

  test("a session that never answers counts as gone after verifyTimeout; a client without ping that answers disco#info stays", () => {
    const sim = furnished().restart({ verifyTimeout: 30 });
    sim.send(groupchat(ROMEO, "wake the room", "w"));
    const pings = sim.input({ kind: "tick" });
    expect(pings.map((s) => s.attrs.to).sort()).toEqual([JULIET, ROMEO].sort());
    const romeoPing = pings.find((p) => p.attrs.to === ROMEO)!;
    const disco = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "error", id: romeoPing.attrs.id }, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))));
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "result", id: disco[0]!.attrs.id }, xml("query", { xmlns: NS.discoInfo })));
    sim.now += 29_000;
    expect(sim.input({ kind: "tick" })).toEqual([]);
    sim.now += 1_000;
    const timedOut = sim.input({ kind: "tick" });
    expect(timedOut.map((s) => [s.attrs.from, s.attrs.to, s.attrs.type])).toEqual([[`${ROOM}/Juliet`, ROMEO, "unavailable"]]);
    expect([...sim.room()!.occupants.keys()]).toEqual(["romeo"]);
  });

  test("a temporary room with occupants comes back with them; one that had ended is gone, and its first joiner creates a new one", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(groupchat(ROMEO, "temporary", "m1"));
    sim.send(join(JULIET, "Juliet", `garden@${DOMAIN}`));
    sim.send(leave(JULIET, "Juliet", `garden@${DOMAIN}`));
    const after = sim.restart();
    const back = after.send(groupchat(ROMEO, "still here", "m2"));
    expect(back.map((m) => m.attrs.to)).toEqual([ROMEO]);
    const fresh = after.send(join(JULIET, "Juliet", `garden@${DOMAIN}`));
    const self = fresh.find((p) => p.name === "presence" && codes(p).includes("110"))!;
    expect(codes(self)).toContain("201");
  });

  test("join history after a restart follows the room's history length and leaves out retracted messages", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(persistent("c1", { "muc#roomconfig_historylength": "3" }));
    for (let i = 1; i <= 6; i++) sim.send(groupchat(ROMEO, `message ${i}`, `m${i}`));
    const after = sim.restart();
    const out = after.send(join(ROMEO, "Romeo"));
    expect(out.filter((m) => m.getChild("body")).map((m) => m.getChildText("body"))).toEqual(["message 4", "message 5", "message 6"]);
  });

  test("stanzas for a room being read wait, in order; all of them are answered", () => {
    const sim = furnished().restart();
    // One input at a time in the simulator, but each is a read first: the order holds across reads.
    const first = sim.send(join(ROMEO, "Romeo"));
    const second = sim.send(groupchat(ROMEO, "after the load", "m9"));
    expect(first.some((p) => p.name === "presence" && codes(p).includes("110"))).toBe(true);
    expect(second.map((m) => m.getChildText("body"))).toEqual(["after the load", "after the load"]); // Romeo, and Juliet restored
  });
});

describe("rooms in memory (the room cache)", () => {
  test("empty persistent rooms leave memory beyond roomCacheSize, and come back intact when addressed", () => {
    const sim = new Sim({ roomCacheSize: 2 });
    const rooms = ["a", "b", "c", "d"].map((name) => `${name}@${DOMAIN}`);
    for (const room of rooms) {
      sim.send(join(ROMEO, "Romeo", room));
      sim.send(xml("iq", { from: ROMEO, to: room, type: "set", id: "c" }, xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "muc#roomconfig_persistentroom" }, xml("value", {}, "1")), xml("field", { var: "muc#roomconfig_roomname" }, xml("value", {}, `Room ${room[0]}`))))));
      sim.send(groupchat(ROMEO, `in ${room}`, "m", room));
      sim.send(leave(ROMEO, "Romeo", room));
    }
    // the cache holds two besides the last one handled
    expect([...sim.state.rooms.values()].map((r) => r.jid).sort()).toEqual([rooms[1], rooms[2], rooms[3]]);
    expect(sim.state.idle).toEqual([rooms[1]!, rooms[2]!, rooms[3]!]);
    // a: read again from storage; its owner and history are there.
    const out = sim.send(join(ROMEO, "Romeo", rooms[0]));
    expect(codes(out.find((p) => codes(p).includes("110"))!)).not.toContain("201");
    expect(out.filter((m) => m.getChild("body")).map((m) => m.getChildText("body"))).toEqual([`in ${rooms[0]}`]);
    expect(sim.room(rooms[0])!.config.name).toBe("Room a");
    // a is occupied now: not idle; loading it made b, the longest idle, leave
    expect(sim.state.idle).toEqual([rooms[2]!, rooms[3]!]);
  });

  test("a room with occupants never leaves memory", () => {
    const sim = new Sim({ roomCacheSize: 0 });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(persistent());
    expect(sim.room()).toBeDefined();
    sim.send(leave(ROMEO, "Romeo"));
    expect(sim.room()).toBeDefined(); // empty: the last room handled stays until another goes idle
    sim.send(join(ROMEO, "Romeo", `other@${DOMAIN}`));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c2").attr("to", `other@${DOMAIN}`));
    sim.send(leave(ROMEO, "Romeo", `other@${DOMAIN}`));
    expect(sim.room()).toBeUndefined(); // now it is stored only
    expect(sim.store.db.query("SELECT jid FROM rooms ORDER BY jid").all()).toEqual([{ jid: `other@${DOMAIN}` }, { jid: ROOM }]);
  });

  test("too many stanzas waiting for one room: the extra ones get resource-constraint (wait)", () => {
    // Drive the core directly: with a synchronous store nothing ever waits, so hold the reads.
    const sim = new Sim({ maxWaitingStanzas: 2 });
    const { handle } = require("../lib/service.ts") as typeof import("../lib/service.ts");
    let state = sim.state;
    const answers: string[] = [];
    for (const id of ["a", "b", "c"]) {
      const [next, out] = handle(state, { kind: "stanza", stanza: groupchat(ROMEO, "hi", id) }, sim.ctx());
      state = next;
      answers.push(out.map((s) => `${s.attrs.id}:${s.getChild("error")?.attrs.type}:${condition(s)}`).join());
    }
    expect(answers).toEqual(["", "", "c:wait:resource-constraint"]);
  });
});

describe("affiliations stored by an older version, unprepared", () => {
  test("are prepared when the room is read: an old fullwidth or capitalised ban still holds, an old member still enters", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(persistent("c1", { "muc#roomconfig_membersonly": "1" }));
    sim.send(leave(ROMEO, "Romeo"));
    const stored = toStoredRoom(sim.room()!);
    // As an older version could have written them: the JIDs as the owner typed them.
    stored.affiliations.push(["ＢＥＮＶＯＬＩＯ@Example.ORG", "outcast", "Brawling"], ["Juliet@Example.COM", "member", "", "Juliet"]);
    // The same account twice (once banned): the ban wins.
    stored.affiliations.push(["Mercutio@example.org", "member"], ["ｍｅｒｃｕｔｉｏ@example.org", "outcast"]);
    sim.store.write([{ op: "save-room", room: stored }]);
    sim.store.flush();

    const next = sim.restart();
    const banned = next.send(join("benvolio@example.org/home", "Benvolio"));
    expect(condition(banned[0]!)).toBe("forbidden");
    const room = next.room()!;
    expect(Object.fromEntries(room.affiliations)).toEqual({
      "romeo@example.net": "owner",
      "benvolio@example.org": "outcast",
      "juliet@example.com": "member",
      "mercutio@example.org": "outcast",
    });
    expect(room.affiliationNotes.get("benvolio@example.org")).toEqual({ reason: "Brawling" });
    expect(room.affiliationNotes.get("juliet@example.com")).toEqual({ nick: "Juliet" });
    expect(condition(next.send(join(MERCUTIO, "Mercutio"))[0]!)).toBe("forbidden");
    const entered = next.send(join(JULIET, "Juliet"));
    expect(entered.some((s) => s.name === "presence" && codes(s).includes("110"))).toBe(true);
  });
});
