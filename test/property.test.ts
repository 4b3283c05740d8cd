// Property-based tests of the core (fast-check), through the Sim: the real runtime on a real
// SQLite store in memory, so storage is exercised too. Random sequences of valid and hostile
// stanzas from many accounts into many rooms (joins, leaves, nick and presence changes,
// messages, private messages, invitations and declines, admin and owner requests, MAM queries,
// moderation, errors, bad addresses, huge and odd payloads, time passing, restarts); after
// every step the invariants below hold.
//
// The invariants:
// - nothing escapes: the core never throws (the Sim turns a crash into a test failure);
// - every occupant has at least one session, a legal role (moderator, participant, visitor)
//   and a legal affiliation that lets it be there (not outcast; at least member in a
//   members-only room); it is stored under its nick's key, so no two share a nick key; it is
//   the only occupant of its account; the room's session table lists exactly the occupants'
//   sessions, each once, so no room references a session twice;
// - a temporary room in memory has occupants; a room has an owner; nothing waits for storage
//   after a step (the store answers at once); the per-account room counts are exact;
// - every stanza sent is from our canonical domain (the service, a room, or an occupant JID
//   whose room part is canonical) and has a `to` that is a valid address and one of:
//   the sender of the input; a session of the room it is from, before or after the step (or
//   that session's account, for a vCard forwarded to it); or, for an invitation or a decline,
//   the address it names;
// - every error sent goes to the input's sender, and none answers an error.
//
// MUC_PROPERTY_RUNS sets how many sequences (default 2000), MUC_PROPERTY_SEED replays one run
// (the seed is printed on every run, and fast-check prints the shrunk counterexample), and
// MUC_PROPERTY_STATS=1 prints what kinds of stanzas the run produced.
import { test } from "bun:test";
import fc from "fast-check";
import type { ServiceConfig } from "../lib/context.ts";
import { canonicalBare, canonicalJid, parseJid } from "../lib/jid.ts";
import { nickKey } from "../lib/nick.ts";
import type { Room } from "../lib/room.ts";
import { atLeastAffiliation, type Affiliation } from "../lib/roles.ts";
import type { ServiceState } from "../lib/service.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { DOMAIN, Sim } from "./helpers.ts";

const RUNS = Number(process.env.MUC_PROPERTY_RUNS ?? 2000);
const STATS: Record<string, number> | undefined = process.env.MUC_PROPERTY_STATS ? {} : undefined;
/** What kinds of stanzas a run produced, to see that the sequences reach the interesting cases. */
function count(s: Element): void {
  const kind = `${s.name}/${s.attrs.type ?? "-"}${s.attrs.type === "error" ? `/${s.getChild("error")?.getChildElements()[0]?.name}` : ""}`;
  STATS![kind] = (STATS![kind] ?? 0) + 1;
}
const SEED = Number(process.env.MUC_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31));

const CONFIG: Partial<ServiceConfig> = {
  maxStanzaChars: 4096,
  maxNickLength: 12,
  maxOccupants: 4,
  maxRooms: 3,
  maxRoomsPerUser: 2,
  roomCreationsPerMinute: 3,
  groupchatBurst: 3,
  privateBurst: 2,
  presenceBurst: 6,
  nickChangeBurst: 2,
  historyLength: 3,
  roomCacheSize: 1,
  admins: ["tybalt@example.com"], // one service admin among the users: the ad-hoc commands run, others are refused
  openRegistration: true,
};

const USERS = [
  "romeo@example.net/orchard",
  "romeo@example.net/phone",
  "Romeo@EXAMPLE.net/orchard",
  "juliet@example.com/balcony",
  "mercutio@example.org/street",
  "tybalt@example.com/sword",
  "nurse@example.com/kitchen",
  "example.org",
];
const BAD_JIDS = ["@@@", "not a jid", "a@b@c", "x@", `other@${DOMAIN}/loop`, DOMAIN, "x@exa<mple.org", "u@example.net/"];
const ROOMS = ["room", "Room", "garden", "ＲＯＯＭ", "crypt"].map((r) => `${r}@${DOMAIN}`);
const BAD_ROOMS = [`bad room@${DOMAIN}`, `@${DOMAIN}`, `a<b@${DOMAIN}`, `room@${DOMAIN.toUpperCase()}`, `room@elsewhere.example`, DOMAIN];
const NICKS = ["romeo", "Romeo", "juliet", "nurse", "🤖", "a b", "x\tY", "", "  ", "n".repeat(13), "Ju\u200Dliet", "romeo/x"];
const BODIES = ["hi", "", "x".repeat(5000), "<b>&amp;</b>", "\u{1F600}"];
const AFFILIATIONS = ["owner", "admin", "member", "none", "outcast", "constructor", "bogus"];
const ROLES = ["moderator", "participant", "visitor", "none", "toString"];

const user = fc.constantFrom(...USERS);
const sender = fc.oneof({ weight: 9, arbitrary: user }, { weight: 1, arbitrary: fc.constantFrom(...BAD_JIDS) });
const room = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...ROOMS) }, { weight: 1, arbitrary: fc.constantFrom(...BAD_ROOMS) });
const nick = fc.constantFrom(...NICKS);
const body = fc.constantFrom(...BODIES);
const someJid = fc.oneof(user, fc.constantFrom(...BAD_JIDS), fc.constantFrom(...ROOMS.map((r) => `${r}/romeo`)));
const id = fc.constantFrom("a", "b", "c");

type Step = { kind: "stanza"; stanza: Element } | { kind: "time"; ms: number } | { kind: "restart" };
const stanza = (arb: fc.Arbitrary<Element>): fc.Arbitrary<Step> => arb.map((s) => ({ kind: "stanza", stanza: s }));

const iq = (from: string, to: string, type: string, payload: Element, i = "q") => xml("iq", { from, to, type, id: i }, payload);
const ownerForm = (fields: Record<string, string>) =>
  xml(
    "query",
    { xmlns: NS.mucOwner },
    xml(
      "x",
      { xmlns: NS.data, type: "submit" },
      xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig")),
      ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))),
    ),
  );

/** A plain join of a known account into a known room, so that sequences have rooms to work on. */
const plainJoin: fc.Arbitrary<Step> = stanza(
  fc.tuple(user, fc.constantFrom(...ROOMS.slice(0, 3)), fc.constantFrom("romeo", "juliet", "nurse", "🤖")).map(([f, r, n]) => xml("presence", { from: f, to: `${r}/${n}` }, xml("x", { xmlns: NS.muc }))),
);

const steps: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: plainJoin },
  // Entering, leaving, presence, nick changes.
  { weight: 8, arbitrary: stanza(fc.tuple(sender, room, nick, fc.boolean(), fc.option(fc.constantFrom("secret", "wrong"))).map(([f, r, n, x, pw]) =>
      xml("presence", { from: f, to: `${r}/${n}` }, ...(x ? [xml("x", { xmlns: NS.muc }, ...(pw ? [xml("password", {}, pw)] : []), xml("history", { maxstanzas: "2" }))] : []))),
  ) },
  { weight: 4, arbitrary: stanza(fc.tuple(sender, room, nick).map(([f, r, n]) => xml("presence", { from: f, to: `${r}/${n}`, type: "unavailable" }))) },
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, nick, fc.constantFrom("away", "dnd", "xa")).map(([f, r, n, show]) => xml("presence", { from: f, to: `${r}/${n}` }, xml("show", {}, show)))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, nick, fc.constantFrom("probe", "subscribe", "bogus")).map(([f, r, n, type]) => xml("presence", { from: f, to: `${r}/${n}`, type }))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room).map(([f, r]) => xml("presence", { from: f, to: r, type: "unavailable" }))) },
  // Messages.
  { weight: 6, arbitrary: stanza(fc.tuple(sender, room, body, id).map(([f, r, b, i]) => xml("message", { from: f, to: r, type: "groupchat", id: i }, xml("body", {}, b)))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.string({ maxLength: 8 })).map(([f, r, s]) => xml("message", { from: f, to: r, type: "groupchat" }, xml("subject", {}, s)))) },
  { weight: 3, arbitrary: stanza(fc.tuple(sender, room, nick, body, fc.constantFrom("chat", "normal", "groupchat")).map(([f, r, n, b, type]) => xml("message", { from: f, to: `${r}/${n}`, type }, xml("body", {}, b)))) },
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, fc.array(someJid, { minLength: 0, maxLength: 3 })).map(([f, r, tos]) =>
      xml("message", { from: f, to: r }, xml("x", { xmlns: NS.mucUser }, ...tos.map((t) => xml("invite", { to: t }, xml("reason", {}, "come")))))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, someJid).map(([f, r, t]) => xml("message", { from: f, to: r }, xml("x", { xmlns: NS.mucUser }, xml("decline", { to: t }))))) },
  // Admin and owner requests.
  { weight: 3, arbitrary: stanza(fc.tuple(sender, room, fc.oneof(someJid.map((j) => ({ jid: j })), nick.map((n) => ({ nick: n }))), fc.constantFrom(...AFFILIATIONS)).map(([f, r, target, affiliation]) =>
      iq(f, r, "set", xml("query", { xmlns: NS.mucAdmin }, xml("item", { ...target, affiliation }, xml("reason", {}, "because"))))),
  ) },
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, nick, fc.constantFrom(...ROLES)).map(([f, r, n, role]) => iq(f, r, "set", xml("query", { xmlns: NS.mucAdmin }, xml("item", { nick: n, role }))))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.constantFrom(...AFFILIATIONS, ...ROLES)).map(([f, r, a]) => iq(f, r, "get", xml("query", { xmlns: NS.mucAdmin }, xml("item", AFFILIATIONS.includes(a) ? { affiliation: a } : { role: a }))))) },
  { weight: 3, arbitrary: stanza(fc.tuple(sender, room, fc.record({
      "muc#roomconfig_persistentroom": fc.constantFrom("0", "1"),
      "muc#roomconfig_membersonly": fc.constantFrom("0", "1"),
      "muc#roomconfig_moderatedroom": fc.constantFrom("0", "1", "maybe"),
      "muc#roomconfig_whois": fc.constantFrom("moderators", "anyone"),
      "muc#roomconfig_roomsecret": fc.constantFrom("", "secret"),
      "muc#roomconfig_historylength": fc.constantFrom("0", "2", "-1", "x"),
    }, { requiredKeys: [] })).map(([f, r, fields]) => iq(f, r, "set", ownerForm(fields)))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.option(someJid)).map(([f, r, venue]) => iq(f, r, "set", xml("query", { xmlns: NS.mucOwner }, xml("destroy", venue ? { jid: venue } : {}, xml("reason", {}, "bye")))))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room).map(([f, r]) => iq(f, r, "get", xml("query", { xmlns: NS.mucOwner })))) },
  // Registration, voice requests, the rest of the form, the service admins' commands, room avatars.
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, fc.constantFrom("get", "register", "remove"), nick).map(([f, r, what, n]) =>
      iq(f, r, what === "get" ? "get" : "set", xml("query", { xmlns: "jabber:iq:register" },
        ...(what === "remove" ? [xml("remove")] : what === "register"
          ? [xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#register")), xml("field", { var: "muc#register_roomnick" }, xml("value", {}, n)))]
          : [])))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, nick, fc.option(fc.constantFrom("true", "false"))).map(([f, r, n, allow]) =>
      xml("message", { from: f, to: r }, xml("x", { xmlns: NS.data, type: "submit" },
        xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#request")),
        xml("field", { var: "muc#role" }, xml("value", {}, "participant")),
        ...(allow === null ? [] : [xml("field", { var: "muc#roomnick" }, xml("value", {}, n)), xml("field", { var: "muc#request_allow" }, xml("value", {}, allow))])))),
  ) },
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, fc.record({
      "muc#roomconfig_allowpm": fc.constantFrom("anyone", "participants", "moderators", "none", "bogus"),
      "muc#roomconfig_maxusers": fc.constantFrom("1", "2", "none", "-1", "100000"),
      "muc#roomconfig_presencebroadcast": fc.constantFrom("moderator", "participant", "none", "everyone"),
      "muc#roomconfig_allowinvites": fc.constantFrom("0", "1"),
      "muc#roomconfig_getmemberlist": fc.constantFrom("moderator", "participant"),
      "muc#roomconfig_lang": fc.constantFrom("en", "pt-BR", "not a tag"),
      "muc#roomconfig_roomadmins": fc.constantFrom("juliet@example.com", "@@@", ""),
      "muc#roomconfig_roomowners": fc.constantFrom("romeo@example.net", "", "nurse@example.com"),
    }, { requiredKeys: [] })).map(([f, r, fields]) => iq(f, r, "set", ownerForm(fields)))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, fc.constantFrom("http://prosody.im/protocol/muc#destroy", "http://jabber.org/protocol/muc#admin-list-rooms", "http://jabber.org/protocol/admin#announce", "urn:nope"), fc.option(fc.constantFrom(...ROOMS, "@@@"))).map(([f, node, target]) =>
      iq(f, DOMAIN, "set", xml("command", { xmlns: "http://jabber.org/protocol/commands", node, action: "execute" },
        ...(target === null ? [] : [xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "rooms" }, xml("value", {}, target)), xml("field", { var: "body" }, xml("value", {}, "notice")))])))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.constantFrom("get", "set"), fc.constantFrom("iVBORw0KGgo=", "not base64!", "")).map(([f, r, type, photo]) =>
      iq(f, r, type, xml("vCard", { xmlns: NS.vcard }, ...(photo ? [xml("PHOTO", {}, xml("BINVAL", {}, photo))] : [])))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room).map(([f, r]) => iq(f, r, "get", xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" })))) },
  // MAM, moderation, disco, pings, IQs to occupants.
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, fc.option(fc.constantFrom(`${ROOMS[0]}/romeo`, "@@@", ROOMS[0]!, "x"))).map(([f, r, w]) =>
      iq(f, r, "set", xml("query", { xmlns: NS.mam, queryid: "q1" }, ...(w ? [xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, NS.mam)), xml("field", { var: "with" }, xml("value", {}, w)))] : []), xml("set", { xmlns: NS.rsm }, xml("max", {}, "2"))))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.constantFrom("n1", "n5", "nope")).map(([f, r, target]) => iq(f, r, "set", xml("moderate", { xmlns: NS.moderate, id: target }, xml("retract", { xmlns: NS.retract }))))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, fc.oneof(room, fc.constant(DOMAIN)), fc.constantFrom(NS.discoInfo, NS.discoItems)).map(([f, r, ns]) => iq(f, r, "get", xml("query", { xmlns: ns })))) },
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, nick, fc.constantFrom("ping", "vcard", "version")).map(([f, r, n, what]) =>
      iq(f, `${r}/${n}`, "get", what === "ping" ? xml("ping", { xmlns: NS.ping }) : what === "vcard" ? xml("vCard", { xmlns: NS.vcard }) : xml("query", { xmlns: NS.version }))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, nick, fc.constantFrom("result", "error")).map(([f, r, n, type]) => xml("iq", { from: f, to: `${r}/${n}`, type, id: "forged" }))) },
  // Errors (bounces), odd and huge stanzas.
  { weight: 2, arbitrary: stanza(fc.tuple(sender, room, fc.option(nick), fc.constantFrom("presence", "message", "iq"), fc.constantFrom("cancel", "wait"), fc.constantFrom("recipient-unavailable", "feature-not-implemented", "gone")).map(([f, r, n, name, type, cond]) =>
      xml(name, { from: f, to: n === null ? r : `${r}/${n}`, type: "error", id: "e" }, xml("error", { type }, xml(cond, { xmlns: NS.stanzas })))),
  ) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, fc.constantFrom("get", "set", "bogus")).map(([f, r, type]) => xml("iq", { from: f, to: r, type, id: "odd" }, xml("a", { xmlns: "urn:x" }), xml("b", { xmlns: "urn:y" })))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room, nick).map(([f, r, n]) => xml("presence", { from: f, to: `${r}/${n}` }, xml("x", { xmlns: NS.muc }), xml("junk", { xmlns: "urn:junk" }, "y".repeat(5000))))) },
  { weight: 1, arbitrary: stanza(fc.tuple(sender, room).map(([f, r]) => xml("message", { from: f, to: r, type: "groupchat" }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to: "a@b" })), xml("stanza-id", { xmlns: NS.stanzaId, by: r, id: "forged" }), xml("body", {}, "odd")))) },
  { weight: 1, arbitrary: stanza(fc.tuple(fc.option(sender), fc.option(room), fc.constantFrom("message", "presence", "iq", "bogus")).map(([f, r, name]) => xml(name, { ...(f ? { from: f } : {}), ...(r ? { to: r } : {}) }))) },
  // Time passes; the service restarts on the same store.
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 200_000 }).map((ms): Step => ({ kind: "time", ms })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: "restart" }) },
);

// ---- the invariants ----

const LEGAL_ROLES = new Set(["moderator", "participant", "visitor"]);
const LEGAL_AFFILIATIONS = new Set(["owner", "admin", "member", "outcast"]); // "none" is never stored

/** An invariant: cheaper than expect() in a loop that runs a million times, and it says which one broke. */
function holds(condition: boolean, what: string, detail?: unknown): void {
  if (!condition) throw new Error(`invariant broken: ${what}${detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`}`);
}

function checkRoom(jid: string, room: Room): void {
  holds(room.jid === jid && canonicalBare(jid) === jid, "a room is stored under its canonical JID", jid);
  if (!room.config.persistent) holds(room.occupants.size > 0, "a temporary room in memory has occupants", jid);
  let owners = 0;
  for (const [bare, affiliation] of room.affiliations) {
    holds(LEGAL_AFFILIATIONS.has(affiliation), "affiliations are legal", [bare, affiliation]);
    holds(canonicalBare(bare) === bare, "affiliations are by canonical bare JID", bare);
    if (affiliation === "owner") owners++;
  }
  holds(owners > 0, "a room has an owner", jid);
  const accounts = new Set<string>();
  let sessions = 0;
  for (const [key, occupant] of room.occupants) {
    holds(nickKey(occupant.nick) === key, "an occupant is stored under its nick's key (so no two share one)", [key, occupant.nick]);
    holds(occupant.sessions.length > 0, "an occupant has a session", key);
    holds(LEGAL_ROLES.has(occupant.role), "an occupant's role is legal", [key, occupant.role]);
    const affiliation: Affiliation = room.affiliations.get(occupant.bareJid) ?? "none";
    holds(affiliation !== "outcast", "no outcast is an occupant", occupant.bareJid);
    if (room.config.membersOnly) holds(atLeastAffiliation(affiliation, "member"), "a members-only room holds members only", occupant.bareJid);
    holds(!accounts.has(occupant.bareJid), "an account is one occupant", occupant.bareJid);
    accounts.add(occupant.bareJid);
    for (const session of occupant.sessions) {
      holds(canonicalJid(session.jid) === session.jid && canonicalBare(session.jid) === occupant.bareJid, "a session is a canonical JID of its occupant's account", session.jid);
      holds(room.sessions.get(session.jid) === key, "the session table points each session at its occupant", session.jid);
      sessions++;
    }
  }
  holds(room.sessions.size === sessions, "the session table lists each session once, and no other", jid);
}

function checkState(state: ServiceState): void {
  holds(state.loading.size === 0, "nothing waits for storage after a step");
  const counts = new Map<string, number>();
  for (const [jid, room] of state.rooms.entries()) {
    checkRoom(jid, room);
    for (const occupant of room.occupants.values()) counts.set(occupant.bareJid, (counts.get(occupant.bareJid) ?? 0) + 1);
  }
  const kept = [...state.limits.userRooms.entries()];
  holds(kept.length === counts.size && kept.every(([bare, n]) => counts.get(bare) === n), "the per-account room counts are exact", { kept, counts: [...counts] });
}

/** Who may receive what the room `roomJid` sent in answer to `input`. */
function recipients(input: Element, roomJid: string, before: ServiceState, after: ServiceState, stored: Map<string, Set<string>>): Set<string> {
  const allowed = new Set<string>(stored.get(roomJid) ?? []); // a room read from storage in this step brings its occupants back
  const from = canonicalJid(input.attrs.from);
  if (from) allowed.add(from);
  for (const state of [before, after]) {
    const room = state.rooms.get(roomJid);
    if (!room) continue;
    for (const jid of room.sessions.keys()) {
      allowed.add(jid);
      allowed.add(canonicalBare(jid)!); // a vCard request to an occupant goes to its account
    }
  }
  const x = input.getChild("x", NS.mucUser);
  for (const named of [...(x?.getChildren("invite") ?? []), ...(x?.getChildren("decline") ?? [])]) {
    const jid = canonicalJid(named.attrs.to);
    if (jid) allowed.add(jid);
  }
  return allowed;
}

/** The sessions of every room's stored occupants, by room JID. */
function storedSessions(sim: Sim): Map<string, Set<string>> {
  const sessions = new Map<string, Set<string>>();
  for (const row of sim.store.db.query("SELECT room, data FROM occupants").all() as { room: string; data: string }[]) {
    const set = sessions.get(row.room) ?? new Set<string>();
    for (const s of (JSON.parse(row.data) as { sessions: { jid: string }[] }).sessions) set.add(s.jid), set.add(canonicalBare(s.jid)!);
    sessions.set(row.room, set);
  }
  return sessions;
}

function checkOutput(input: Element, out: Element[], before: ServiceState, after: ServiceState, stored: Map<string, Set<string>> = new Map()): void {
  const sender = canonicalJid(input.attrs.from);
  for (const stanza of out) {
    const show = () => stanza.toString().slice(0, 300);
    const roomJid = String(stanza.attrs.from ?? "").split("/")[0]!;
    holds(parseJid(roomJid)?.domain === DOMAIN && canonicalBare(roomJid) === roomJid, "what we send is from our canonical domain", show());
    const to = stanza.attrs.to as string | undefined;
    holds(to !== undefined && canonicalJid(to) === to, "what we send has a canonical `to`", show());
    if (roomJid === DOMAIN) holds(to === sender, "the service answers the sender only", show());
    else holds(recipients(input, roomJid, before, after, stored).has(to!), "a room sends to its sessions, the sender, or whom an invitation names", show());
    if (stanza.attrs.type === "error") {
      holds(input.attrs.type !== "error", "no error answers an error", show());
      holds(to === sender, "errors go to the sender", show());
    }
  }
}

test(`property: random sequences keep the core's invariants (${RUNS} runs, seed ${SEED})`, () => {
  console.log(`property tests: seed ${SEED}, ${RUNS} runs (replay: MUC_PROPERTY_SEED=${SEED}; more: MUC_PROPERTY_RUNS=20000)`);
  const result = fc.check(
    fc.property(fc.tuple(fc.array(plainJoin, { minLength: 1, maxLength: 6 }), fc.array(steps, { minLength: 1, maxLength: 30 })).map(([a, b]) => [...a, ...b]), (sequence) => {
      let sim = new Sim(CONFIG);
      try {
        for (const step of sequence) {
          if (step.kind === "time") {
            // Time passes, and the shell's clock ticks: session checks go out and time out (verify.ts).
            sim.now += step.ms;
            const before = sim.state;
            const out = sim.input({ kind: "tick" });
            sim.take();
            checkState(sim.state);
            for (const stanza of out) holds(stanza.attrs.type !== "error", "a tick sends no error", stanza.toString());
            void before;
            continue;
          }
          if (step.kind === "restart") {
            const next = sim.restart();
            sim = next;
            checkState(sim.state);
            continue;
          }
          const before = sim.state;
          const stored = storedSessions(sim);
          const out = sim.send(step.stanza);
          sim.take();
          if (STATS) for (const s of out) count(s);
          checkState(sim.state);
          checkOutput(step.stanza, out, before, sim.state, stored);
        }
      } finally {
        sim.store.close();
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  if (STATS) console.log(Object.entries(STATS).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join("\n"));
  if (result.failed) throw new Error(`${fc.defaultReportMessage(result)}\n\nThe first failure: ${(result.errorInstance as Error)?.stack ?? result.errorInstance}`);
}, 120_000);
