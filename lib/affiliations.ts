// XEP-0045 §9 Admin Use Cases and §10.3–§10.7 Owner Use Cases: granting and
// revoking affiliations (ban = outcast, member, admin, owner, none) by bare
// JID, and reading the lists. An occupant whose affiliation changes sees its
// presence change (banned: removed with 301; no longer a member of a
// members-only room: removed with 321); for someone not in the room, those
// who may see real JIDs get a notice message, as Prosody sends.
import { canonicalBare } from "./jid.ts";
import { removeOccupant } from "./leave.ts";
import { nickKey, normalizeNick } from "./nick.ts";
import { broadcastPresence } from "./presence.ts";
import { affiliationChangeRefusal, listRefusal, mayEnterMembersOnly, roleListRefusal, seesRealJids, standingOf } from "./permissions.ts";
import { affiliationOf, bareOf, occupantByBareJid, occupantBySession, occupantKey, withOccupant, type Occupant, type Room } from "./room.ts";
import { defaultRole, isAffiliation, isRole, type Affiliation } from "./roles.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

/** An admin IQ set whose item names an affiliation. */
export function setAffiliation(room: Room, actorJid: string, iq: Element, item: Element): [Room | undefined, Element[]] {
  const affiliation = item.attrs.affiliation as string;
  if (!isAffiliation(affiliation)) return [room, errorReply(iq, "bad-request", "Unknown affiliation")];
  let target: string | undefined = item.attrs.jid === undefined ? undefined : canonicalBare(item.attrs.jid);
  if (item.attrs.jid !== undefined && !target) return [room, errorReply(iq, "jid-malformed", "The item's jid is not a valid address")];
  let reserve: string | undefined;
  if (target && item.attrs.nick !== undefined) {
    // §9.3, §10.7 (and Prosody): a jid with a nick reserves that nick for the account.
    const parsed = normalizeNick(item.attrs.nick, Number.MAX_SAFE_INTEGER);
    if (!parsed.ok) return [room, errorReply(iq, "jid-malformed", parsed.text)];
    const holder = reservedBy(room, parsed.key);
    if (holder !== undefined && holder !== target) return [room, errorReply(iq, "conflict", "That nickname is reserved by someone else")];
    reserve = parsed.nick;
  } else if (!target && item.attrs.nick !== undefined) {
    const key = nickKey(item.attrs.nick);
    target = key === undefined ? undefined : room.occupants.get(key)?.bareJid;
  }
  if (!target) return [room, errorReply(iq, "bad-request", "An item needs a jid (or the nick of an occupant)")];

  const actor = affiliationOf(room, bareOf(actorJid));
  const before = affiliationOf(room, target);
  const refused = affiliationChangeRefusal(actor, before, affiliation as Affiliation);
  if (refused) return [room, errorReply(iq, refused.condition, refused.text)];
  const owners = [...room.affiliations.values()].filter((a) => a === "owner").length;
  if (before === "owner" && affiliation !== "owner" && owners === 1) return [room, errorReply(iq, "conflict", "A room needs at least one owner")];

  let next: Room | undefined = room;
  const out: Element[] = [];
  const actorNick = occupantBySession(room, actorJid)?.nick;
  if (reserve !== undefined) {
    // Whoever else is in the room under the nick now reserved leaves it (307), as Prosody does.
    const key = nickKey(reserve)!;
    const holder = room.occupants.get(key);
    if (holder && holder.bareJid !== target) {
      let gone: Element[];
      [next, gone] = removeOccupant(room, key, holder, { codes: [307], reason: "This nickname is reserved" });
      out.push(...gone);
    }
  }
  const reason = item.getChildText("reason") ?? undefined;
  const [after, changed] = applyAffiliation(next!, target, affiliation as Affiliation, { reason, ...(reserve !== undefined ? { nick: reserve } : {}), actor: { nick: actorNick, jid: actorJid } });
  return [after, [...out, ...changed, iqResult(iq)]];
}

export interface AffiliationChange {
  reason?: string;
  /** A nick to reserve for the account, or null to release its reservation; undefined keeps it. */
  nick?: string | null;
  actor?: { nick?: string; jid?: string };
}

/**
 * Give `target` (a bare JID) `affiliation`, with what follows for its occupant: banned, it is
 * removed (301); no longer a member of a members-only room, removed too (321); otherwise its
 * new presence goes to everyone, with the actor and reason. For an account not in the room,
 * those who may see real JIDs get the out-of-room notice Prosody sends.
 */
export function applyAffiliation(room: Room, target: string, affiliation: Affiliation, change: AffiliationChange = {}): [Room | undefined, Element[]] {
  const affiliations = new Map(room.affiliations);
  if (affiliation === "none") affiliations.delete(target);
  else affiliations.set(target, affiliation);
  // The reason is kept with the affiliation (a ban's is shown in the outcast list); a reserved nick stays while affiliated.
  const notes = new Map(room.affiliationNotes);
  const { reason: _old, nick: oldNick, ...kept } = notes.get(target) ?? {};
  const nick = change.nick === null ? undefined : (change.nick ?? oldNick);
  const note = affiliation === "none" ? {} : { ...kept, ...(change.reason ? { reason: change.reason } : {}), ...(nick !== undefined ? { nick } : {}) };
  if (Object.keys(note).length > 0) notes.set(target, note);
  else notes.delete(target);
  let next: Room = { ...room, affiliations, affiliationNotes: notes.size === 0 && room.affiliationNotes.size === 0 ? room.affiliationNotes : notes };
  const { reason, actor } = change;

  const occupant = occupantByBareJid(next, target);
  if (occupant) {
    const key = occupantKey(next, occupant);
    if (affiliation === "outcast" || (next.config.membersOnly && !mayEnterMembersOnly(affiliation))) {
      const code = affiliation === "outcast" ? 301 : 321;
      return removeOccupant(next, key, occupant, { codes: [code], reason, actor: actor?.nick, actorJid: actor?.jid });
    }
    const role = defaultRole(affiliation, next.config.moderated);
    const changed: Occupant = { ...occupant, role: occupant.role === "visitor" && role === "participant" ? "participant" : role };
    next = withOccupant(next, key, changed, occupant);
    return [next, broadcastPresence(next, changed, { reason, actor: actor?.nick, actorJid: actor?.jid })];
  }
  const out: Element[] = [];
  for (const viewer of next.occupants.values()) {
    if (!seesRealJids(next, viewer)) continue;
    for (const session of viewer.sessions)
      out.push(xml("message", { from: next.jid, to: session.jid }, xml("x", { xmlns: NS.mucUser }, xml("item", { jid: target, affiliation }))));
  }
  return [next, out];
}

/** The account that reserved the nick with this key (nick.ts), if any: O(affiliations with notes). */
export function reservedBy(room: Room, key: string): string | undefined {
  for (const [jid, note] of room.affiliationNotes) if (note.nick !== undefined && nickKey(note.nick) === key) return jid;
  return undefined;
}

/** The nick `bareJid` reserved, if any. */
export function reservedNick(room: Room, bareJid: string): string | undefined {
  return room.affiliationNotes.get(bareJid)?.nick;
}

/** §9.5, §9.8, §10.5, §10.8 (and §8.5, §9.8 for roles): the list of one affiliation or role. */
export function getList(room: Room, actorJid: string, iq: Element): Element[] {
  const item = iq.getChild("query", NS.mucAdmin)?.getChild("item");
  const viewer = standingOf(room, occupantBySession(room, actorJid), bareOf(actorJid));
  const wanted = item?.attrs.affiliation as string | undefined;
  const wantedRole = item?.attrs.role as string | undefined;

  if (isAffiliation(wanted)) {
    const refused = listRefusal(room, viewer, wanted);
    if (refused) return errorReply(iq, refused.condition, refused.text);
    const items = [...room.affiliations]
      .filter(([, a]) => a === wanted)
      .map(([jid, a]) => {
        const note = room.affiliationNotes.get(jid);
        return xml("item", { affiliation: a, jid, ...(note?.nick ? { nick: note.nick } : {}) }, ...(note?.reason ? [xml("reason", {}, note.reason)] : []));
      });
    return [iqResult(iq, xml("query", { xmlns: NS.mucAdmin }, ...items))];
  }
  if (isRole(wantedRole)) {
    const refused = roleListRefusal(viewer);
    if (refused) return errorReply(iq, refused.condition, refused.text);
    const items = [...room.occupants.values()]
      .filter((o) => o.role === wantedRole)
      .map((o) => xml("item", { nick: o.nick, role: o.role, affiliation: affiliationOf(room, o.bareJid), jid: o.sessions[o.sessions.length - 1]!.jid }));
    return [iqResult(iq, xml("query", { xmlns: NS.mucAdmin }, ...items))];
  }
  return errorReply(iq, "bad-request", "Ask for one affiliation or role");
}
