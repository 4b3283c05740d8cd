// The core's single entry point: (state, input, context) → [state, stanzas, effects].
// It routes each stanza by its `to` (RFC 6120 §10, XEP-0045 §4.2):
//   muc.example.org              → the service itself (disco, ping, version)
//   room@muc.example.org         → the room (groupchat, disco, admin, MAM)
//   room@muc.example.org/nick    → an occupant (join, leave, nick change, PM, IQ)
// Only the addressed room is read and replaced: O(1) in the number of rooms.
//
// Storage (lib/storage.ts) is data in both directions: a stanza for a room that
// is not in memory is held while the room is read ({op: "load-room"}), and
// handled when the answer comes back as an input; every change to a room leaves
// as writes next to the stanzas, which the shell commits before sending them.
import { adminCommand, commandItems, needsRoomList } from "./admin-commands.ts";
import { serviceRequest, type ServiceRequest } from "./cluster.ts";
import { getList } from "./affiliations.ts";
import { archiveRead, archiveRequest, expiry } from "./mam.ts";
import { bounce } from "./bounce.ts";
import type { Context } from "./context.ts";
import { roomInfo, roomItems, serviceInfo, serviceItems, directoryPage, serviceVersion } from "./disco.ts";
import { groupchat } from "./groupchat.ts";
import { answeringOccupant, forwardRequest, forwardResponse } from "./iq-forward.ts";
import { invite, isInvitation } from "./invite.ts";
import { addressing } from "./jid.ts";
import { join, welcome } from "./join.ts";
import { removeSession, shutdownRoom } from "./leave.ts";
import { admit, countRooms, initialLimits, type LimitsState } from "./limits.ts";
import { adminSet } from "./moderation.ts";
import { moderateRequest, moderateRead } from "./moderate.ts";
import { ownerQuery } from "./room-config.ts";
import { changeNick } from "./nick-change.ts";
import { nickKey, normalizeNick } from "./nick.ts";
import { emptyMap, type PersistentMap } from "./persistent-map.ts";
import { presenceOf, sessionOf } from "./presence.ts";
import { updatePresence } from "./presence-update.ts";
import { privateMessage } from "./private-message.ts";
import { defaultRoomConfig } from "./room-features.ts";
import { affiliationOf, bareOf, occupantBySession, withOccupant, type Room } from "./room.ts";
import { avatarQuery } from "./room-avatar.ts";
import { probeAbsent } from "./offline-members.ts";
import { registerQuery, reservedNickInfo } from "./register.ts";
import { isVoiceRequest, voiceRequest } from "./room-features/voice-requests.ts";
import { fromStoredRoom, roomWrites, type Answered, type ListedRoom, type Read, type Write } from "./storage.ts";
import { serialisedLength } from "./serialise.ts";
import { enqueue, forget, initialVerify, PREFIX as VERIFY_PREFIX, sessionsOf, verifyAnswer, verifyTick, type VerifyState } from "./verify.ts";
import { attrOf, errorReply, iqPayload, iqResult, isError, NS, type Element } from "./stanza.ts";

export interface ServiceState {
  /** The rooms in memory, by bare room JID. */
  rooms: PersistentMap<Room>;
  /** Rooms being read from storage → the stanzas waiting for them, in arrival order. */
  loading: PersistentMap<readonly Element[]>;
  /** Empty persistent rooms still in memory, the longest idle first (at most config.roomCacheSize). */
  idle: readonly string[];
  /** Rate-limit buckets and per-account room counts (limits.ts). */
  limits: LimitsState;
  /** Sessions being checked after a restart or a reconnect (verify.ts). */
  verify: VerifyState;
  /** When archive retention last ran. */
  housekeptAt: number;
}

export type Input =
  | { kind: "stanza"; stanza: Element }
  | { kind: "shutdown" }
  /** The answer to a read the core asked for. */
  | ({ kind: "read" } & Answered)
  /** The shell's clock, every second: session checks (verify.ts), hourly archive retention. */
  | { kind: "tick" }
  /** The component connection went down, or came back after being down (not the first time). */
  | { kind: "connection"; online: boolean }
  /** The answer to a read made the core throw (a bug, a corrupt record): what waited for it is answered with an error. */
  | { kind: "read-failed"; read: Read };

/** What the shell carries out: writes (committed before the stanzas leave) and reads (answered as inputs). */
export type Effect = Write | Read;

export type Output = Element[];

export type Result = [ServiceState, Output, Effect[]];

const READS = new Set<string>(["load-room", "archive-query", "archive-lookup", "archive-metadata", "directory", "room-list"]);
export function isRead(effect: Effect): effect is Read {
  return READS.has(effect.op);
}

export function initialState(): ServiceState {
  return { rooms: emptyMap(), loading: emptyMap(), idle: [], limits: initialLimits(), verify: initialVerify(), housekeptAt: 0 };
}

export function handle(state: ServiceState, input: Input, ctx: Context): Result {
  switch (input.kind) {
    case "shutdown":
      return shutdown(state);
    case "tick":
      return tick(state, ctx);
    case "connection":
      return connection(state, input.online, ctx);
    case "read":
      return answered(state, input, ctx);
    case "read-failed":
      return readFailed(state, input.read);
    default:
      return route(state, input.stanza, ctx, false);
  }
}

/**
 * XEP-0045 §… service shutdown, when the operator asks for it (MUC_ON_STOP=leave): every
 * session is told (332); temporary rooms end; persistent ones stay stored, without occupants.
 * (By default the service stops without a word and restores its occupants when it starts.)
 */
function shutdown(state: ServiceState): Result {
  const out: Element[] = [];
  const effects: Effect[] = [];
  for (const room of state.rooms.values()) {
    out.push(...shutdownRoom(room));
    if (!room.config.persistent) effects.push({ op: "delete-room", jid: room.jid, archive: true });
    else if (room.occupants.size > 0) effects.push({ op: "delete-occupants", room: room.jid });
  }
  return [initialState(), out, effects];
}

const HOUR = 3_600_000;

/** The shell's clock: archive retention once an hour, and the next session checks (verify.ts). */
function tick(state: ServiceState, ctx: Context): Result {
  const housekeeping = ctx.now - state.housekeptAt >= HOUR;
  const step = verifyTick(state.verify, state.rooms, ctx);
  const [next, out, effects] = applyStep({ ...state, housekeptAt: housekeeping ? ctx.now : state.housekeptAt }, step, ctx);
  return [next, out, [...(housekeeping ? expiry(ctx) : []), ...effects]];
}

/**
 * Down: nothing sent can be answered, so checks start again when the connection is back; then every session is checked.
 * With several processes, the server may now give this one other rooms: it forgets them all and reads each again when addressed (cluster.ts).
 */
function connection(state: ServiceState, online: boolean, ctx: Context): Result {
  if (!online) return [{ ...state, verify: forget() }, [], []];
  if (ctx.config.cluster) return [{ ...initialState(), loading: state.loading, housekeptAt: state.housekeptAt }, [], []];
  let verify = forget();
  for (const room of state.rooms.values()) verify = enqueue(verify, sessionsOf(room));
  return [{ ...state, verify }, [], []];
}

/** Put the outcome of session checks into the state: removed sessions leave their rooms, and storage follows. */
function applyStep(state: ServiceState, step: ReturnType<typeof verifyTick>, ctx: Context): Result {
  let next: ServiceState = { ...state, verify: step.verify, rooms: step.rooms };
  const effects: Effect[] = [];
  for (const [jid, [before, after]] of step.changed) {
    effects.push(...roomWrites(before, after));
    next = trackIdle({ ...next, limits: countRooms(next.limits, before, after) }, jid, after, ctx);
  }
  return [next, step.out, effects];
}

/** The answer to a read: a room arrives from storage, or an archive or directory query has its rows. */
function answered(state: ServiceState, input: Answered, ctx: Context): Result {
  if (input.read.op === "load-room") return roomLoaded(state, input.read.jid, input.result as Extract<Answered, { read: { op: "load-room" } }>["result"], ctx);
  if (input.read.op === "directory") return [state, directoryPage(input.read, input.result as { rooms: { jid: string; name: string }[] }, state.rooms), []];
  if (input.read.op === "room-list") return command(state, input.read.stanza, ctx, (input.result as { rooms: ListedRoom[] }).rooms);
  const jid = input.read.op === "archive-query" ? input.read.query.room : input.read.room;
  const room = state.rooms.get(jid);
  if (input.read.op === "archive-lookup") {
    const [next, out, writes] = moderateRead(room, input.read, input.result as never, ctx);
    return commitRoom(state, jid, room, next, out, writes, ctx);
  }
  return [state, archiveRead(room, input as never, ctx), []];
}

/**
 * A read whose answer could not be handled: the stanzas waiting for it get
 * internal-server-error, and a room that could not be loaded is no longer
 * waited for, so the next stanza for it asks storage again.
 */
function readFailed(state: ServiceState, read: Read): Result {
  if (read.op !== "load-room") return [state, "stanza" in read && read.stanza.attrs.type !== "result" ? errorReply(read.stanza, "internal-server-error") : [], []];
  const waiting = state.loading.get(read.jid) ?? [];
  const out = waiting.flatMap((s) => (s.attrs.type === "result" ? [] : errorReply(s, "internal-server-error", "The room could not be read; try again later")));
  return [{ ...state, loading: state.loading.delete(read.jid) }, out, []];
}

function roomLoaded(state: ServiceState, jid: string, loaded: Extract<Answered, { read: { op: "load-room" } }>["result"], ctx: Context): Result {
  const waiting = state.loading.get(jid) ?? [];
  let next: ServiceState = { ...state, loading: state.loading.delete(jid) };
  const effects: Effect[] = [];
  if (loaded && !next.rooms.get(jid)) {
    const room = fromStoredRoom(loaded, defaultRoomConfig(ctx));
    const trimmed = { ...room, history: room.history.slice(Math.max(0, room.history.length - room.config.historyLength)) };
    next = trackIdle({ ...next, rooms: next.rooms.set(jid, trimmed), limits: countRooms(next.limits, undefined, trimmed) }, jid, trimmed, ctx);
    // Occupants of before a restart come back as they were, and each session is checked (verify.ts):
    // a client that stayed connected notices nothing; one that is gone leaves with 333.
    next = { ...next, verify: enqueue(next.verify, sessionsOf(trimmed)) };
  }
  const out: Element[] = [];
  for (const [i, stanza] of waiting.entries()) {
    // Each waiting stanza is handled as if it had just arrived: with a nonce of its own (stanza-ids
    // derive from it), made from this input's ("." never appears in the shell's nonces).
    const [after, stanzas, more] = route(next, stanza, i === 0 ? ctx : { ...ctx, nonce: `${ctx.nonce}.${i}` }, true);
    next = after;
    out.push(...stanzas);
    effects.push(...more);
  }
  return [next, out, effects];
}

/** `known`: storage has been asked about this room already (it is absent if not in memory). */
function route(state: ServiceState, input: Element, ctx: Context, known: boolean): Result {
  const { from, to } = input.attrs as { from?: string; to?: string };
  if (!from || !to || !["message", "presence", "iq"].includes(input.name)) return [state, [], []];
  // Addresses are compared, and answered from, in their canonical form (RFC 7622, jid.ts).
  const address = addressing(input, ctx.config.domain);
  if (!address.ok) {
    const request = address.reason === "bad-from" ? serviceRequest(input, ctx) : undefined;
    if (request) return fromService(state, input, request, ctx, known);
    if (address.reason !== "bad-room") return [state, [], []]; // not ours, or nobody to answer
    return [state, errorReply(address.stanza, "jid-malformed", "Invalid room name"), []];
  }
  const { stanza, local, resource: nick } = address;
  if (stanza.name === "iq" && !["get", "set", "result", "error"].includes(stanza.attrs.type)) return [state, errorReply(stanza, "bad-request"), []];
  if (serialisedLength(stanza, ctx.config.maxStanzaChars) > ctx.config.maxStanzaChars)
    return [state, errorReply(stanza, "policy-violation", `Stanzas are limited to ${ctx.config.maxStanzaChars} characters`), []];
  if (!local && nick) return [state, stanza.name === "iq" && ["get", "set"].includes(stanza.attrs.type) ? errorReply(stanza, "service-unavailable") : [], []];
  if (!local) return toService(state, stanza, ctx);
  const bare = `${local}@${ctx.config.domain}`;
  const resource = nick ?? "";

  if (stanza.name === "iq" && !nick && (stanza.attrs.type === "result" || stanza.attrs.type === "error") && String(stanza.attrs.id ?? "").startsWith(VERIFY_PREFIX))
    return applyStep(state, verifyAnswer(state.verify, state.rooms, stanza, ctx), ctx);

  const room = state.rooms.get(bare);
  if (!room && !known) {
    if (isError(stanza)) return [state, [], []]; // a room not in memory has no sessions to bounce
    return loadFirst(state, bare, stanza, ctx);
  }
  const occupantAddressed = resource !== "" || (stanza.name === "presence" && nick !== undefined);
  // Rates and quotas (limits.ts): a stanza over a limit is bounced, and the room never sees it.
  const admission = admit(state.limits, state.rooms.size, room, bare, stanza, occupantAddressed, ctx);
  if (!admission.ok) return [state, admission.out, []];
  const [next, out, effects = []] = occupantAddressed
    ? toOccupant(room, stanza, resource, ctx)
    : toRoom(room, stanza, ctx);
  // The sender pays for what the room does on its behalf; a refusal (errors back to it only) is free.
  const acted = admission.limits !== state.limits && (next !== room || out.some((s) => attrOf(s, "type") !== "error"));
  return commitRoom(acted ? { ...state, limits: admission.limits } : state, bare, room, next, out, effects, ctx);
}

/**
 * Hold `stanza` while `jid` is read from storage (asking for it unless a read is under way); it is routed again once the room is in.
 * At most maxWaitingStanzas wait per room, and at most maxLoadingRooms rooms are read at once (so at most their
 * product in all, however slow storage is). Beyond, resource-constraint (wait); never to a result, nor to another
 * process of this service (errors are not held at all).
 */
function loadFirst(state: ServiceState, jid: string, stanza: Element, ctx: Context): Result {
  const waiting = state.loading.get(jid);
  const full = waiting ? waiting.length >= ctx.config.maxWaitingStanzas : state.loading.size >= ctx.config.maxLoadingRooms;
  if (full) {
    if (stanza.attrs.type === "result" || stanza.attrs.from === ctx.config.domain) return [state, [], []];
    return [state, errorReply(stanza, "resource-constraint", waiting ? "The room is being loaded; try again" : "Too many rooms are being loaded; try again"), []];
  }
  const loading = state.loading.set(jid, [...(waiting ?? []), stanza]);
  return [{ ...state, loading }, [], waiting ? [] : [{ op: "load-room", jid, history: ctx.config.maxHistoryLength }]];
}

/** A request from another process of this service to one of its rooms (cluster.ts); a room that does not exist has nothing to do, and nobody is answered. */
function fromService(state: ServiceState, stanza: Element, request: ServiceRequest, ctx: Context, known: boolean): Result {
  const room = state.rooms.get(request.room);
  if (!room && !known) return loadFirst(state, request.room, stanza, ctx);
  if (!room) return [state, [], []];
  const [next, out] = request.apply(room);
  return commitRoom(state, request.room, room, next, out, [], ctx);
}

/** Put a reducer's new room into the state, with the writes that make storage follow it. */
function commitRoom(state: ServiceState, jid: string, room: Room | undefined, next: Room | undefined, out: Output, effects: Effect[], ctx: Context): Result {
  if (next === room) return [state, out, effects];
  const writes: Effect[] = roomWrites(room, next);
  const rooms = next ? state.rooms.set(jid, next) : state.rooms.delete(jid);
  const limits = countRooms(state.limits, room, next);
  // A new room starts with an empty archive, even if an earlier room of that name left one behind.
  if (!room && next) writes.unshift({ op: "delete-room", jid, archive: true });
  return [trackIdle({ ...state, rooms, limits }, jid, next, ctx), out, [...writes, ...effects]];
}

/**
 * Keep at most roomCacheSize empty persistent rooms in memory besides the one
 * just handled (which stays until another room goes idle); the longest idle
 * leaves first. They are stored already: each is read again when next addressed.
 */
function trackIdle(state: ServiceState, jid: string, room: Room | undefined, ctx: Context): ServiceState {
  const idleNow = room !== undefined && room.config.persistent && room.occupants.size === 0;
  const listed = state.idle.includes(jid); // O(roomCacheSize), a constant
  if (idleNow === listed) return state;
  if (!idleNow) return { ...state, idle: state.idle.filter((j) => j !== jid) };
  let idle = state.idle;
  let rooms = state.rooms;
  while (idle.length > ctx.config.roomCacheSize) {
    rooms = rooms.delete(idle[0]!);
    idle = idle.slice(1);
  }
  return { ...state, rooms, idle: [...idle, jid] };
}

/** Stanzas to the service's own domain. */
function toService(state: ServiceState, stanza: Element, ctx: Context): Result {
  if (stanza.name === "message") return [state, errorReply(stanza, "service-unavailable", "This is a group chat service; join a room to talk"), []];
  if (stanza.name !== "iq" || (stanza.attrs.type !== "get" && stanza.attrs.type !== "set")) return [state, [], []];
  const payload = iqPayload(stanza);
  const get = stanza.attrs.type === "get";
  if (get && payload?.is("query", NS.discoInfo)) return [state, serviceInfo(stanza, ctx), []];
  if (get && payload?.is("query", NS.discoItems) && payload.attrs.node === NS.commands) return [state, commandItems(stanza, ctx), []];
  if (get && payload?.is("query", NS.discoItems)) {
    const [out, reads] = serviceItems(stanza, ctx);
    return [state, out, reads];
  }
  if (!get && payload?.is("command", NS.commands)) {
    if (needsRoomList(stanza, ctx)) return [state, [], [{ op: "room-list", limit: ctx.config.maxRooms, stanza }]];
    return command(state, stanza, ctx);
  }
  if (get && payload?.is("ping", NS.ping)) return [state, [iqResult(stanza)], []];
  if (get && payload?.is("query", NS.version)) return [state, serviceVersion(stanza), []];
  return [state, errorReply(stanza, "service-unavailable"), []];
}

/** An admin command (admin-commands.ts); `listed`: every stored room, with several processes. */
function command(state: ServiceState, stanza: Element, ctx: Context, listed?: ListedRoom[]): Result {
  {
    const { rooms, out, writes } = adminCommand(state.rooms, stanza, ctx, listed);
    if (rooms === state.rooms) return [state, out, writes];
    // Destroyed rooms leave the idle list, and their occupants' room counts (limits.ts).
    let limits = state.limits;
    for (const write of writes) if (write.op === "delete-room") limits = countRooms(limits, state.rooms.get(write.jid), undefined);
    const idle = state.idle.filter((jid) => rooms.get(jid) !== undefined);
    return [{ ...state, rooms, idle, limits }, out, writes];
  }
}

type Reduced = [Room | undefined, Output, Effect[]?];

/** Stanzas to room@domain. */
function toRoom(room: Room | undefined, stanza: Element, ctx: Context): Reduced {
  const realJid = stanza.attrs.from as string;
  if (isError(stanza)) return room && stanza.name !== "iq" && room.sessions.has(realJid) ? bounce(room, stanza) : [room, []];
  if (stanza.name === "presence") {
    // Leaving by an unavailable presence to the bare room JID works too (Prosody accepts it).
    if (stanza.attrs.type === "unavailable") return room?.sessions.has(realJid) ? removeSession(room, realJid, { presence: stanza }) : [room, []];
    return [room, stanza.attrs.type === undefined ? errorReply(stanza, "jid-malformed", "A nickname is required: join room@service/nick") : []];
  }
  if (stanza.name === "iq" && stanza.attrs.type === "result") return [room, []];
  if (!room) return [room, errorReply(stanza, "item-not-found", "No such room")];
  const sender = occupantBySession(room, realJid);

  if (stanza.name === "message") {
    if (stanza.attrs.type !== "groupchat" && isInvitation(stanza)) return [room, invite(room, stanza, ctx)];
    if (isVoiceRequest(stanza)) return voiceRequest(room, sender, stanza, ctx);
    if (!sender) return [room, errorReply(stanza, "not-acceptable", "You are not an occupant of this room", { by: room.jid })];
    if (stanza.attrs.type === "groupchat") return groupchat(room, sender, stanza, ctx);
    return [room, errorReply(stanza, "bad-request", "Send groupchat messages to the room, or private messages to an occupant")];
  }

  const payload = iqPayload(stanza);
  const get = stanza.attrs.type === "get";
  if (get && payload?.is("query", NS.discoInfo) && payload.attrs.node === "x-roomuser-item") return [room, reservedNickInfo(room, stanza)];
  if (get && payload?.is("query", NS.discoInfo)) return [room, roomInfo(room, stanza)];
  if (get && payload?.is("query", NS.discoItems)) return [room, roomItems(room, stanza, affiliationOf(room, bareOf(realJid)))];
  if (get && payload?.is("ping", NS.ping)) return [room, [iqResult(stanza)]];
  if (!get && payload?.is("query", NS.mucAdmin)) return adminSet(room, sender, stanza);
  if (get && payload?.is("query", NS.mucAdmin)) return [room, getList(room, realJid, stanza)];
  if (payload?.is("query", NS.mucOwner)) return ownerQuery(room, stanza, ctx);
  if (payload?.is("query", NS.mam) || payload?.is("metadata", NS.mam)) {
    const [out, reads] = archiveRequest(room, stanza, ctx);
    return [room, out, reads];
  }
  if (!get && payload?.is("moderate", NS.moderate)) return [room, ...moderateRequest(room, sender, stanza)];
  if (!get && payload?.is("apply-to", NS.fasten) && payload.getChild("moderate", NS.moderate0)) return [room, ...moderateRequest(room, sender, stanza)];
  if (payload?.is("vCard", NS.vcard)) return avatarQuery(room, stanza, ctx);
  if (payload?.is("query", NS.register)) return registerQuery(room, stanza, ctx);
  return [room, errorReply(stanza, "service-unavailable")];
}

/** Stanzas to room@domain/nick: the occupant protocol. */
function toOccupant(room: Room | undefined, stanza: Element, nick: string, ctx: Context): Reduced {
  const realJid = stanza.attrs.from as string;
  const key = room?.sessions.get(realJid);
  const self = key === undefined ? undefined : room!.occupants.get(key);

  if (isError(stanza) && stanza.name !== "iq") return room && self ? bounce(room, stanza) : [room, []];

  if (stanza.name === "presence") {
    const type = stanza.attrs.type as string | undefined;
    if (type === "unavailable") return room && self ? removeSession(room, realJid, { presence: stanza }) : [room, []];
    if (type === "probe") return [room, room ? probe(room, stanza, nick) : []];
    if (type !== undefined) return [room, []]; // subscriptions are not for rooms
    if (!room || !self || key === undefined) return join(room, stanza, ctx);
    const wanted = normalizeNick(nick, ctx.config.maxNickLength);
    if (!wanted.ok || wanted.nick !== self.nick) return changeNick(room, key, self, stanza, nick, ctx);
    if (stanza.getChild("x", NS.muc)) {
      // §7.2: a session that joins again (a client resyncing) gets everything again; nobody else hears of it.
      const others = self.sessions.filter((s) => s.jid !== realJid);
      const updated = { ...self, sessions: [...others, sessionOf(realJid, stanza)] };
      const next = withOccupant(room, key, updated, self);
      return [next, welcome(next, updated, realJid, [], stanza.getChild("x", NS.muc), ctx)];
    }
    return updatePresence(room, key, self, stanza);
  }

  // XEP-0410: clients read item-not-found on a self-ping as "still joined"; after a restart
  // the room is gone, so answer as for anyone not in the room, and they rejoin.
  if (!room && stanza.getChild("ping", NS.ping)) return [room, errorReply(stanza, "not-acceptable", "You are not an occupant of this room", { type: "cancel" })];
  if (!room) return [room, errorReply(stanza, "item-not-found", "No such room")];
  const targetKey = nickKey(nick);
  const target = targetKey === undefined ? undefined : room.occupants.get(targetKey);

  if (stanza.name === "message") {
    if (!self) return [room, errorReply(stanza, "not-acceptable", "You are not an occupant of this room", { by: room.jid })];
    return [room, privateMessage(room, self, stanza, nick)];
  }
  // iq
  if (stanza.attrs.type === "result" || stanza.attrs.type === "error") return [room, forwardResponse(room, target, stanza, answeringOccupant(room, realJid), ctx.config.forwardKey)];
  return [room, forwardRequest(room, self, target, stanza, ctx.config.forwardKey)];
}

/** A presence probe to an occupant JID: the occupant's current presence, for occupants only. */
function probe(room: Room, stanza: Element, nick: string): Output {
  const viewer = occupantBySession(room, stanza.attrs.from as string);
  if (!viewer) return errorReply(stanza, "not-acceptable", "You are not an occupant of this room", { type: "cancel" });
  const key = nickKey(nick);
  const target = key === undefined ? undefined : room.occupants.get(key);
  if (!target) return key === undefined ? [] : probeAbsent(room, key, stanza.attrs.from as string, viewer);
  return [presenceOf(room, target, stanza.attrs.from as string, viewer, { selfStatus: false })];
}
