// XEP-0045 §9 Admin Use Cases and §10.3–§10.7 Owner Use Cases: granting and
// revoking affiliations (ban = outcast, member, admin, owner, none) by bare
// JID, and reading the lists. An occupant whose affiliation changes sees its
// presence change (banned: removed with 301; no longer a member of a
// members-only room: removed with 321); for someone not in the room, those
// who may see real JIDs get a notice message, as Prosody sends.
import { removeOccupant } from "./leave.ts";
import { nickKey } from "./nick.ts";
import { broadcastPresence } from "./presence.ts";
import { affiliationOf, bareOf, occupantByBareJid, occupantBySession, occupantKey, seesRealJids, withOccupant, type Occupant, type Room } from "./room.ts";
import { atLeastAffiliation, defaultRole, isAffiliation, isRole, type Affiliation } from "./roles.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

/** §5.2: who may give whom which affiliation. Owners: anything; admins: member/none/outcast below admin. */
function mayChange(actor: Affiliation, from: Affiliation, to: Affiliation): boolean {
  if (actor === "owner") return true;
  if (actor === "admin") return !atLeastAffiliation(from, "admin") && !atLeastAffiliation(to, "admin");
  return false;
}

/** An admin IQ set whose item names an affiliation. */
export function setAffiliation(room: Room, actorJid: string, iq: Element, item: Element): [Room | undefined, Element[]] {
  const affiliation = item.attrs.affiliation as string;
  if (!isAffiliation(affiliation)) return [room, errorReply(iq, "bad-request", "Unknown affiliation")];
  let target: string | undefined = item.attrs.jid ? bareOf(item.attrs.jid) : undefined;
  if (!target && item.attrs.nick !== undefined) {
    const key = nickKey(item.attrs.nick);
    target = key === undefined ? undefined : room.occupants.get(key)?.bareJid;
  }
  if (!target) return [room, errorReply(iq, "bad-request", "An item needs a jid (or the nick of an occupant)")];

  const actor = affiliationOf(room, bareOf(actorJid));
  const before = affiliationOf(room, target);
  if (!mayChange(actor, before, affiliation as Affiliation))
    return [room, errorReply(iq, atLeastAffiliation(actor, "admin") ? "not-allowed" : "forbidden", "You may not change that affiliation")];
  const owners = [...room.affiliations.values()].filter((a) => a === "owner").length;
  if (before === "owner" && affiliation !== "owner" && owners === 1) return [room, errorReply(iq, "conflict", "A room needs at least one owner")];

  const affiliations = new Map(room.affiliations);
  if (affiliation === "none") affiliations.delete(target);
  else affiliations.set(target, affiliation as Affiliation);
  const reason = item.getChildText("reason") ?? undefined;
  // The reason is kept with the affiliation (a ban's is shown in the outcast list); a reserved nick stays while affiliated.
  const notes = new Map(room.affiliationNotes);
  const { reason: _old, ...kept } = notes.get(target) ?? {};
  const note = affiliation === "none" ? {} : { ...kept, ...(reason ? { reason } : {}) };
  if (Object.keys(note).length > 0) notes.set(target, note);
  else notes.delete(target);
  let next: Room = { ...room, affiliations, affiliationNotes: notes.size === 0 && room.affiliationNotes.size === 0 ? room.affiliationNotes : notes };
  const out: Element[] = [];

  const occupant = occupantByBareJid(next, target);
  if (occupant) {
    const key = occupantKey(next, occupant);
    if (affiliation === "outcast" || (affiliation === "none" && next.config.membersOnly)) {
      const code = affiliation === "outcast" ? 301 : 321;
      const actorNick = occupantBySession(room, actorJid)?.nick;
      const [after, gone] = removeOccupant(next, key, occupant, { codes: [code], reason, actor: actorNick, actorJid });
      return [after, [...gone, iqResult(iq)]];
    }
    const role = defaultRole(affiliation as Affiliation, next.config.moderated);
    const changed: Occupant = { ...occupant, role: occupant.role === "visitor" && role === "participant" ? "participant" : role };
    next = withOccupant(next, key, changed, occupant);
    out.push(...broadcastPresence(next, changed, { reason }));
  } else {
    for (const viewer of next.occupants.values()) {
      if (!seesRealJids(next, viewer)) continue;
      for (const session of viewer.sessions)
        out.push(xml("message", { from: next.jid, to: session.jid }, xml("x", { xmlns: NS.mucUser }, xml("item", { jid: target, affiliation }))));
    }
  }
  return [next, [...out, iqResult(iq)]];
}

/** §9.5, §9.8, §10.5, §10.8 (and §8.5, §9.8 for roles): the list of one affiliation or role. */
export function getList(room: Room, actorJid: string, iq: Element): Element[] {
  const item = iq.getChild("query", NS.mucAdmin)?.getChild("item");
  const actorBare = bareOf(actorJid);
  const actor = affiliationOf(room, actorBare);
  const wanted = item?.attrs.affiliation as string | undefined;
  const wantedRole = item?.attrs.role as string | undefined;

  if (isAffiliation(wanted)) {
    // Owners and admins see every list; in a non-anonymous room, members see them too (as Prosody).
    const allowed = atLeastAffiliation(actor, "admin") || (actor === "member" && room.config.whois === "anyone");
    if (!allowed) return errorReply(iq, "forbidden", "You may not see that list");
    const items = [...room.affiliations]
      .filter(([, a]) => a === wanted)
      .map(([jid, a]) => {
        const note = room.affiliationNotes.get(jid);
        return xml("item", { affiliation: a, jid, ...(note?.nick ? { nick: note.nick } : {}) }, ...(note?.reason ? [xml("reason", {}, note.reason)] : []));
      });
    return [iqResult(iq, xml("query", { xmlns: NS.mucAdmin }, ...items))];
  }
  if (isRole(wantedRole)) {
    const self = [...room.occupants.values()].find((o) => o.sessions.some((s) => s.jid === actorJid));
    if (self?.role !== "moderator") return errorReply(iq, "forbidden", "Only moderators may see that list");
    const items = [...room.occupants.values()]
      .filter((o) => o.role === wantedRole)
      .map((o) => xml("item", { nick: o.nick, role: o.role, affiliation: affiliationOf(room, o.bareJid), jid: o.sessions[o.sessions.length - 1]!.jid }));
    return [iqResult(iq, xml("query", { xmlns: NS.mucAdmin }, ...items))];
  }
  return errorReply(iq, "bad-request", "Ask for one affiliation or role");
}
