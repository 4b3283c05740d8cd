// The room: its state, and the lookups every reducer needs (XEP-0045 §4, §5).
// A Room is immutable: reducers return a new Room built with the helpers below,
// which copy O(occupants) at most, never the service's other rooms.
import type { HistoryEntry } from "./history.ts";
import type { Affiliation, Role } from "./roles.ts";

/**
 * The room's configuration (XEP-0045 §10.2). Each field is declared by the room
 * feature that owns it (lib/room-features/*.ts, merged into this interface), with
 * its default; lib/room-features.ts lists them and makes a new room's.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface RoomConfig {}

/** One client connection (a full real JID) inside an occupant. */
export interface Session {
  jid: string;
  /** The last available presence this session sent to the room, as received. */
  presence: import("./stanza.ts").Element;
}

/**
 * An occupant: one nick in the room. Several sessions of the same account share
 * one occupant (the tutorial's nick merging, XEP-0045 §7.2.2 "multi-session nicks").
 */
export interface Occupant {
  nick: string;
  bareJid: string;
  /** XEP-0421 occupant id: stable per (room, account), across rejoins and restarts. */
  occupantId: string;
  role: Role;
  /** In order of joining; the last one is the one whose presence the room sees. */
  sessions: readonly Session[];
}

export interface Subject {
  text: string;
  /** Occupant JID of who set it, or the room's JID. */
  from: string;
  /** Real bare JID of who set it, and when (ms since the epoch). */
  by?: string;
  at?: number;
}

/** What an affiliation carries besides its rank: why it was given (bans), the nick it reserves. */
export interface AffiliationNote {
  reason?: string;
  nick?: string;
}

export interface Room {
  /** Bare room JID, room@muc.example.org (localpart lowercased). */
  jid: string;
  config: RoomConfig;
  /** By nick key (nick.ts), each occupant once. */
  occupants: ReadonlyMap<string, Occupant>;
  /** Real full JID of every session → nick key of its occupant. */
  sessions: ReadonlyMap<string, string>;
  /** Real bare JID → affiliation; absent means none. */
  affiliations: ReadonlyMap<string, Affiliation>;
  /** Real bare JID → reason and reserved nick of its affiliation, where there are any. */
  affiliationNotes: ReadonlyMap<string, AffiliationNote>;
  subject?: Subject;
  history: readonly HistoryEntry[];
  /** Locked until the owner configures it (only when the service locks new rooms). */
  locked: boolean;
  /** XEP-0421: the secret occupant ids derive from, made when the room is created, kept with it. */
  salt: string;
  /** The room's vcard-temp (serialised) and the SHA-1 of its photo (room avatars). */
  vcard?: string;
  avatarHash?: string;
}

export function createRoom(jid: string, config: RoomConfig, salt = ""): Room {
  return { jid, config, occupants: new Map(), sessions: new Map(), affiliations: new Map(), affiliationNotes: new Map(), history: [], locked: false, salt };
}

export function occupantJid(room: Room, nick: string): string {
  return `${room.jid}/${nick}`;
}

export function bareOf(fullJid: string): string {
  const slash = fullJid.indexOf("/");
  return (slash === -1 ? fullJid : fullJid.slice(0, slash)).toLowerCase();
}

export function affiliationOf(room: Room, bareJid: string): Affiliation {
  return room.affiliations.get(bareJid) ?? "none";
}

/** The occupant a real full JID is in the room as, if any. */
export function occupantBySession(room: Room, realJid: string): Occupant | undefined {
  const key = room.sessions.get(realJid);
  return key === undefined ? undefined : room.occupants.get(key);
}

/** The occupant an account is in the room as, through any of its sessions. */
export function occupantByBareJid(room: Room, bareJid: string): Occupant | undefined {
  for (const occupant of room.occupants.values()) if (occupant.bareJid === bareJid) return occupant;
  return undefined;
}

/** The key an occupant is stored under, found through any of its sessions: O(1). */
export function occupantKey(room: Room, occupant: Occupant): string {
  return room.sessions.get(occupant.sessions[0]!.jid)!;
}

/** The session whose presence represents the occupant. */
export function primarySession(occupant: Occupant): Session {
  return occupant.sessions[occupant.sessions.length - 1]!;
}

/** A copy of `room` with the occupant stored under `key` replaced (or removed with undefined). */
export function withOccupant(room: Room, key: string, occupant: Occupant | undefined, previous?: Occupant): Room {
  const occupants = new Map(room.occupants);
  const sessions = new Map(room.sessions);
  const old = previous ?? room.occupants.get(key);
  if (old) for (const s of old.sessions) sessions.delete(s.jid);
  if (occupant) {
    occupants.set(key, occupant);
    for (const s of occupant.sessions) sessions.set(s.jid, key);
  } else occupants.delete(key);
  return { ...room, occupants, sessions };
}

/** Every session of every occupant: the recipients of a broadcast, O(occupants). */
export function* everySession(room: Room): Generator<[Occupant, Session]> {
  for (const occupant of room.occupants.values()) for (const session of occupant.sessions) yield [occupant, session];
}
