// The service's limits on what one account may make it do, as part of the pure
// core (the time is ctx.now; every bucket and counter lives in the state):
//
// - rates per occupant and room, as token buckets (Prosody's mod_muc_limits is
//   the model: a burst allowance and a sustained rate): groupchat messages,
//   private messages (and mediated invitations and declines, which make the room
//   send a message to someone), presence changes (joins included, so that leaving
//   and rejoining does not reset anything) and nick changes. Over the limit a
//   stanza is bounced with policy-violation, type wait, as Prosody bounces it,
//   and nobody else hears of it;
// - room creations per account per minute (a bucket too), rooms in memory, and
//   rooms one account is in at once: resource-constraint, type wait.
//
// Memory stays bounded without any sweep: a bucket that has been left alone for
// as long as it takes to refill is full, which is what an absent bucket means, so
// buckets live in two generations (the current window and the one before) and a
// whole generation is dropped, O(1), when a window has passed. The window is the
// longest refill time of any bucket. Rooms per account are counted exactly in a
// map with an entry only for accounts that are in some room, kept up to date
// wherever a room's occupants change (service.ts commitRoom), O(1) when they did
// not. Every map is a persistent one: a stanza costs O(1) in the number of rooms
// and of accounts.
import type { Context, ServiceConfig } from "./context.ts";
import { normalizeNick } from "./nick.ts";
import { emptyMap, type PersistentMap } from "./persistent-map.ts";
import { atLeastAffiliation } from "./roles.ts";
import { affiliationOf, bareOf, occupantByBareJid, occupantBySession, type Occupant, type Room } from "./room.ts";
import { errorReply, isError, NS, type Element } from "./stanza.ts";

export type RateKind = "groupchat" | "private" | "presence" | "nick" | "create";

export interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (ms since the epoch). */
  at: number;
}

export interface LimitsState {
  /** Buckets touched in the current window, and in the one before (older ones are full: forgotten). */
  current: PersistentMap<Bucket>;
  previous: PersistentMap<Bucket>;
  /** When the current window began. */
  since: number;
  /** Bare JID → rooms it is an occupant of (only accounts in at least one room). */
  userRooms: PersistentMap<number>;
}

export function initialLimits(): LimitsState {
  return { current: emptyMap(), previous: emptyMap(), since: Number.NEGATIVE_INFINITY, userRooms: emptyMap() };
}

/** A bucket's size and how fast it refills. */
export function rate(kind: RateKind, config: ServiceConfig): { burst: number; perMinute: number } {
  switch (kind) {
    case "groupchat":
      return { burst: config.groupchatBurst, perMinute: config.groupchatPerMinute };
    case "private":
      return { burst: config.privateBurst, perMinute: config.privatePerMinute };
    case "presence":
      return { burst: config.presenceBurst, perMinute: config.presencePerMinute };
    case "nick":
      return { burst: config.nickChangeBurst, perMinute: config.nickChangesPerMinute };
    case "create":
      return { burst: config.roomCreationsPerMinute, perMinute: config.roomCreationsPerMinute };
  }
}

const KINDS: readonly RateKind[] = ["groupchat", "private", "presence", "nick", "create"];

/** How long a generation of buckets lives: the longest time any bucket takes to refill from empty. */
export function windowMs(config: ServiceConfig): number {
  let known = windows.get(config);
  if (known === undefined) windows.set(config, (known = longestRefill(config)));
  return known;
}
/** windowMs per settings object (the shell passes the same one with every input; settings never change in place). */
const windows = new WeakMap<ServiceConfig, number>();

function longestRefill(config: ServiceConfig): number {
  let longest = 60_000;
  for (const kind of KINDS) {
    const { burst, perMinute } = rate(kind, config);
    longest = Math.max(longest, Math.ceil((burst * 60_000) / perMinute));
  }
  return longest;
}

/** The state with its generations moved on to `now`, if a window has passed. */
function rotate(limits: LimitsState, now: number, window: number): LimitsState {
  if (now - limits.since < window) return limits;
  const previous = now - limits.since < 2 * window ? limits.current : emptyMap<Bucket>();
  return { ...limits, current: emptyMap(), previous, since: now };
}

/**
 * Take `cost` tokens from the bucket `key` of `kind`: the new state, or
 * undefined when there are not enough (the bucket is then left as it was).
 */
export function take(limits: LimitsState, kind: RateKind, key: string, cost: number, ctx: Context): LimitsState | undefined {
  const { burst, perMinute } = rate(kind, ctx.config);
  const rotated = rotate(limits, ctx.now, windowMs(ctx.config));
  const id = `${kind}\n${key}`;
  const bucket = rotated.current.get(id) ?? rotated.previous.get(id);
  // A clock that went backwards refills nothing, and takes nothing back.
  const elapsed = bucket ? Math.max(0, ctx.now - bucket.at) : 0;
  const tokens = bucket ? Math.min(burst, bucket.tokens + (elapsed * perMinute) / 60_000) : burst;
  if (tokens < cost) return undefined;
  return { ...rotated, current: rotated.current.set(id, { tokens: tokens - cost, at: Math.max(ctx.now, bucket?.at ?? ctx.now) }) };
}

/** Whether this account is exempt from rate limits in `room` (by its affiliation there, or as a service admin). */
export function isExempt(room: Room | undefined, bareJid: string, config: ServiceConfig): boolean {
  if (config.rateExempt === "none") return false;
  if (config.admins.includes(bareJid)) return true;
  return room !== undefined && atLeastAffiliation(affiliationOf(room, bareJid), config.rateExempt);
}

const TOO_FAST: Record<Exclude<RateKind, "create">, string> = {
  groupchat: "You are sending messages too fast; please wait a moment",
  private: "You are sending private messages or invitations too fast; please wait a moment",
  presence: "You are changing your presence too often; please wait a moment",
  nick: "You are changing your nickname too often; please wait a moment",
};

/** `limits`: the state with the stanza paid for, which the caller keeps only if the stanza made the room act. */
export type Admission = { ok: true; limits: LimitsState } | { ok: false; out: Element[] };

/**
 * Whether a stanza to `room` (undefined: the room does not exist, and a join
 * would create it) may go on, and the limits state once it is paid for.
 * `roomCount` is how many rooms are in memory. Errors are never limited (nor
 * answered), and neither is leaving.
 */
export function admit(limits: LimitsState, roomCount: number, room: Room | undefined, roomJid: string, stanza: Element, toOccupant: boolean, ctx: Context): Admission {
  if (isError(stanza)) return { ok: true, limits };
  const realJid = stanza.attrs.from as string;
  const bare = bareOf(realJid);
  const exempt = isExempt(room, bare, ctx.config);
  const key = `${roomJid}\n${bare}`;
  const spend = (kind: Exclude<RateKind, "create">, cost = 1): Admission => {
    if (exempt) return { ok: true, limits };
    const next = take(limits, kind, key, cost, ctx);
    return next ? { ok: true, limits: next } : { ok: false, out: errorReply(stanza, "policy-violation", TOO_FAST[kind], { type: "wait", by: roomJid }) };
  };

  if (stanza.name === "presence") {
    if (!toOccupant || stanza.attrs.type !== undefined) return { ok: true, limits };
    const self = room && occupantBySession(room, realJid);
    if (self) {
      const wanted = normalizeNick(splitResource(stanza.attrs.to as string), ctx.config.maxNickLength);
      return spend(wanted.ok && wanted.nick === self.nick ? "presence" : "nick");
    }
    // A join: a new room, a new occupant, or another session of one.
    if (!room) {
      if (roomCount >= ctx.config.maxRooms)
        return { ok: false, out: errorReply(stanza, "resource-constraint", "The service has too many rooms; please try again later", { type: "wait" }) };
      if (!exempt) {
        const next = take(limits, "create", bare, 1, ctx);
        if (!next) return { ok: false, out: errorReply(stanza, "policy-violation", "You are creating rooms too fast; please wait a moment", { type: "wait" }) };
        limits = next;
      }
    }
    if ((limits.userRooms.get(bare) ?? 0) >= ctx.config.maxRoomsPerUser && !(room && occupantByBareJid(room, bare)))
      return { ok: false, out: errorReply(stanza, "resource-constraint", `You are in ${ctx.config.maxRoomsPerUser} rooms already; leave one first`, { type: "wait", by: roomJid }) };
    return spend("presence");
  }

  if (stanza.name === "message" && room) {
    const x = stanza.getChild("x", NS.mucUser);
    if (!toOccupant && stanza.attrs.type !== "groupchat" && x && (x.getChild("invite") || x.getChild("decline"))) {
      // The room sends one message per invitee (or decline), to anyone named: occupant or not, the sender pays.
      return spend("private", Math.max(1, x.getChildren("invite").length + x.getChildren("decline").length));
    }
    if (!room.sessions.has(realJid)) return { ok: true, limits }; // refused by the room anyway, at no cost
    if (!toOccupant) return stanza.attrs.type === "groupchat" ? spend("groupchat") : { ok: true, limits };
    return spend("private");
  }
  return { ok: true, limits };
}

function splitResource(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? "" : jid.slice(slash + 1);
}

/**
 * The per-account room counts after a room went from `before` to `after`
 * (undefined: it does not exist). O(1) when its occupants did not change, and
 * O(its occupants) when they did (the reducer that changed them paid as much).
 */
export function countRooms(limits: LimitsState, before: Room | undefined, after: Room | undefined): LimitsState {
  const was = before?.occupants;
  const is = after?.occupants;
  if (was === is) return limits;
  // Accounts in the room after and not before, and the other way round. An occupant under the
  // same key with the same account is no change; only the few others are looked for by account.
  const empty = new Map<string, Occupant>();
  const before_ = was ?? empty;
  const after_ = is ?? empty;
  const maybeAdded: string[] = [];
  const maybeRemoved: string[] = [];
  for (const [key, o] of after_) if (before_.get(key)?.bareJid !== o.bareJid) maybeAdded.push(o.bareJid);
  for (const [key, o] of before_) if (after_.get(key)?.bareJid !== o.bareJid) maybeRemoved.push(o.bareJid);
  if (maybeAdded.length === 0 && maybeRemoved.length === 0) return limits;
  const holds = (occupants: ReadonlyMap<string, Occupant>, bare: string) => {
    for (const o of occupants.values()) if (o.bareJid === bare) return true;
    return false;
  };
  let userRooms = limits.userRooms;
  for (const bare of new Set(maybeRemoved))
    if (!holds(after_, bare)) {
      const n = (userRooms.get(bare) ?? 1) - 1;
      userRooms = n > 0 ? userRooms.set(bare, n) : userRooms.delete(bare);
    }
  for (const bare of new Set(maybeAdded)) if (!holds(before_, bare)) userRooms = userRooms.set(bare, (userRooms.get(bare) ?? 0) + 1);
  return userRooms === limits.userRooms ? limits : { ...limits, userRooms };
}
