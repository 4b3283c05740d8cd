// XEP-0045 §7.6 Changing Nickname: the old nick leaves with status 303 and
// the new nick on its item, then the new nick arrives; the changer's copies
// carry 110. For a merged account the change moves all its sessions (one
// account, one nick in the room, as the tutorial merges them).
import type { Context } from "./context.ts";
import { reservedBy } from "./affiliations.ts";
import { normalizeNick } from "./nick.ts";
import { presenceOf, sessionOf } from "./presence.ts";
import { seesPresenceOf } from "./permissions.ts";
import { withOccupant, type Occupant, type Room } from "./room.ts";
import { errorReply, type Element } from "./stanza.ts";

export function changeNick(room: Room, key: string, occupant: Occupant, presence: Element, rawNick: string, ctx: Context): [Room, Element[]] {
  const parsed = normalizeNick(rawNick, ctx.config.maxNickLength);
  if (!parsed.ok) return [room, errorReply(presence, parsed.condition, parsed.text)];
  const holder = room.occupants.get(parsed.key);
  if (holder && holder !== occupant) return [room, errorReply(presence, "conflict", "That nickname is already in use by another occupant")];
  const reserver = reservedBy(room, parsed.key);
  if (reserver !== undefined && reserver !== occupant.bareJid) return [room, errorReply(presence, "conflict", "That nickname is reserved by a member of this room")];
  if (parsed.nick === occupant.nick) return [room, []];

  const realJid = presence.attrs.from as string;
  const others = occupant.sessions.filter((s) => s.jid !== realJid);
  const renamed: Occupant = { ...occupant, nick: parsed.nick, sessions: [...others, sessionOf(realJid, presence)] };
  const next = withOccupant(withOccupant(room, key, undefined, occupant), parsed.key, renamed);

  const out: Element[] = [];
  for (const viewer of room.occupants.values()) {
    const self = viewer === occupant;
    const viewerAfter = self ? renamed : viewer;
    if (!seesPresenceOf(room, occupant, viewer)) continue;
    for (const session of viewer.sessions) {
      out.push(presenceOf(room, occupant, session.jid, viewer, { type: "unavailable", codes: self ? [303, 110] : [303], newNick: parsed.nick }));
      out.push(presenceOf(next, renamed, session.jid, viewerAfter, { codes: self ? [110] : [] }));
    }
  }
  return [next, out];
}
