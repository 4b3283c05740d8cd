// The core's storage boundary, as data. The core never calls storage: it
// returns *writes* (carried out by the shell in one transaction per batch,
// committed before any stanza of that batch leaves the process) and *reads*
// (requests whose answer the shell feeds back as an input, {kind: "read"}).
// Because both directions are plain values, a store may be synchronous
// (SQLite in lib/shell/sqlite.ts) or asynchronous (a database server) without
// any change here, and the same input log gives the same outputs, writes included.
//
// This file also says what a stored room looks like and converts between the
// Room value and that record; everything here is pure.
import type { HistoryEntry } from "./history.ts";
import type { Affiliation } from "./roles.ts";
import type { AffiliationNote, Occupant, Room, RoomConfig, Subject } from "./room.ts";
import { canonicalBare } from "./jid.ts";
import { occupantIdOf } from "./occupant-id.ts";
import { sessionOf } from "./presence.ts";
import { parseXml, type Element } from "./stanza.ts";

/** A persistent room as stored: everything but its occupants and history. */
export interface StoredRoom {
  jid: string;
  config: RoomConfig;
  /** [bare JID, affiliation, reason?, reserved nick?] */
  affiliations: [string, Affiliation, string?, string?][];
  subject?: Subject;
  /** XEP-0421: the secret the room's occupant ids derive from. */
  salt: string;
  /** The room's vcard-temp, serialised, and the SHA-1 of its photo. */
  vcard?: string;
  avatarHash?: string;
}

/** An occupant as stored, so that a later version can restore it after a restart. */
export interface StoredOccupant {
  nick: string;
  bareJid: string;
  role: Occupant["role"];
  sessions: { jid: string; presence: string }[];
}

/** One archived groupchat message (XEP-0313), as the store returns it. */
export interface ArchivedMessage {
  /** The XEP-0359 stanza-id, also the MAM result id. */
  id: string;
  /** When the room received it, ms since the epoch. */
  at: number;
  /** The reflected message, from the occupant JID, without `to`; a tombstone once retracted. */
  stanza: string;
  /** The sender's nick key (nick.ts), what a query "with" an occupant JID matches. */
  nick: string;
  occupantId: string;
  /** The sender's real bare JID: kept for moderation, never sent where whois hides it. */
  sender: string;
  retracted: boolean;
}

/** What the shell must make durable, in order, in one transaction per batch. */
export type Write =
  | { op: "save-room"; room: StoredRoom }
  /** The room stops being persistent (or ends): its record and stored occupants go; keep the archive unless `archive`. */
  | { op: "delete-room"; jid: string; archive: boolean }
  | { op: "save-occupant"; room: string; key: string; occupant: StoredOccupant }
  | { op: "delete-occupant"; room: string; key: string }
  | { op: "delete-occupants"; room: string }
  /** Append to the room's archive, then drop its oldest entries beyond `cap`. */
  | { op: "archive"; room: string; message: ArchivedMessage; cap: number }
  /** Replace an archived message's content with a tombstone (XEP-0425). */
  | { op: "retract"; room: string; id: string; tombstone: string }
  /** Drop archived messages received before `before` (retention). */
  | { op: "expire"; before: number };

/** A MAM query as the store runs it (XEP-0313 §4 with XEP-0059 paging). */
export interface ArchiveQuery {
  room: string;
  start?: number;
  end?: number;
  /** Only messages from this nick (the `with` field, an occupant JID). */
  nick?: string;
  /** RSM cursors: strictly after / strictly before this id ("" before = from the end). */
  after?: string;
  before?: string;
  /** urn:xmpp:mam:2#extended range limits (exclusive) and id list. */
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  /** At most this many rows, walking backwards when `backwards`; rows come oldest first. */
  limit: number;
  backwards: boolean;
}

export interface ArchivePage {
  rows: ArchivedMessage[];
  /** Messages matching the filter, ignoring the cursor. */
  count: number;
  /** A cursor or id limit named an id the room's archive does not have. */
  unknownId: boolean;
}

/** A room in the directory (service disco#items). */
export interface DirectoryEntry {
  jid: string;
  name: string;
}

/** A stored room as the admin commands list it (cluster.ts). */
export interface ListedRoom {
  jid: string;
  name: string;
  /** Occupants stored for it. */
  occupants: number;
}

/** What the core asks the shell to read; the answer comes back as {kind: "read", read, result}. */
export type Read =
  | { op: "load-room"; jid: string; history: number }
  | { op: "archive-query"; query: ArchiveQuery; stanza: Element }
  | { op: "archive-lookup"; room: string; id: string; stanza: Element }
  | { op: "archive-metadata"; room: string; stanza: Element }
  | { op: "directory"; after?: string; limit: number; stanza: Element }
  /** Every stored room (at most `limit`, in JID order), for an admin command (`stanza`) with several processes. */
  | { op: "room-list"; limit: number; stanza: Element };

export interface LoadedRoom {
  room: StoredRoom;
  /** The newest archived messages, oldest first (join history after a restart). */
  history: ArchivedMessage[];
  occupants: { key: string; occupant: StoredOccupant }[];
}

export type ReadResult<R extends Read> = R extends { op: "load-room" }
  ? LoadedRoom | null
  : R extends { op: "archive-query" }
    ? ArchivePage
    : R extends { op: "archive-lookup" }
      ? ArchivedMessage | null
      : R extends { op: "archive-metadata" }
        ? { first?: ArchivedMessage; last?: ArchivedMessage }
        : R extends { op: "directory" }
          ? { rooms: DirectoryEntry[] }
          : R extends { op: "room-list" }
            ? { rooms: ListedRoom[] }
            : never;

/** A read with its answer, as it comes back into the core. */
export type Answered = { [K in Read["op"]]: { read: Extract<Read, { op: K }>; result: ReadResult<Extract<Read, { op: K }>> } }[Read["op"]];

/**
 * What a store does; synchronous or asynchronous, the core does not care.
 * `write` applies writes inside the batch's transaction (reads after it see
 * them); `flush` commits that transaction: the shell sends a batch's stanzas
 * only once it has returned (or resolved).
 */
export interface Store {
  read<R extends Read>(read: R): ReadResult<R> | Promise<ReadResult<R>>;
  write(writes: readonly Write[]): void | Promise<void>;
  flush(): void | Promise<void>;
  close(): void | Promise<void>;
  /** Whether the store takes writes now (a real write that changes nothing): undefined, or why not. For /health. */
  probe?(): string | undefined | Promise<string | undefined>;
}

// ---- Room ⇄ record ----

export function toStoredRoom(room: Room): StoredRoom {
  return {
    jid: room.jid,
    config: room.config,
    affiliations: [...room.affiliations].map(([jid, affiliation]) => {
      const note = room.affiliationNotes.get(jid);
      return note?.nick !== undefined ? [jid, affiliation, note.reason ?? "", note.nick] : note?.reason ? [jid, affiliation, note.reason] : [jid, affiliation];
    }),
    ...(room.subject ? { subject: room.subject } : {}),
    salt: room.salt,
    ...(room.vcard ? { vcard: room.vcard, avatarHash: room.avatarHash } : {}),
  };
}

export function toStoredOccupant(occupant: Occupant): StoredOccupant {
  return {
    nick: occupant.nick,
    bareJid: occupant.bareJid,
    role: occupant.role,
    sessions: occupant.sessions.map((s) => ({ jid: s.jid, presence: s.presence.toString() })),
  };
}

/** A history entry from an archived message. */
export function historyEntry(message: ArchivedMessage): HistoryEntry {
  return { stanza: parseXml(message.stanza), at: message.at, chars: message.stanza.length, id: message.id };
}

/** The Room a stored record describes, with the occupants it had (verify.ts then checks their sessions). */
export function fromStoredRoom(loaded: LoadedRoom, defaults: RoomConfig): Room {
  const { room } = loaded;
  const { affiliations, notes } = preparedAffiliations(room.affiliations);
  const occupants = new Map<string, Occupant>();
  const sessions = new Map<string, string>();
  for (const { key, occupant } of loaded.occupants) {
    if (occupant.sessions.length === 0) continue;
    occupants.set(key, {
      nick: occupant.nick,
      bareJid: occupant.bareJid,
      occupantId: occupantIdOf(room.salt, occupant.bareJid),
      role: occupant.role,
      // A record written before sessions were kept slim may hold the join's password: dropped here.
      sessions: occupant.sessions.map((s) => sessionOf(s.jid, parseXml(s.presence))),
    });
    for (const s of occupant.sessions) sessions.set(s.jid, key);
  }
  return {
    jid: room.jid,
    // A record written by an older version lacks newer fields: they take their defaults.
    config: { ...defaults, ...room.config },
    occupants,
    sessions,
    affiliations,
    affiliationNotes: notes,
    ...(room.subject ? { subject: room.subject } : {}),
    history: loaded.history.filter((m) => !m.retracted).map(historyEntry),
    locked: false,
    salt: room.salt,
    ...(room.vcard ? { vcard: room.vcard, avatarHash: room.avatarHash } : {}),
  };
}

/**
 * Stored affiliations, their JIDs prepared (RFC 7622, jid.ts) as every JID the service takes now
 * is: a record written by an older version may hold `Benvolio@Example.org` or a fullwidth
 * spelling, which must still match the account it names. Two entries that prepare to the same
 * JID are one: a ban wins (it must hold), otherwise the higher affiliation; a JID that does not
 * prepare is kept as it is (it can match nobody, and its owner still sees it in the list).
 */
function preparedAffiliations(stored: StoredRoom["affiliations"]): { affiliations: Map<string, Affiliation>; notes: Map<string, AffiliationNote> } {
  const rank: Record<Affiliation, number> = { outcast: 5, owner: 4, admin: 3, member: 2, none: 1 };
  const affiliations = new Map<string, Affiliation>();
  const notes = new Map<string, AffiliationNote>();
  for (const [raw, affiliation, reason, nick] of stored) {
    const jid = canonicalBare(raw) ?? raw;
    const before = affiliations.get(jid);
    if (before !== undefined && rank[before] >= rank[affiliation]) continue;
    affiliations.set(jid, affiliation);
    if (reason || nick !== undefined) notes.set(jid, { ...(reason ? { reason } : {}), ...(nick !== undefined ? { nick } : {}) });
    else notes.delete(jid);
  }
  return { affiliations, notes };
}

/** Whether what a room stores (everything but occupants and history) differs between two versions of it. */
export function recordChanged(before: Room, after: Room): boolean {
  return (
    before.config !== after.config ||
    before.affiliations !== after.affiliations ||
    before.affiliationNotes !== after.affiliationNotes ||
    before.subject !== after.subject ||
    before.vcard !== after.vcard ||
    before.salt !== after.salt
  );
}

/**
 * The writes that make storage follow a room from `before` to `after`
 * (undefined: the room does not exist). A room is stored while it is persistent or
 * has occupants (so that a restart restores a temporary room's occupants too); a
 * room that ends takes its archive with it. O(occupants) when the occupants
 * changed, O(1) otherwise.
 */
export function roomWrites(before: Room | undefined, after: Room | undefined): Write[] {
  if (!after) return before ? [{ op: "delete-room", jid: before.jid, archive: true }] : [];
  const stored = (room: Room | undefined) => room !== undefined && (room.config.persistent || room.occupants.size > 0);
  if (!stored(after)) return stored(before) ? [{ op: "delete-room", jid: after.jid, archive: false }] : [];
  const wasStored = stored(before);
  const writes: Write[] = [];
  if (!wasStored || recordChanged(before!, after)) writes.push({ op: "save-room", room: toStoredRoom(after) });
  if (wasStored && before!.occupants === after.occupants) return writes;
  const previous = wasStored ? before!.occupants : new Map<string, Occupant>();
  for (const [key, occupant] of after.occupants)
    if (previous.get(key) !== occupant) writes.push({ op: "save-occupant", room: after.jid, key, occupant: toStoredOccupant(occupant) });
  for (const key of previous.keys()) if (!after.occupants.has(key)) writes.push({ op: "delete-occupant", room: after.jid, key });
  return writes;
}
