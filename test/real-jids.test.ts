// Real JIDs only where allowed (XEP-0045 §7.2.3–§7.2.4, §6, the whois setting; lib/permissions.ts):
// a room is fed every kind of stanza the service handles — joins, a second session, presence,
// nick changes, messages, the subject, private messages, IQs through occupant JIDs and their
// answers, vCards, invitations and declines, voice requests, kicks, bans, role and affiliation
// changes (of occupants and of absent accounts), configuration, registration, disco, probes, MAM,
// retraction, an error bounce, leaving — by occupants and by outsiders; and every stanza that goes
// to someone who may not see real JIDs (a non-moderator of a semi-anonymous room, anyone outside
// the room) is searched for another account's real JID: in attributes, in text, and in anything
// that decodes as base64 (ids).
import { describe, expect, test } from "bun:test";
import type { ServiceConfig } from "../lib/context.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { configure, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROOM, Sim } from "./helpers.ts";

const MERCUTIO2 = "mercutio@example.org/tavern";
const BENVOLIO = "benvolio@example.org/square";
const PARIS = "paris@example.net/church";
const TYBALT = "tybalt@example.com/sword"; // never in the room
/** The accounts that are occupants at some point: their real JIDs are the secrets (an outsider may name itself, as in a decline). */
const ACCOUNTS = [ROMEO, JULIET, MERCUTIO, BENVOLIO, PARIS].map((j) => j.slice(0, j.indexOf("/")));
const bareOf = (jid: string) => (jid.includes("/") ? jid.slice(0, jid.indexOf("/")) : jid);

/** Every string a stanza carries: attribute values and text, and what any base64-looking token in them decodes to. */
function strings(stanza: Element): string[] {
  const out: string[] = [];
  const walk = (el: Element) => {
    for (const value of Object.values(el.attrs)) if (typeof value === "string") out.push(value);
    for (const child of el.children) if (typeof child === "string") out.push(child);
    else walk(child);
  };
  walk(stanza);
  const decoded: string[] = [];
  for (const s of out)
    for (const token of s.match(/[A-Za-z0-9+/_-]{8,}={0,2}/g) ?? [])
      for (const start of [0, ...[...token].flatMap((c, i) => (c === "-" || c === "_" ? [i + 1] : []))]) {
        const part = token.slice(start).replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
        try {
          const binary = atob(part + "=".repeat((4 - (part.length % 4)) % 4));
          decoded.push(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
        } catch {
          // not base64
        }
      }
  return [...out, ...decoded].map((s) => s.toLowerCase());
}

type Kind = { whois: "moderators" | "anyone"; membersOnly: boolean };

/**
 * Run the scenario; after each input, check what went out. `allowed(step, stanza, secret)` names
 * the one deliberate exception (an invitation naming its inviter by real JID, MUC_INVITE_FROM=real).
 */
function run(kind: Kind, config: Partial<ServiceConfig>, allowed: (step: string, stanza: Element, secret: string) => boolean) {
  const sim = new Sim({ ...config, admins: [] });
  const findings: string[] = [];
  let checked = 0;
  const step = (name: string, stanza: Element) => {
    const room = sim.room();
    const privilegedBefore = new Set<string>();
    const see = (r: typeof room) => {
      if (!r) return;
      for (const o of r.occupants.values()) if (o.role === "moderator" || r.config.whois === "anyone") privilegedBefore.add(o.bareJid);
    };
    see(room);
    const out = sim.send(stanza);
    see(sim.room());
    for (const s of out) {
      const recipient = bareOf(s.attrs.to as string);
      if (privilegedBefore.has(recipient)) continue; // a moderator, or an occupant of a non-anonymous room
      checked++;
      const text = strings(s);
      for (const secret of ACCOUNTS)
        if (secret !== recipient && text.some((t) => t.includes(secret)) && !allowed(name, s, secret)) findings.push(`${name}: ${secret} leaked to ${recipient} in ${s}`);
    }
  };
  const iq = (from: string, to: string, type: string, id: string, payload: Element) => xml("iq", { from, to, type, id }, payload);
  const admin = (item: Record<string, string>, id: string, from = ROMEO) => iq(from, ROOM, "set", id, xml("query", { xmlns: NS.mucAdmin }, xml("item", item)));

  step("create", join(ROMEO, "Romeo"));
  step("configure", configure(ROMEO, { "muc#roomconfig_whois": kind.whois, "muc#roomconfig_membersonly": kind.membersOnly ? "1" : "0", "muc#roomconfig_moderatedroom": "1", "muc#roomconfig_enablearchiving": "1", "muc#roomconfig_presencebroadcast": "moderator participant visitor none" }, "c1"));
  for (const jid of [JULIET, MERCUTIO, BENVOLIO, PARIS]) step(`member ${jid}`, admin({ jid: bareOf(jid), affiliation: "member" }, `m-${jid}`));
  step("juliet joins", join(JULIET, "Juliet"));
  step("mercutio joins", join(MERCUTIO, "Mercutio"));
  step("mercutio's second session", join(MERCUTIO2, "Mercutio"));
  step("benvolio joins", join(BENVOLIO, "Benvolio"));
  step("benvolio made a visitor", admin({ nick: "Benvolio", role: "visitor" }, "v1"));
  step("paris joins", join(PARIS, "Paris"));
  step("presence", xml("presence", { from: JULIET, to: `${ROOM}/Juliet` }, xml("show", {}, "away"), xml("status", {}, "on the balcony")));
  step("nick change", xml("presence", { from: MERCUTIO, to: `${ROOM}/Queen Mab` }));
  step("groupchat", groupchat(JULIET, "Wherefore art thou?", "g1"));
  step("subject", xml("message", { from: ROMEO, to: ROOM, type: "groupchat", id: "s1" }, xml("subject", {}, "The balcony")));
  step("private message", xml("message", { from: JULIET, to: `${ROOM}/Queen Mab`, type: "chat", id: "pm1" }, xml("body", {}, "psst")));
  step("private message back", xml("message", { from: MERCUTIO2, to: `${ROOM}/Juliet`, type: "chat", id: "pm2" }, xml("body", {}, "a plague")));
  const forwarded = (() => {
    const out = sim.send(iq(JULIET, `${ROOM}/Queen Mab`, "get", "ver1", xml("query", { xmlns: NS.version })));
    return out[0]!;
  })();
  step("version answer", iq(forwarded.attrs.to as string, `${ROOM}/Juliet`, "result", forwarded.attrs.id as string, xml("query", { xmlns: NS.version }, xml("name", {}, "client"))));
  step("version error answer", iq(forwarded.attrs.to as string, `${ROOM}/Juliet`, "error", forwarded.attrs.id as string, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))));
  step("vcard", iq(JULIET, `${ROOM}/Romeo`, "get", "vc1", xml("vCard", { xmlns: NS.vcard })));
  step("disco to an occupant", iq(PARIS, `${ROOM}/Juliet`, "get", "di1", xml("query", { xmlns: NS.discoInfo })));
  step("self-ping", iq(JULIET, `${ROOM}/Juliet`, "get", "sp1", xml("ping", { xmlns: NS.ping })));
  step("probe", xml("presence", { from: JULIET, to: `${ROOM}/Romeo`, type: "probe" }));
  step("probe an absent member", xml("presence", { from: JULIET, to: `${ROOM}/Nobody`, type: "probe" }));
  step("invite an outsider", xml("message", { from: JULIET, to: ROOM, id: "inv1" }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to: TYBALT }, xml("reason", {}, "come")))));
  step("decline", xml("message", { from: TYBALT, to: ROOM, id: "dec1" }, xml("x", { xmlns: NS.mucUser }, xml("decline", { to: `${ROOM}/Juliet` }))));
  step("voice request", xml("message", { from: BENVOLIO, to: ROOM, id: "vr1" }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#request")), xml("field", { var: "muc#role" }, xml("value", {}, "participant")))));
  step("voice granted", xml("message", { from: ROMEO, to: ROOM, id: "vr2" }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#request")), xml("field", { var: "muc#roomnick" }, xml("value", {}, "Benvolio")), xml("field", { var: "muc#request_allow" }, xml("value", {}, "true")))));
  step("register", iq(JULIET, ROOM, "set", "reg1", xml("query", { xmlns: NS.register }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#register")), xml("field", { var: "muc#register_roomnick" }, xml("value", {}, "Juliet"))))));
  step("reserved nick", iq(JULIET, ROOM, "get", "rn1", xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" })));
  step("member list asked by a member", iq(JULIET, ROOM, "get", "ml1", xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "member" }))));
  for (const list of ["owner", "admin", "outcast"]) step(`${list} list asked by a member`, iq(JULIET, ROOM, "get", `l-${list}`, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: list }))));
  step("moderator list asked by a participant", iq(JULIET, ROOM, "get", "rl1", xml("query", { xmlns: NS.mucAdmin }, xml("item", { role: "moderator" }))));
  step("grant membership to an absent account", admin({ jid: "rosaline@example.org", affiliation: "member" }, "ab1"));
  step("grant admin to an absent account", admin({ jid: "escalus@example.org", affiliation: "admin" }, "ab2"));
  step("kick", admin({ nick: "Paris", role: "none" }, "k1"));
  step("paris again", join(PARIS, "Paris"));
  step("ban", admin({ jid: bareOf(PARIS), affiliation: "outcast" }, "b1"));
  step("the banned one tries again", join(PARIS, "Count"));
  step("configuration change", configure(ROMEO, { "muc#roomconfig_roomname": "Verona" }, "c2"));
  step("disco info", iq(JULIET, ROOM, "get", "d1", xml("query", { xmlns: NS.discoInfo })));
  step("disco items", iq(JULIET, ROOM, "get", "d2", xml("query", { xmlns: NS.discoItems })));
  step("mam", iq(JULIET, ROOM, "set", "mam1", xml("query", { xmlns: NS.mam, queryid: "q1" })));
  step("mam with", iq(JULIET, ROOM, "set", "mam2", xml("query", { xmlns: NS.mam, queryid: "q2" }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "FORM_TYPE" }, xml("value", {}, NS.mam)), xml("field", { var: "with" }, xml("value", {}, `${ROOM}/Juliet`))))));
  step("retraction", iq(ROMEO, ROOM, "set", "mod1", xml("moderate", { xmlns: NS.moderate, id: "n-none" }, xml("retract", { xmlns: NS.retract }))));
  // Outsiders, and the banned, ask everything they can.
  for (const outsider of [TYBALT, PARIS]) {
    step(`${outsider}: disco info`, iq(outsider, ROOM, "get", "o1", xml("query", { xmlns: NS.discoInfo })));
    step(`${outsider}: disco items`, iq(outsider, ROOM, "get", "o2", xml("query", { xmlns: NS.discoItems })));
    step(`${outsider}: disco to an occupant`, iq(outsider, `${ROOM}/Juliet`, "get", "o3", xml("query", { xmlns: NS.discoInfo })));
    step(`${outsider}: vcard of an occupant`, iq(outsider, `${ROOM}/Juliet`, "get", "o4", xml("vCard", { xmlns: NS.vcard })));
    step(`${outsider}: probe`, xml("presence", { from: outsider, to: `${ROOM}/Juliet`, type: "probe" }));
    step(`${outsider}: private message`, xml("message", { from: outsider, to: `${ROOM}/Juliet`, type: "chat", id: "o5" }, xml("body", {}, "hello")));
    step(`${outsider}: groupchat`, groupchat(outsider, "let me in", "o6"));
    for (const list of ["owner", "admin", "member", "outcast"]) step(`${outsider}: ${list} list`, iq(outsider, ROOM, "get", `o-${list}`, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: list }))));
    step(`${outsider}: moderator list`, iq(outsider, ROOM, "get", "o7", xml("query", { xmlns: NS.mucAdmin }, xml("item", { role: "moderator" }))));
    step(`${outsider}: mam`, iq(outsider, ROOM, "set", "o8", xml("query", { xmlns: NS.mam, queryid: "oq" })));
    step(`${outsider}: register`, iq(outsider, ROOM, "get", "o9", xml("query", { xmlns: NS.register })));
    step(`${outsider}: owner form`, iq(outsider, ROOM, "get", "o10", xml("query", { xmlns: NS.mucOwner })));
    step(`${outsider}: join`, join(outsider, "Outsider"));
  }
  step("an error bounce removes a session", xml("message", { from: MERCUTIO2, to: ROOM, type: "error", id: "x" }, xml("error", { type: "cancel" }, xml("remote-server-not-found", { xmlns: NS.stanzas }))));
  step("leave", leave(BENVOLIO, "Benvolio"));
  step("membership revoked", admin({ jid: bareOf(BENVOLIO), affiliation: "none" }, "r1"));
  step("destroy", iq(ROMEO, ROOM, "set", "des", xml("query", { xmlns: NS.mucOwner }, xml("destroy", {}, xml("reason", {}, "the end")))));
  return { findings, checked };
}

const exempt = () => false;

describe("no stanza carries a real JID to someone who may not see it", () => {
  for (const kind of [
    { whois: "moderators", membersOnly: false },
    { whois: "moderators", membersOnly: true },
    { whois: "anyone", membersOnly: false },
    { whois: "anyone", membersOnly: true },
  ] as Kind[])
    test(`${kind.whois === "anyone" ? "non-anonymous" : "semi-anonymous"}, ${kind.membersOnly ? "members-only" : "open"} (MUC_INVITE_FROM=occupant)`, () => {
      const { findings, checked } = run(kind, { inviteFrom: "occupant" }, exempt);
      expect(findings).toEqual([]);
      expect(checked).toBeGreaterThan(kind.whois === "anyone" ? 30 : 150);
    });

  test("with MUC_INVITE_FROM=real (the default), the only real JID an outsider learns is its inviter's, in the invitation the inviter sent it", () => {
    const seen: string[] = [];
    const { findings } = run({ whois: "moderators", membersOnly: false }, {}, (step, stanza, secret) => {
      const ok = step === "invite an outsider" && stanza.attrs.to === TYBALT && secret === "juliet@example.com";
      if (ok) seen.push(secret);
      return ok;
    });
    expect(findings).toEqual([]);
    expect(seen.length).toBeGreaterThan(0); // the exception is real, and the only one
  });

  test("the search finds a real JID, plain or base64-encoded (the test can fail)", () => {
    const plain = xml("message", { to: JULIET }, xml("body", {}, "romeo@example.net is here"));
    const encoded = xml("iq", { to: JULIET, id: `muc-fwd-${btoa("romeo@example.net/orchard\u0000x").replace(/=+$/, "")}` });
    expect(strings(plain).some((s) => s.includes("romeo@example.net"))).toBe(true);
    expect(strings(encoded).some((s) => s.includes("romeo@example.net"))).toBe(true);
  });
});
