// The core's single entry point: (state, input, context) → [state, stanzas].
// It routes each stanza by its `to` (RFC 6120 §10, XEP-0045 §4.2):
//   muc.example.org              → the service itself (disco, ping, version)
//   room@muc.example.org         → the room (groupchat, disco, admin)
//   room@muc.example.org/nick    → an occupant (join, leave, nick change, PM, IQ)
// Only the addressed room is read and replaced: O(1) in the number of rooms.
import { getList } from "./affiliations.ts";
import { bounce } from "./bounce.ts";
import type { Context } from "./context.ts";
import { roomInfo, roomItems, serviceInfo, serviceItems, serviceVersion } from "./disco.ts";
import { groupchat } from "./groupchat.ts";
import { answeringOccupant, forwardRequest, forwardResponse } from "./iq-forward.ts";
import { invite, isInvitation } from "./invite.ts";
import { join, splitOccupantJid, welcome } from "./join.ts";
import { removeSession, shutdownRoom } from "./leave.ts";
import { adminSet } from "./moderation.ts";
import { ownerQuery } from "./room-config.ts";
import { changeNick } from "./nick-change.ts";
import { nickKey, normalizeNick } from "./nick.ts";
import { emptyMap, type PersistentMap } from "./persistent-map.ts";
import { presenceOf } from "./presence.ts";
import { updatePresence } from "./presence-update.ts";
import { privateMessage } from "./private-message.ts";
import { occupantBySession, withOccupant, type Room } from "./room.ts";
import { errorReply, iqPayload, iqResult, isError, NS, type Element } from "./stanza.ts";

export interface ServiceState {
  /** By bare room JID. */
  rooms: PersistentMap<Room>;
}

export type Input = { kind: "stanza"; stanza: Element } | { kind: "shutdown" };

export type Output = Element[];

export function initialState(): ServiceState {
  return { rooms: emptyMap() };
}

export function handle(state: ServiceState, input: Input, ctx: Context): [ServiceState, Output] {
  if (input.kind === "shutdown") return shutdown(state);
  return route(state, input.stanza, ctx);
}

/** XEP-0045 §… service shutdown: every session is told (332); temporary rooms end. */
function shutdown(state: ServiceState): [ServiceState, Output] {
  const out: Element[] = [];
  for (const room of state.rooms.values()) out.push(...shutdownRoom(room));
  return [{ rooms: emptyMap() }, out];
}

const JID_PART = /^[^@/\s"&':<>]*$/; // RFC 7622 §3.3.1: no " & ' / : < > @ in a localpart

function route(state: ServiceState, stanza: Element, ctx: Context): [ServiceState, Output] {
  const { from, to } = stanza.attrs as { from?: string; to?: string };
  if (!from || !to || !["message", "presence", "iq"].includes(stanza.name)) return [state, []];
  if (stanza.name === "iq" && !["get", "set", "result", "error"].includes(stanza.attrs.type)) return [state, errorReply(stanza, "bad-request")];

  const [bare, resource] = splitOccupantJid(to);
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at);
  const domain = at === -1 ? bare : bare.slice(at + 1);
  if (domain !== ctx.config.domain) return [state, []]; // not ours: the server should never route it here
  if (stanza.toString().length > ctx.config.maxStanzaChars)
    return [state, errorReply(stanza, "policy-violation", `Stanzas are limited to ${ctx.config.maxStanzaChars} characters`)];
  if (!local && resource) return [state, stanza.name === "iq" && ["get", "set"].includes(stanza.attrs.type) ? errorReply(stanza, "service-unavailable") : []];
  if (!local) return [state, toService(state, stanza, ctx)];
  if (!JID_PART.test(local)) return [state, errorReply(stanza, "jid-malformed", "Invalid room name")];

  const room = state.rooms.get(bare);
  const [next, out] = resource || (stanza.name === "presence" && to.includes("/"))
    ? toOccupant(room, stanza, bare, resource, ctx)
    : toRoom(room, stanza, ctx);
  if (next === room) return [state, out];
  return [{ rooms: next ? state.rooms.set(bare, next) : state.rooms.delete(bare) }, out];
}

/** Stanzas to the service's own domain. */
function toService(state: ServiceState, stanza: Element, ctx: Context): Output {
  if (stanza.name === "message") return errorReply(stanza, "service-unavailable", "This is a group chat service; join a room to talk");
  if (stanza.name !== "iq" || (stanza.attrs.type !== "get" && stanza.attrs.type !== "set")) return [];
  const payload = iqPayload(stanza);
  if (stanza.attrs.type === "get" && payload?.is("query", NS.discoInfo)) return serviceInfo(stanza, ctx);
  if (stanza.attrs.type === "get" && payload?.is("query", NS.discoItems)) return serviceItems(stanza, state.rooms);
  if (stanza.attrs.type === "get" && payload?.is("ping", NS.ping)) return [iqResult(stanza)];
  if (stanza.attrs.type === "get" && payload?.is("query", NS.version)) return serviceVersion(stanza);
  return errorReply(stanza, "service-unavailable");
}

type Reduced = [Room | undefined, Output];

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
    if (stanza.attrs.type !== "groupchat" && isInvitation(stanza)) return [room, invite(room, stanza)];
    if (!sender) return [room, errorReply(stanza, "not-acceptable", "You are not an occupant of this room", { by: room.jid })];
    if (stanza.attrs.type === "groupchat") return groupchat(room, sender, stanza, ctx);
    return [room, errorReply(stanza, "bad-request", "Send groupchat messages to the room, or private messages to an occupant")];
  }

  const payload = iqPayload(stanza);
  const get = stanza.attrs.type === "get";
  if (get && payload?.is("query", NS.discoInfo)) return [room, roomInfo(room, stanza)];
  if (get && payload?.is("query", NS.discoItems)) return [room, roomItems(room, stanza)];
  if (get && payload?.is("ping", NS.ping)) return [room, [iqResult(stanza)]];
  if (!get && payload?.is("query", NS.mucAdmin)) return adminSet(room, sender, stanza);
  if (get && payload?.is("query", NS.mucAdmin)) return [room, getList(room, realJid, stanza)];
  if (payload?.is("query", NS.mucOwner)) return ownerQuery(room, stanza, ctx);
  return [room, errorReply(stanza, "service-unavailable")];
}

/** Stanzas to room@domain/nick: the occupant protocol. */
function toOccupant(room: Room | undefined, stanza: Element, roomJid: string, nick: string, ctx: Context): Reduced {
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
      const updated = { ...self, sessions: [...others, { jid: realJid, presence: stanza }] };
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
  if (!target) return [];
  return [presenceOf(room, target, stanza.attrs.from as string, viewer, { selfStatus: false })];
}
