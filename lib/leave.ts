// XEP-0045 §7.14 Exiting a Room, and every other way a session leaves: the
// server's unavailable presence for a client that went offline, an error
// bounced back for a stanza we sent to it (status 333), a kick (307, §8.2),
// service shutdown (332). The last occupant leaving ends a temporary room.
import { broadcastPresence, presenceOf, type PresenceOptions, type StatusCode } from "./presence.ts";
import { withOccupant, type Occupant, type Room, type Session } from "./room.ts";
import type { Element } from "./stanza.ts";

export interface Departure {
  /** Status codes everyone sees (307, 332, 333); 110 is added for the occupant itself. */
  codes?: StatusCode[];
  /** Whether the leaving session itself is told (not when it is unreachable). */
  tellSession?: boolean;
  /** The unavailable presence it sent, whose <status/> text the room passes on. */
  presence?: Element;
  reason?: string;
  actor?: string;
  actorJid?: string;
  /** The room's own <status/> text on the unavailable presence (a bounce's error, 333). */
  statusText?: string;
}

/**
 * Remove one session from the room. When the occupant has other sessions
 * (a merged account) the room sees no departure; only the session is told.
 * Returns undefined for the room when a temporary room became empty.
 */
export function removeSession(room: Room, realJid: string, departure: Departure = {}): [Room | undefined, Element[]] {
  const key = room.sessions.get(realJid);
  const occupant = key === undefined ? undefined : room.occupants.get(key);
  if (key === undefined || !occupant) return [room, []];
  const session = occupant.sessions.find((s) => s.jid === realJid)!;
  const leaving: Session = departure.presence ? { jid: realJid, presence: departure.presence } : session;
  const options = { type: "unavailable" as const, codes: departure.codes, reason: departure.reason, actor: departure.actor, session: leaving, statusText: departure.statusText };
  const tellSession = departure.tellSession ?? true;

  const remaining = occupant.sessions.filter((s) => s.jid !== realJid);
  if (remaining.length > 0) {
    const next = withOccupant(room, key, { ...occupant, sessions: remaining }, occupant);
    const out = tellSession ? [presenceOf(room, occupant, realJid, occupant, { ...options, codes: [...(departure.codes ?? []), 110] })] : [];
    return [next, out];
  }
  return removeOccupant(room, key, occupant, departure, tellSession ? undefined : realJid, options);
}

/** Remove a whole occupant (every session): everyone, itself included, gets its unavailable presence. */
export function removeOccupant(
  room: Room,
  key: string,
  occupant: Occupant,
  departure: Departure,
  silentSession?: string,
  options: PresenceOptions = { type: "unavailable", codes: departure.codes, reason: departure.reason, actor: departure.actor, actorJid: departure.actorJid },
): [Room | undefined, Element[]] {
  const out = broadcastPresence(room, occupant, options).filter((p) => p.attrs.to !== silentSession);
  const next = withOccupant(room, key, undefined, occupant);
  return [next.occupants.size === 0 && !next.config.persistent ? undefined : next, out];
}

/** §9.x the service shuts down: every session is told it was removed (332). */
export function shutdownRoom(room: Room): Element[] {
  const out: Element[] = [];
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions)
      out.push(presenceOf(room, occupant, session.jid, occupant, { type: "unavailable", codes: [332, 110], session }));
  return out;
}

