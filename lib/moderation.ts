// XEP-0045 §8.2 Kicking an Occupant, §8.3–§8.4 granting and revoking voice,
// §9.6–§9.7 granting and revoking moderator status: role changes sent by a
// moderator as <query xmlns='…muc#admin'><item nick= role=/></query>.
// Items that name an affiliation go to affiliations.ts.
import { setAffiliation } from "./affiliations.ts";
import { removeOccupant } from "./leave.ts";
import { nickKey } from "./nick.ts";
import { broadcastPresence } from "./presence.ts";
import { roleChangeRefusal, standingOf } from "./permissions.ts";
import { withOccupant, type Occupant, type Room } from "./room.ts";
import { isRole } from "./roles.ts";
import { errorReply, iqResult, NS, type Element } from "./stanza.ts";

export function adminSet(room: Room, actor: Occupant | undefined, iq: Element): [Room | undefined, Element[]] {
  const query = iq.getChild("query", NS.mucAdmin)!;
  const items = query.getChildren("item");
  if (items.length !== 1) return [room, errorReply(iq, "bad-request", "One item per request is supported")];
  const item = items[0]!;
  if (item.attrs.affiliation !== undefined) return setAffiliation(room, iq.attrs.from as string, iq, item);
  const role = item.attrs.role as string | undefined;
  if (!isRole(role) || item.attrs.nick === undefined) return [room, errorReply(iq, "bad-request", "An item needs a nick and a role")];
  if (!actor) {
    const refused = roleChangeRefusal(undefined, standingOf(room, undefined), role)!;
    return [room, errorReply(iq, refused.condition, refused.text)];
  }
  const key = nickKey(item.attrs.nick);
  const target = key === undefined ? undefined : room.occupants.get(key);
  if (!target || key === undefined) return [room, errorReply(iq, "item-not-found", "No occupant with that nickname")];
  const refused = roleChangeRefusal(standingOf(room, actor), standingOf(room, target), role);
  if (refused) return [room, errorReply(iq, refused.condition, refused.text)];
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
