// XEP-0045's privilege tables (lib/permissions.ts), cell by cell, through the running service:
// each cell sets up a room in which the actor and the target have the standing the cell names,
// sends the request, and checks the answer the XEP's tables give, error condition included.
//   - role changes: §5.1.3 Role State Chart, §8.2–§8.4, §9.6–§9.7
//   - affiliation changes: §5.2.2 Affiliation State Chart, §9.1–§9.4, §10.3–§10.7
//   - reading the lists: §8.5, §9.2, §9.5, §9.8, §10.5, §10.8
//   - disco#items on the room: §6.5
// The expected answers are the XEP's tables written out here, not computed by the model.
// Then the four leaks and three wrong conditions of issue 18, as snapshots.
import { describe, expect, test } from "bun:test";
import type { Affiliation, Role } from "../lib/roles.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, configure, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim } from "./helpers.ts";

const ACTOR = "actor@example.org/a";
const TARGET = "target@example.org/t";
const bare = (jid: string) => jid.slice(0, jid.indexOf("/"));

function adminSet(from: string, item: Record<string, string>, id = "x"): Element {
  return xml("iq", { from, to: ROOM, type: "set", id }, xml("query", { xmlns: NS.mucAdmin }, xml("item", item)));
}
function adminGet(from: string, item: Record<string, string>, id = "g"): Element {
  return xml("iq", { from, to: ROOM, type: "get", id }, xml("query", { xmlns: NS.mucAdmin }, xml("item", item)));
}
/** The answer to an IQ: "result", or its error condition. */
function answer(out: Element[], id = "x"): string {
  const iq = out.find((s) => s.name === "iq" && s.attrs.id === id);
  if (!iq) throw new Error(`no answer to ${id}`);
  return iq.attrs.type === "result" ? "result" : condition(iq)!;
}

type Standing = { affiliation: Affiliation; role: Role };
const label = (s: Standing) => `${s.affiliation}/${s.role}`;

/**
 * Romeo (owner) makes a room, gives `jid` its affiliation and, once it joined as `nick`, its role.
 * Role "none": the account stays outside the room.
 */
function place(sim: Sim, jid: string, nick: string, s: Standing) {
  if (s.affiliation !== "none") expect(answer(sim.send(adminSet(ROMEO, { jid: bare(jid), affiliation: s.affiliation }, "p1")), "p1")).toBe("result");
  if (s.role === "none") return;
  sim.send(join(jid, nick));
  const occupant = sim.room()!.occupants.get(nick.toLowerCase());
  expect(occupant).toBeDefined();
  if (occupant!.role !== s.role) expect(answer(sim.send(adminSet(ROMEO, { nick, role: s.role }, "p2")), "p2")).toBe("result");
  expect(sim.room()!.occupants.get(nick.toLowerCase())!.role).toBe(s.role);
}

function room(fields: Record<string, string> = {}): Sim {
  const sim = new Sim();
  sim.send(join(ROMEO, "Romeo"));
  if (Object.keys(fields).length > 0) expect(answer(sim.send(configure(ROMEO, fields, "cfg")), "cfg")).toBe("result");
  return sim;
}

describe("role changes: §5.1.3's state chart, with §8.2–§8.4 and §9.6–§9.7", () => {
  // Who may make each move of the Role State Chart ("moderator": any moderator; "admin": an admin or owner).
  // A move to the role one has already is the same privilege (moderator status: admins and owners).
  const CHART: Record<Exclude<Role, "none">, Record<Role, "moderator" | "admin">> = {
    visitor: { none: "moderator", visitor: "moderator", participant: "moderator", moderator: "admin" },
    participant: { none: "moderator", visitor: "moderator", participant: "moderator", moderator: "admin" },
    moderator: { none: "admin", visitor: "admin", participant: "admin", moderator: "admin" },
  };
  const rank: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
  /** The XEP's answer. */
  function expected(actor: Standing, target: Standing, role: Role): string {
    if (actor.role !== "moderator") return "forbidden"; // §8: only moderators (and occupants)
    if (rank[target.affiliation] > rank[actor.affiliation]) return "not-allowed"; // §8.2: nobody acts on a higher affiliation
    if (rank[target.affiliation] >= rank.admin && role !== "moderator") return "not-allowed"; // §8.4, §9.7: never from admins and owners
    const who = CHART[target.role as Exclude<Role, "none">][role];
    if (who === "admin" && rank[actor.affiliation] < rank.admin) return "forbidden"; // §5.2.1: Assign and Remove Moderator Role
    return "result";
  }

  const actors: Standing[] = [
    { affiliation: "owner", role: "moderator" },
    { affiliation: "admin", role: "moderator" },
    { affiliation: "member", role: "moderator" },
    { affiliation: "none", role: "moderator" },
    { affiliation: "member", role: "participant" },
    { affiliation: "none", role: "participant" },
    { affiliation: "none", role: "visitor" },
    { affiliation: "admin", role: "none" }, // an admin not in the room
    { affiliation: "none", role: "none" }, // a stranger
  ];
  const targets: Standing[] = [
    { affiliation: "owner", role: "moderator" },
    { affiliation: "admin", role: "moderator" },
    { affiliation: "member", role: "moderator" },
    { affiliation: "none", role: "moderator" },
    { affiliation: "member", role: "participant" },
    { affiliation: "none", role: "participant" },
    { affiliation: "member", role: "visitor" },
    { affiliation: "none", role: "visitor" },
  ];
  const roles: Role[] = ["none", "visitor", "participant", "moderator"];

  for (const actor of actors)
    test(`actor ${label(actor)}`, () => {
      for (const target of targets)
        for (const role of roles) {
          const sim = room();
          place(sim, ACTOR, "Actor", actor);
          place(sim, TARGET, "Target", target);
          const want = expected(actor, target, role);
          const got = answer(sim.send(adminSet(ACTOR, { nick: "Target", role })));
          expect(`${label(actor)} gives ${label(target)} role ${role}: ${got}`).toBe(`${label(actor)} gives ${label(target)} role ${role}: ${want}`);
          const after = sim.room()!.occupants.get("target");
          expect(after?.role ?? "none").toBe(want === "result" ? role : target.role);
        }
    });
});

describe("affiliation changes: §5.2.2's state chart, with §9.1 and §10.3–§10.7", () => {
  // Who may make each move ("AO": an admin or owner, "O": an owner only); the diagonal is the same list's privilege.
  const CHART: Record<Affiliation, Record<Affiliation, "AO" | "O">> = {
    outcast: { outcast: "AO", none: "AO", member: "AO", admin: "O", owner: "O" },
    none: { outcast: "AO", none: "AO", member: "AO", admin: "O", owner: "O" },
    member: { outcast: "AO", none: "AO", member: "AO", admin: "O", owner: "O" },
    admin: { outcast: "O", none: "O", member: "O", admin: "O", owner: "O" },
    owner: { outcast: "O", none: "O", member: "O", admin: "O", owner: "O" },
  };
  const rank: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
  function expected(actor: Affiliation, from: Affiliation, to: Affiliation): string {
    const who = CHART[from][to];
    if (actor === "owner" || (actor === "admin" && who === "AO")) return "result";
    if (rank[actor] < rank.admin) return "forbidden"; // §9: admins and owners only
    if (rank[from] > rank[actor]) return "not-allowed"; // §9.1: an admin acting on an owner
    return "forbidden"; // §10.3–§10.7: only owners edit the admin and owner lists
  }
  const all: Affiliation[] = ["owner", "admin", "member", "none", "outcast"];

  for (const actor of all)
    for (const inRoom of [false, true]) {
      if (inRoom && actor === "outcast") continue;
      test(`actor ${actor}${inRoom ? " in the room" : " outside the room"}`, () => {
        for (const from of all)
          for (const to of all) {
            const sim = room();
            place(sim, ACTOR, "Actor", { affiliation: actor, role: inRoom ? (rank[actor] >= rank.admin ? "moderator" : "participant") : "none" });
            place(sim, TARGET, "Target", { affiliation: from, role: "none" });
            const want = expected(actor, from, to);
            const got = answer(sim.send(adminSet(ACTOR, { jid: bare(TARGET), affiliation: to })));
            expect(`${actor} moves ${from} to ${to}: ${got}`).toBe(`${actor} moves ${from} to ${to}: ${want}`);
            expect(sim.room()!.affiliations.get(bare(TARGET)) ?? "none").toBe(want === "result" ? to : from);
          }
      });
    }
});

describe("reading the lists: §9.2, §9.5, §10.5, §10.8 (affiliations), §8.5, §9.8 (roles)", () => {
  type Kind = "semi-anonymous" | "non-anonymous";
  // Who may read each affiliation list, by kind of room (members-only or open: the same).
  const READERS: Record<"outcast" | "member" | "admin" | "owner", Record<Kind, Affiliation[]>> = {
    outcast: { "semi-anonymous": ["admin", "owner"], "non-anonymous": ["admin", "owner"] }, // §9.2: in every kind of room
    member: { "semi-anonymous": ["admin", "owner"], "non-anonymous": ["member", "admin", "owner"] }, // §5.2.1 ***, §9.5's note
    admin: { "semi-anonymous": ["owner"], "non-anonymous": ["member", "admin", "owner"] }, // §10.8: MUST in semi-anonymous, MAY otherwise
    owner: { "semi-anonymous": ["owner"], "non-anonymous": ["member", "admin", "owner"] }, // §10.5
  };
  const viewers: Affiliation[] = ["owner", "admin", "member", "none", "outcast"];

  for (const kind of ["semi-anonymous", "non-anonymous"] as Kind[])
    for (const membersOnly of [false, true])
      test(`${kind}, ${membersOnly ? "members-only" : "open"}`, () => {
        for (const viewer of viewers)
          for (const inRoom of [false, true]) {
            if (inRoom && (viewer === "outcast" || (membersOnly && viewer === "none"))) continue; // cannot enter
            const sim = room({ "muc#roomconfig_whois": kind === "non-anonymous" ? "anyone" : "moderators", "muc#roomconfig_membersonly": membersOnly ? "1" : "0" });
            const role: Role = !inRoom ? "none" : viewer === "owner" || viewer === "admin" ? "moderator" : "participant";
            place(sim, ACTOR, "Actor", { affiliation: viewer, role });
            for (const list of ["outcast", "member", "admin", "owner"] as const) {
              const want = READERS[list][kind].includes(viewer) ? "result" : "forbidden";
              const got = answer(sim.send(adminGet(ACTOR, { affiliation: list })), "g");
              expect(`${viewer} (${role}) reads the ${list} list: ${got}`).toBe(`${viewer} (${role}) reads the ${list} list: ${want}`);
            }
            // §8.5, §9.8: the voice and moderator lists are for moderators.
            for (const list of ["participant", "moderator"]) {
              const got = answer(sim.send(adminGet(ACTOR, { role: list })), "g");
              expect(`${viewer} (${role}) reads the ${list} list: ${got}`).toBe(`${viewer} (${role}) reads the ${list} list: ${role === "moderator" ? "result" : "forbidden"}`);
            }
          }
      });

  test("the member list for the roles muc#roomconfig_getmemberlist names, even in a semi-anonymous room (the owner's choice)", () => {
    const sim = room({ "muc#roomconfig_getmemberlist": "participant" });
    place(sim, ACTOR, "Actor", { affiliation: "none", role: "participant" });
    expect(answer(sim.send(adminGet(ACTOR, { affiliation: "member" })), "g")).toBe("result");
    expect(answer(sim.send(adminGet(ACTOR, { affiliation: "outcast" })), "g")).toBe("forbidden");
    expect(answer(sim.send(adminGet(ACTOR, { affiliation: "owner" })), "g")).toBe("forbidden");
  });
});

describe("disco#items on the room (§6.5): occupants only where anyone may see who is there", () => {
  const items = (sim: Sim, from: string) =>
    sim.send(xml("iq", { from, to: ROOM, type: "get", id: "d" }, xml("query", { xmlns: NS.discoItems })))[0]!.getChild("query")!.getChildren("item").length;
  for (const pub of [true, false])
    for (const whois of ["moderators", "anyone"])
      for (const membersOnly of [false, true])
        test(`${pub ? "public" : "hidden"}, whois ${whois}, ${membersOnly ? "members-only" : "open"}`, () => {
          for (const viewer of ["owner", "admin", "member", "none", "outcast"] as Affiliation[]) {
            const sim = room({ "muc#roomconfig_publicroom": pub ? "1" : "0", "muc#roomconfig_whois": whois, "muc#roomconfig_membersonly": membersOnly ? "1" : "0" });
            place(sim, ACTOR, "Actor", { affiliation: viewer, role: "none" });
            const visible = pub && whois === "anyone" && (!membersOnly || ["member", "admin", "owner"].includes(viewer));
            expect(`${viewer} sees ${items(sim, ACTOR)} items`).toBe(`${viewer} sees ${visible ? 1 : 0} items`);
          }
        });
});

describe("issue 18: the four leaks, closed", () => {
  test("an admin asking for the owner and admin lists of a semi-anonymous room: forbidden (§10.5, §10.8)", () => {
    const sim = room();
    sim.send(adminSet(ROMEO, { jid: "juliet@example.com", affiliation: "admin" }, "a1"));
    sim.send(join(JULIET, "Juliet"));
    sim.take();
    sim.send(adminGet(JULIET, { affiliation: "owner" }, "owners"));
    sim.send(adminGet(JULIET, { affiliation: "admin" }, "admins"));
    const transcript = sim.take();
    expect(transcript).toMatchSnapshot();
    expect(transcript).not.toContain('jid="romeo@example.net"');
  });

  test("a member asking for the ban list of a non-anonymous room: forbidden (§9.2)", () => {
    const sim = room({ "muc#roomconfig_whois": "anyone" });
    sim.send(adminSet(ROMEO, { jid: "mercutio@example.org", affiliation: "member" }, "m1"));
    sim.send(adminSet(ROMEO, { jid: "tybalt@example.com", affiliation: "outcast" }, "b1"));
    sim.send(join(MERCUTIO, "Mercutio"));
    sim.take();
    sim.send(adminGet(MERCUTIO, { affiliation: "outcast" }, "bans"));
    const transcript = sim.take();
    expect(transcript).toMatchSnapshot();
    expect(transcript).not.toContain("tybalt");
  });

  test("someone not a member asking for the items of a public non-anonymous members-only room: none (§6.5)", () => {
    const sim = room({ "muc#roomconfig_whois": "anyone", "muc#roomconfig_membersonly": "1" });
    sim.take();
    sim.send(xml("iq", { from: "tybalt@example.com/sword", to: ROOM, type: "get", id: "items" }, xml("query", { xmlns: NS.discoItems })));
    const transcript = sim.take();
    expect(transcript).toMatchSnapshot();
    expect(transcript).not.toContain("Romeo");
  });

  test("a ban written with fullwidth letters bans the user it names", () => {
    const sim = room();
    sim.send(adminSet(ROMEO, { jid: "ｂｅｎｖｏｌｉｏ@example.org", affiliation: "outcast" }, "ban"));
    sim.send(join("benvolio@example.org/home", "Benvolio"));
    sim.send(join("benvolio@example.org/phone", "Ben"));
    expect(sim.take()).toMatchSnapshot();
    expect(sim.room()!.occupants.size).toBe(1);
  });
});

describe("issue 18: the three refusals, with XEP-0045's conditions", () => {
  test("a moderator who is not an admin granting the moderator role: forbidden (§9.6)", () => {
    const sim = room();
    sim.send(join(JULIET, "Juliet"));
    sim.send(join(MERCUTIO, "Mercutio"));
    sim.send(adminSet(ROMEO, { nick: "Juliet", role: "moderator" }, "mod"));
    sim.take();
    const out = sim.send(adminSet(JULIET, { nick: "Mercutio", role: "moderator" }, "grant"));
    expect(sim.take()).toMatchSnapshot();
    expect(answer(out, "grant")).toBe("forbidden");
  });

  test("an admin attempting owner-only affiliation changes: forbidden (§10.3, §10.6); acting on an owner: not-allowed (§9.1)", () => {
    const sim = room();
    sim.send(adminSet(ROMEO, { jid: "juliet@example.com", affiliation: "admin" }, "a1"));
    sim.send(adminSet(ROMEO, { jid: "tybalt@example.com", affiliation: "admin" }, "a2"));
    sim.take();
    sim.send(adminSet(JULIET, { jid: "mercutio@example.org", affiliation: "owner" }, "to-owner"));
    sim.send(adminSet(JULIET, { jid: "mercutio@example.org", affiliation: "admin" }, "to-admin"));
    sim.send(adminSet(JULIET, { jid: "tybalt@example.com", affiliation: "member" }, "demote-admin"));
    sim.send(adminSet(JULIET, { jid: "romeo@example.net", affiliation: "outcast" }, "ban-owner"));
    expect(sim.take()).toMatchSnapshot();
  });

  test("an IQ from someone not in the room to an occupant JID: bad-request (§6.6); a self-ping: not-acceptable (XEP-0410)", () => {
    const sim = room();
    sim.take();
    sim.send(xml("iq", { from: "tybalt@example.com/sword", to: `${ROOM}/Romeo`, type: "get", id: "disco" }, xml("query", { xmlns: NS.discoInfo })));
    sim.send(xml("iq", { from: "tybalt@example.com/sword", to: `${ROOM}/Tybalt`, type: "get", id: "ping" }, xml("ping", { xmlns: NS.ping })));
    expect(sim.take()).toMatchSnapshot();
  });
});
