// lib/limits.ts: rates per occupant (token buckets: a burst, then a sustained rate), room
// creations per account, rooms per service and per account, occupants per room. Over a limit a
// stanza is bounced with an error of type wait, and nobody else hears of it.
import { describe, expect, test } from "bun:test";
import { defaultConfig, type ServiceConfig } from "../lib/context.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to } from "./helpers.ts";

/** Romeo (owner) and Juliet in ROOM, with `config`; the transcript cleared. */
function balcony(config: Partial<ServiceConfig> = {}): Sim {
  const sim = new Sim(config);
  sim.send(join(ROMEO, "romeo"));
  sim.send(join(JULIET, "juliet"));
  sim.take();
  return sim;
}

const errorOf = (s: Element) => ({ type: s.getChild("error")?.attrs.type, condition: condition(s) });
const errors = (out: Element[]) => out.filter((s) => s.attrs.type === "error");
const pm = (from: string, nick: string, body: string) => xml("message", { from, to: `${ROOM}/${nick}`, type: "chat" }, xml("body", {}, body));
const status = (from: string, nick: string, text: string) => xml("presence", { from, to: `${ROOM}/${nick}` }, xml("status", {}, text));

describe("groupchat messages: a burst, then the sustained rate", () => {
  test("past the burst, the sender gets policy-violation (wait) with its message, and the room hears nothing", () => {
    const sim = balcony();
    let toRomeo = 0;
    const refused: Element[] = [];
    for (let i = 0; i < 10; i++) toRomeo += to(sim.send(groupchat(JULIET, `m${i}`, `id${i}`)), ROMEO).length;
    sim.take();
    const over = sim.send(groupchat(JULIET, "one too many", "id10"));
    expect(sim.take()).toMatchSnapshot();
    for (let i = 11; i < 30; i++) refused.push(...sim.send(groupchat(JULIET, `m${i}`, `id${i}`)));
    expect(toRomeo).toBe(defaultConfig.groupchatBurst);
    expect(over).toHaveLength(1);
    expect(over[0]!.attrs).toMatchObject({ type: "error", to: JULIET, from: ROOM, id: "id10" });
    expect(errorOf(over[0]!)).toEqual({ type: "wait", condition: "policy-violation" });
    expect(over[0]!.getChild("error")!.attrs.by).toBe(ROOM);
    expect(over[0]!.getChildText("body")).toBe("one too many");
    expect(refused.every((s) => s.attrs.to === JULIET && s.attrs.type === "error")).toBe(true);
    expect(refused).toHaveLength(19);
  });

  test("tokens come back at the sustained rate (60 a minute: one a second), never more than the burst", () => {
    const sim = balcony();
    for (let i = 0; i < 10; i++) sim.send(groupchat(JULIET, "x", `a${i}`));
    expect(errors(sim.send(groupchat(JULIET, "x", "b")))).toHaveLength(1);
    sim.now += 999;
    expect(errors(sim.send(groupchat(JULIET, "x", "c")))).toHaveLength(1);
    sim.now += 1;
    expect(to(sim.send(groupchat(JULIET, "x", "d")), ROMEO)).toHaveLength(1);
    expect(errors(sim.send(groupchat(JULIET, "x", "e")))).toHaveLength(1);
    sim.now += 3_600_000; // an hour idle: a full burst, no more
    let passed = 0;
    for (let i = 0; i < 20; i++) passed += to(sim.send(groupchat(JULIET, "x", `f${i}`)), ROMEO).length;
    expect(passed).toBe(10);
  });

  test("each occupant has its own bucket, in each room", () => {
    const sim = balcony();
    for (let i = 0; i < 12; i++) sim.send(groupchat(JULIET, "x", `j${i}`));
    expect(to(sim.send(groupchat(ROMEO, "still me", "r1")), JULIET)).toHaveLength(1);
    sim.send(join(JULIET, "juliet", `garden@${DOMAIN}`));
    expect(errors(sim.send(groupchat(JULIET, "elsewhere", "g1", `garden@${DOMAIN}`)))).toEqual([]);
  });

  test("a clock that goes backwards gives nothing back", () => {
    const sim = balcony();
    for (let i = 0; i < 10; i++) sim.send(groupchat(JULIET, "x", `a${i}`));
    sim.now -= 60_000;
    expect(errors(sim.send(groupchat(JULIET, "x", "b")))).toHaveLength(1);
  });

  test("a refused message costs nothing (a visitor's forbidden message, a non-occupant's)", () => {
    const sim = balcony();
    for (let i = 0; i < 20; i++) sim.send(groupchat(MERCUTIO, "let me in", `m${i}`));
    expect(to(sim.send(groupchat(JULIET, "first", "j0")), ROMEO)).toHaveLength(1);
  });
});

describe("private messages, invitations, declines", () => {
  test("private messages: the burst passes, then policy-violation (wait) to the sender only", () => {
    const sim = balcony();
    let delivered = 0;
    const out: Element[] = [];
    for (let i = 0; i < 15; i++) {
      const o = sim.send(pm(JULIET, "romeo", `pm${i}`));
      delivered += to(o, ROMEO).length;
      out.push(...errors(o));
    }
    expect(delivered).toBe(10);
    expect(out.map((s) => [s.attrs.to, errorOf(s).condition, errorOf(s).type])).toEqual(Array(5).fill([JULIET, "policy-violation", "wait"]));
  });

  test("an invitation costs one token per invitee: eleven at once is refused whole", () => {
    const sim = balcony();
    const invites = Array.from({ length: 11 }, (_, i) => xml("invite", { to: `guest${i}@example.com` }));
    const out = sim.send(xml("message", { from: JULIET, to: ROOM, id: "inv" }, xml("x", { xmlns: NS.mucUser }, ...invites)));
    expect(out.map((s) => [s.attrs.to, condition(s)])).toEqual([[JULIET, "policy-violation"]]);
    const ten = sim.send(xml("message", { from: JULIET, to: ROOM, id: "inv" }, xml("x", { xmlns: NS.mucUser }, ...invites.slice(1))));
    expect(ten).toHaveLength(10);
  });

  test("declines, which anyone may send through the room, are limited too", () => {
    const sim = balcony();
    let passed = 0;
    for (let i = 0; i < 15; i++) {
      const out = sim.send(xml("message", { from: MERCUTIO, to: ROOM }, xml("x", { xmlns: NS.mucUser }, xml("decline", { to: `victim${i}@example.com` }))));
      passed += out.filter((s) => s.attrs.type !== "error").length;
    }
    expect(passed).toBe(10);
  });
});

describe("presence changes and nick changes", () => {
  test("presence updates (the join included): the burst reaches the room, the rest are bounced to the sender only", () => {
    const sim = balcony();
    let seen = 0;
    const refused: Element[] = [];
    for (let i = 0; i < 14; i++) {
      const out = sim.send(status(JULIET, "juliet", `s${i}`));
      seen += to(out, ROMEO).length;
      refused.push(...errors(out));
    }
    expect(seen).toBe(9); // the join was the first presence of ten
    expect(refused.map((s) => [s.name, s.attrs.to, s.attrs.from, condition(s), s.getChild("error")!.attrs.type])).toEqual(
      Array(5).fill(["presence", JULIET, `${ROOM}/juliet`, "policy-violation", "wait"]),
    );
    // Six a minute: ten seconds bring one back.
    sim.now += 10_000;
    expect(to(sim.send(status(JULIET, "juliet", "later")), ROMEO)).toHaveLength(1);
  });

  test("leaving is never limited, and leaving and rejoining does not refill anything", () => {
    const sim = balcony();
    for (let i = 0; i < 4; i++) {
      expect(to(sim.send(leave(JULIET, "juliet")), ROMEO)).toHaveLength(1);
      expect(to(sim.send(join(JULIET, "juliet")), ROMEO)).toHaveLength(1);
    }
    // The first join and four rejoins: five tokens; five more presence changes pass, then none.
    let seen = 0;
    for (let i = 0; i < 8; i++) seen += to(sim.send(status(JULIET, "juliet", `s${i}`)), ROMEO).length;
    expect(seen).toBe(5);
    expect(to(sim.send(leave(JULIET, "juliet")), ROMEO)).toHaveLength(1);
    const refused = sim.send(join(JULIET, "juliet"));
    expect(refused.map((s) => [s.attrs.to, condition(s)])).toEqual([[JULIET, "policy-violation"]]);
    expect(sim.room()!.occupants.size).toBe(1);
  });

  test("nick changes: three, then one every thirty seconds; refused attempts cost nothing", () => {
    const sim = balcony();
    for (const bad of ["Jul\tiet", "romeo", "Ju\u0007liet", "ROMEO"]) expect(condition(sim.send(xml("presence", { from: JULIET, to: `${ROOM}/${bad}` }))[0]!)).not.toBe("policy-violation");
    const nicks = ["j1", "j2", "j3", "j4"];
    let current = "juliet";
    const results: (string | undefined)[] = [];
    for (const nick of nicks) {
      const out = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/${nick}` }));
      const error = errors(out)[0];
      results.push(error ? condition(error) : "renamed");
      if (!error) current = nick;
    }
    expect(results).toEqual(["renamed", "renamed", "renamed", "policy-violation"]);
    expect(current).toBe("j3");
    sim.now += 30_000;
    expect(errors(sim.send(xml("presence", { from: JULIET, to: `${ROOM}/j4` })))).toEqual([]);
  });

  test("errors from a session are never limited (nor answered): a bounce still removes a gone session", () => {
    const sim = balcony();
    for (let i = 0; i < 20; i++) sim.send(status(JULIET, "juliet", `s${i}`));
    const out = sim.send(xml("presence", { from: JULIET, to: `${ROOM}/juliet`, type: "error" }, xml("error", { type: "cancel" }, xml("item-not-found", { xmlns: NS.stanzas }))));
    expect(errors(out)).toEqual([]);
    expect(sim.room()!.occupants.size).toBe(1);
  });
});

describe("rooms: creations per account, per service, per account at once; occupants per room", () => {
  test("room creations: ten a minute per account, then policy-violation (wait); others may still create", () => {
    const sim = new Sim();
    const created = (from: string, name: string) => sim.send(join(from, "me", `${name}@${DOMAIN}`));
    for (let i = 0; i < 10; i++) {
      created(ROMEO, `r${i}`);
      sim.send(leave(ROMEO, "me", `r${i}@${DOMAIN}`)); // a temporary room ends when empty: creating is what counts
    }
    const refused = created(ROMEO, "r10");
    expect(refused.map((s) => [s.attrs.to, condition(s), s.getChild("error")?.attrs.type])).toEqual([[ROMEO, "policy-violation", "wait"]]);
    expect(sim.state.rooms.size).toBe(0);
    expect(errors(created(JULIET, "hers"))).toEqual([]);
    sim.now += 6_000;
    expect(errors(created(ROMEO, "r10"))).toEqual([]);
  });

  test("joining an existing room is no creation", () => {
    const sim = new Sim({ roomCreationsPerMinute: 1 });
    sim.send(join(ROMEO, "romeo"));
    expect(errors(sim.send(join(ROMEO, "romeo", `other@${DOMAIN}`)))).toHaveLength(1);
    sim.send(join(JULIET, "juliet", `other@${DOMAIN}`));
    expect(errors(sim.send(join(ROMEO, "romeo", `other@${DOMAIN}`)))).toEqual([]);
  });

  test("rooms per service: one more room than the limit is refused (resource-constraint, wait); existing rooms stay open", () => {
    const sim = new Sim({ maxRooms: 2 });
    sim.send(join(ROMEO, "romeo", `a@${DOMAIN}`));
    sim.send(join(JULIET, "juliet", `b@${DOMAIN}`));
    const out = sim.send(join(MERCUTIO, "mercutio", `c@${DOMAIN}`));
    expect(out.map((s) => [s.attrs.to, condition(s), s.getChild("error")?.attrs.type])).toEqual([[MERCUTIO, "resource-constraint", "wait"]]);
    expect(errors(sim.send(join(MERCUTIO, "mercutio", `a@${DOMAIN}`)))).toEqual([]);
    sim.send(leave(JULIET, "juliet", `b@${DOMAIN}`));
    expect(errors(sim.send(join(MERCUTIO, "mercutio", `c@${DOMAIN}`)))).toEqual([]);
  });

  test("rooms one account is in: counted per bare JID, across its sessions; leaving frees a place", () => {
    const sim = new Sim({ maxRoomsPerUser: 2 });
    sim.send(join(ROMEO, "romeo", `a@${DOMAIN}`));
    sim.send(join(ROMEO2, "romeo", `b@${DOMAIN}`));
    const refused = sim.send(join(ROMEO, "romeo", `c@${DOMAIN}`));
    expect(refused.map((s) => [condition(s), s.getChild("error")?.attrs.type])).toEqual([["resource-constraint", "wait"]]);
    expect(sim.state.rooms.has(`c@${DOMAIN}`)).toBe(false);
    // Another session into a room the account is in already: no new room for it.
    expect(errors(sim.send(join(ROMEO2, "romeo", `a@${DOMAIN}`)))).toEqual([]);
    expect(sim.state.limits.userRooms.get("romeo@example.net")).toBe(2);
    sim.send(leave(ROMEO, "romeo", `a@${DOMAIN}`));
    expect(sim.state.limits.userRooms.get("romeo@example.net")).toBe(2); // ROMEO2 is still in a
    sim.send(leave(ROMEO2, "romeo", `a@${DOMAIN}`));
    expect(sim.state.limits.userRooms.get("romeo@example.net")).toBe(1);
    expect(errors(sim.send(join(ROMEO, "romeo", `c@${DOMAIN}`)))).toEqual([]);
  });

  test("the per-account count follows every way out: kick, ban, destroy, shutdown; nobody in a room has no entry", () => {
    const sim = balcony();
    sim.send(join(MERCUTIO, "mercutio"));
    const admin = (item: Record<string, string>) => xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "k" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", item)));
    sim.send(admin({ nick: "mercutio", role: "none" }));
    sim.send(admin({ jid: "juliet@example.com", affiliation: "outcast" }));
    expect([...sim.state.limits.userRooms.entries()]).toEqual([["romeo@example.net", 1]]);
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "d" }, xml("query", { xmlns: NS.mucOwner }, xml("destroy"))));
    expect(sim.state.limits.userRooms.size).toBe(0);
    sim.send(join(ROMEO, "romeo"));
    sim.input({ kind: "shutdown" });
    expect(sim.state.limits.userRooms.size).toBe(0);
  });

  test("occupants per room: 200 by default; the 201st gets service-unavailable, an admin still enters", () => {
    const sim = new Sim();
    for (let i = 0; i < 200; i++) sim.send(join(`user${i}@example.org/r`, `u${i}`));
    expect(sim.room()!.occupants.size).toBe(200);
    const full = sim.send(join(MERCUTIO, "mercutio"));
    expect(full.map((s) => condition(s))).toEqual(["service-unavailable"]);
    sim.send(xml("iq", { from: "user0@example.org/r", to: ROOM, type: "set", id: "a" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "juliet@example.com", affiliation: "admin" }))));
    expect(errors(sim.send(join(JULIET, "juliet")))).toEqual([]);
    expect(sim.room()!.occupants.size).toBe(201);
  });
});

describe("exemptions", () => {
  test("by default nobody is exempt: an owner is limited like anyone", () => {
    const sim = balcony();
    let passed = 0;
    for (let i = 0; i < 15; i++) passed += to(sim.send(groupchat(ROMEO, "x", `r${i}`)), JULIET).length;
    expect(passed).toBe(10);
  });

  test("MUC_RATE_EXEMPT=owner: owners (and service admins) are not limited; participants still are", () => {
    const sim = new Sim({ rateExempt: "owner", admins: ["mercutio@example.org"] });
    sim.send(join(ROMEO, "romeo"));
    sim.send(join(JULIET, "juliet"));
    sim.send(join(MERCUTIO, "mercutio"));
    const count = (from: string, reader: string) => {
      let n = 0;
      for (let i = 0; i < 15; i++) n += to(sim.send(groupchat(from, "x", `${i}`)), reader).length;
      return n;
    };
    expect(count(ROMEO, JULIET)).toBe(15);
    expect(count(MERCUTIO, JULIET)).toBe(15);
    expect(count(JULIET, ROMEO)).toBe(10);
  });

  test("MUC_RATE_EXEMPT=member covers members, admins and owners", () => {
    const sim = new Sim({ rateExempt: "member" });
    sim.send(join(ROMEO, "romeo"));
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "m" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "juliet@example.com", affiliation: "member" }))));
    sim.send(join(JULIET, "juliet"));
    let n = 0;
    for (let i = 0; i < 15; i++) n += to(sim.send(groupchat(JULIET, "x", `${i}`)), ROMEO).length;
    expect(n).toBe(15);
  });
});

describe("memory stays bounded", () => {
  test("buckets of accounts that went quiet are forgotten a window or two later, as a whole generation", () => {
    const sim = new Sim();
    for (let i = 0; i < 50; i++) {
      sim.send(join(`user${i}@example.org/r`, `u${i}`));
      sim.send(groupchat(`user${i}@example.org/r`, "hello", `m${i}`));
    }
    expect(sim.state.limits.current.size + sim.state.limits.previous.size).toBeGreaterThanOrEqual(100);
    sim.now += 10 * 60_000;
    sim.send(groupchat("user0@example.org/r", "still here", "late"));
    expect(sim.state.limits.current.size).toBe(1);
    expect(sim.state.limits.previous.size).toBe(0);
  });

  test("a bucket forgotten is a full bucket: nothing is lost by forgetting", () => {
    const sim = balcony();
    for (let i = 0; i < 10; i++) sim.send(groupchat(JULIET, "x", `${i}`));
    sim.now += 3 * 100_000; // past two windows (the longest refill: presence, 100 s)
    let n = 0;
    for (let i = 0; i < 12; i++) n += to(sim.send(groupchat(JULIET, "x", `b${i}`)), ROMEO).length;
    expect(n).toBe(10);
  });
});
