// XEP-0045 §8.2 Kicking an Occupant, §8.3–§8.4 granting and revoking voice,
// §9.6–§9.7 granting and revoking moderator status: role changes sent by a
// moderator as <query xmlns='…muc#admin'><item nick= role=/></query>.
// Items that name an affiliation go to affiliations.ts.
import { setAffiliation } from "./affiliations.ts";
import { removeOccupant } from "./leave.ts";
import { nickKey } from "./nick.ts";
import { broadcastPresence } from "./presence.ts";
import { affiliationOf, withOccupant, type Occupant, type Room } from "./room.ts";
import { atLeastAffiliation, isRole, type Role } from "./roles.ts";
import { errorReply, iqResult, NS, type Element } from "./stanza.ts";

/** May `actor` give `target` the role `role`? (§8.2, §8.4, §9.6 and the tables of §5.2) */
function mayChangeRole(room: Room, actor: Occupant, target: Occupant, role: Role): boolean {
  if (actor.role !== "moderator") return false;
  const actorAffiliation = affiliationOf(room, actor.bareJid);
  const targetAffiliation = affiliationOf(room, target.bareJid);
  // Nobody changes the role of an admin or owner except an owner/admin of at least that rank (§5.2).
  if (atLeastAffiliation(targetAffiliation, "admin") && !atLeastAffiliation(actorAffiliation, targetAffiliation)) return false;
  if (atLeastAffiliation(targetAffiliation, "admin") && role !== "moderator") return false;
  // Granting or revoking moderator is for admins and owners (§9.6–§9.7).
  if ((role === "moderator" || target.role === "moderator") && !atLeastAffiliation(actorAffiliation, "admin")) return false;
  return true;
}

export function adminSet(room: Room, actor: Occupant | undefined, iq: Element): [Room | undefined, Element[]] {
  const query = iq.getChild("query", NS.mucAdmin)!;
  const items = query.getChildren("item");
  if (items.length !== 1) return [room, errorReply(iq, "bad-request", "One item per request is supported")];
  const item = items[0]!;
  if (item.attrs.affiliation !== undefined) return setAffiliation(room, iq.attrs.from as string, iq, item);
  const role = item.attrs.role as string | undefined;
  if (!isRole(role) || item.attrs.nick === undefined) return [room, errorReply(iq, "bad-request", "An item needs a nick and a role")];
  if (!actor) return [room, errorReply(iq, "forbidden", "Only occupants may change roles")];
  const key = nickKey(item.attrs.nick);
  const target = key === undefined ? undefined : room.occupants.get(key);
  if (!target || key === undefined) return [room, errorReply(iq, "item-not-found", "No occupant with that nickname")];
  if (!mayChangeRole(room, actor, target, role)) {
    const condition = actor.role === "moderator" ? "not-allowed" : "forbidden";
    return [room, errorReply(iq, condition, "You may not change the role of that occupant")];
  }
  const reason = item.getChildText("reason") ?? undefined;

  if (role === "none") {
    // §8.2: the kicked occupant and everyone else learn it with status 307.
    const [next, out] = removeOccupant(room, key, target, { codes: [307], reason, actor: actor.nick, actorJid: iq.attrs.from });
    return [next, [...out, iqResult(iq)]];
  }
  if (role === target.role) return [room, [iqResult(iq)]];
  const changed: Occupant = { ...target, role };
  const next = withOccupant(room, key, changed, target);
  return [next, [...broadcastPresence(next, changed, { reason, actor: actor.nick }), iqResult(iq)]];
}
