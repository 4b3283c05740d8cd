// XEP-0045 §7.2 Entering a Room: creation (§10.1), the entry checks
// (§7.2.6–§7.2.9), same-account nick merging (the tutorial; §7.2.2's
// multi-session nicks), the occupant list, self-presence, history and subject.
import { delayed, parseHistoryRequest, selectHistory } from "./history.ts";
import type { Context } from "./context.ts";
import { normalizeNick } from "./nick.ts";
import { newSalt, occupantIdOf } from "./occupant-id.ts";
import { broadcastPresence, presenceOf, presenceToNewcomer, sessionOf, type StatusCode } from "./presence.ts";
import { defaultRole } from "./roles.ts";
import {
  affiliationOf,
  bareOf,
  createRoom,
  occupantByBareJid,
  occupantKey,
  withOccupant,
  type Occupant,
  type Room,
} from "./room.ts";
import { avatarPresence } from "./room-avatar.ts";
import { reservedBy } from "./affiliations.ts";
import { offlineMembers } from "./offline-members.ts";
import { entryRefusal as affiliationRefusal, realJidsPublic, seesPresenceOf } from "./permissions.ts";
import { defaultRoomConfig, joinRefusal } from "./room-features.ts";
import type { Refusal } from "./room-feature.ts";
import { subjectMessage } from "./subject.ts";
import { errorReply, NS, type Element } from "./stanza.ts";

export type Reduced = [Room | undefined, Element[]];

/** A new room for `creator`, who becomes its owner (§10.1.1). */
export function newRoom(roomJid: string, creator: string, ctx: Context): Room {
  const room = createRoom(roomJid, defaultRoomConfig(ctx), newSalt(roomJid, ctx));
  return {
    ...room,
    affiliations: new Map([[bareOf(creator), "owner"]]),
    locked: ctx.config.lockRooms,
  };
}

/** What a session receives on entering: everyone else, itself, history, subject. */
export function welcome(room: Room, me: Occupant, to: string, selfCodes: StatusCode[], join: Element | undefined, ctx: Context): Element[] {
  const out: Element[] = room.avatarHash ? [avatarPresence(room, to)] : [];
  for (const other of room.occupants.values()) if (other !== me && seesPresenceOf(room, other, me)) out.push(presenceToNewcomer(room, other, to, me));
  out.push(...offlineMembers(room, to, me));
  const codes: StatusCode[] = [...selfCodes];
  if (realJidsPublic(room)) codes.unshift(100);
  out.push(presenceOf(room, me, to, me, { codes: [...codes, 110], session: me.sessions.find((s) => s.jid === to) }));
  const request = join ? parseHistoryRequest(join) : {};
  for (const entry of selectHistory(room.history, request, ctx.now, room.config.historyLength)) out.push(delayed(entry, room.jid, to));
  out.push(subjectMessage(room, to));
  return out;
}

/**
 * A presence with <x xmlns='…muc'/> from a session not yet in the room (or a
 * room that does not exist yet). `room` is undefined when it does not exist.
 */
export function join(room: Room | undefined, presence: Element, ctx: Context): Reduced {
  const realJid = presence.attrs.from as string;
  const [roomJid, rawNick] = splitOccupantJid(presence.attrs.to as string);
  const parsed = normalizeNick(rawNick, ctx.config.maxNickLength);
  if (!parsed.ok) return [room, errorReply(presence, parsed.condition, parsed.text)];

  const created = room === undefined;
  let current = room ?? newRoom(roomJid, realJid, ctx);
  const bareJid = bareOf(realJid);
  const x = presence.getChild("x", NS.muc);

  // Same account already here: this session joins that occupant, under its nick.
  const sameAccount = occupantByBareJid(current, bareJid);
  if (sameAccount) {
    const key = occupantKey(current, sameAccount);
    const merged: Occupant = { ...sameAccount, sessions: [...sameAccount.sessions, sessionOf(realJid, presence)] };
    current = withOccupant(current, key, merged, sameAccount);
    const codes: StatusCode[] = key === parsed.key ? [] : [210];
    return [current, welcome(current, merged, realJid, codes, x, ctx)];
  }

  const affiliation = affiliationOf(current, bareJid);
  const refusal = entryRefusal(current, affiliation, bareJid, parsed.key, x, ctx);
  if (refusal) return [room, errorReply(presence, refusal.condition, refusal.text)];
  if (current.occupants.has(parsed.key)) return [room, errorReply(presence, "conflict", "That nickname is already in use by another occupant")];
  const reserver = reservedBy(current, parsed.key);
  if (reserver !== undefined && reserver !== bareJid) return [room, errorReply(presence, "conflict", "That nickname is reserved by a member of this room")];

  const occupant: Occupant = {
    nick: parsed.nick,
    bareJid,
    occupantId: occupantIdOf(current.salt, bareJid),
    role: defaultRole(affiliation, current.config.moderated),
    sessions: [sessionOf(realJid, presence)],
  };
  current = withOccupant(current, parsed.key, occupant);
  const others = broadcastPresence(current, occupant, { othersOnly: true });
  const selfCodes: StatusCode[] = [];
  if (created) selfCodes.push(201);
  if (parsed.nick !== rawNick) selfCodes.push(210);
  return [current, [...others, ...welcome(current, occupant, realJid, selfCodes, x, ctx)]];
}

/** §7.2.9 bans and §10.1.1 locked rooms, then what the room's features require (lib/room-features.ts). */
function entryRefusal(room: Room, affiliation: ReturnType<typeof affiliationOf>, bareJid: string, nickKey: string, x: Element | undefined, ctx: Context): Refusal | undefined {
  return affiliationRefusal(room, affiliation) ?? joinRefusal(room, { affiliation, bareJid, x, nickKey }, ctx);
}

/** room@domain/nick → ["room@domain", "nick"]; the nick may contain slashes. */
export function splitOccupantJid(jid: string): [string, string] {
  const slash = jid.indexOf("/");
  return slash === -1 ? [jid.toLowerCase(), ""] : [jid.slice(0, slash).toLowerCase(), jid.slice(slash + 1)];
}
