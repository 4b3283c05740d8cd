// Members who are not in the room (Prosody's behaviour, XEP-0045 §9.3's reserved nicks): a
// presence probe to the occupant JID of a member's reserved nick answers with that member's
// unavailable presence; and when the room broadcasts the presence of role "none"
// (muc#roomconfig_presencebroadcast), each joiner receives those of every absent member.
import { reservedBy } from "./affiliations.ts";
import { occupantIdElement, occupantIdOf } from "./occupant-id.ts";
import { atLeastAffiliation } from "./roles.ts";
import { seesRealJids } from "./permissions.ts";
import { affiliationOf, occupantByBareJid, occupantJid, type Occupant, type Room } from "./room.ts";
import { NS, xml, type Element } from "./stanza.ts";

/** The unavailable presence of an absent member, as `viewer` sees it. */
export function offlinePresence(room: Room, bareJid: string, nick: string, to: string, viewer: Occupant | undefined): Element {
  return xml(
    "presence",
    { from: occupantJid(room, nick), to, type: "unavailable" },
    xml(
      "x",
      { xmlns: NS.mucUser },
      xml("item", { affiliation: affiliationOf(room, bareJid), role: "none", nick, ...(seesRealJids(room, viewer) ? { jid: bareJid } : {}) }),
    ),
    occupantIdElement(occupantIdOf(room.salt, bareJid)),
  );
}

/** Every absent member with a reserved nick, when the room shows them (presencebroadcast has "none"). */
export function offlineMembers(room: Room, to: string, viewer: Occupant): Element[] {
  if (!room.config.presenceBroadcast.includes("none")) return [];
  const out: Element[] = [];
  for (const [bareJid, note] of room.affiliationNotes)
    if (note.nick !== undefined && atLeastAffiliation(affiliationOf(room, bareJid), "member") && !occupantByBareJid(room, bareJid))
      out.push(offlinePresence(room, bareJid, note.nick, to, viewer));
  return out;
}

/** A probe for `key`'s nick where nobody is in the room under it: the member who reserved it, if absent. */
export function probeAbsent(room: Room, key: string, to: string, viewer: Occupant): Element[] {
  const bareJid = reservedBy(room, key);
  if (bareJid === undefined || occupantByBareJid(room, bareJid) || !atLeastAffiliation(affiliationOf(room, bareJid), "member")) return [];
  return [offlinePresence(room, bareJid, room.affiliationNotes.get(bareJid)!.nick!, to, viewer)];
}
