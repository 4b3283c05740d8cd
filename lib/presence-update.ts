// XEP-0045 §7.7 Changing Availability Status: an occupant's new show/status
// (and caps, avatar hash, …) goes to everyone in the room. A session of a
// merged account that updates its presence becomes the one the room sees.
import { broadcastPresence, sessionOf } from "./presence.ts";
import { withOccupant, type Occupant, type Room } from "./room.ts";
import type { Element } from "./stanza.ts";

export function updatePresence(room: Room, key: string, occupant: Occupant, presence: Element): [Room, Element[]] {
  const realJid = presence.attrs.from as string;
  const others = occupant.sessions.filter((s) => s.jid !== realJid);
  const updated: Occupant = { ...occupant, sessions: [...others, sessionOf(realJid, presence)] };
  const next = withOccupant(room, key, updated, occupant);
  return [next, broadcastPresence(next, updated)];
}
