// Every room feature, in the order the owner's form shows them and their checks run.
// Adding a feature: write lib/room-features/<name>.ts (a RoomFeature, lib/room-feature.ts)
// with its tests in test/room-features/<name>.test.ts, and list it here. The functions below
// are how the rest of the core asks the features as a whole.
import type { Context } from "./context.ts";
import type { ConfigChange, JoinAttempt, Refusal, RoomFeature, RoomInfoField, Submitted } from "./room-feature.ts";
import { isRefusal } from "./room-feature.ts";
import type { Occupant, Room, RoomConfig } from "./room.ts";
import type { Element } from "./stanza.ts";
import { allowInvites } from "./room-features/allow-invites.ts";
import { allowPm } from "./room-features/allow-pm.ts";
import { archiving } from "./room-features/archiving.ts";
import { changeSubject } from "./room-features/change-subject.ts";
import { description } from "./room-features/description.ts";
import { getMemberList } from "./room-features/get-member-list.ts";
import { historyLength } from "./room-features/history-length.ts";
import { lang } from "./room-features/lang.ts";
import { maxUsers } from "./room-features/max-users.ts";
import { membersOnly } from "./room-features/members-only.ts";
import { moderated } from "./room-features/moderated.ts";
import { name } from "./room-features/name.ts";
import { password } from "./room-features/password.ts";
import { persistent } from "./room-features/persistent.ts";
import { presenceBroadcast } from "./room-features/presence-broadcast.ts";
import { publicRoom } from "./room-features/public.ts";
import { roomAdmins } from "./room-features/room-admins.ts";
import { voiceRequests } from "./room-features/voice-requests.ts";
import { whois } from "./room-features/whois.ts";

export const ROOM_FEATURES: readonly RoomFeature[] = [
  name,
  description,
  persistent,
  publicRoom,
  changeSubject,
  moderated,
  membersOnly,
  password,
  whois,
  historyLength,
  archiving,
  lang,
  maxUsers,
  allowPm,
  allowInvites,
  presenceBroadcast,
  getMemberList,
  voiceRequests,
  roomAdmins,
];

/** A new room's configuration: every feature's defaults. */
export function defaultRoomConfig(ctx: Context): RoomConfig {
  return Object.assign({}, ...ROOM_FEATURES.map((f) => f.defaults?.(ctx) ?? {})) as RoomConfig;
}

/** The fields of the owner's form, in order. */
export function formFields(room: Room, ctx: Context): Element[] {
  return ROOM_FEATURES.flatMap((f) => f.form?.(room, ctx) ?? []);
}

/** The room once every feature applied the submitted form, or the first refusal (and no change). */
export function applySubmitted(room: Room, form: Submitted, ctx: Context): Room | Refusal {
  let config = room.config;
  for (const feature of ROOM_FEATURES) {
    if (!feature.apply) continue;
    const next = feature.apply(config, form, ctx, room);
    if (isRefusal(next)) return next;
    config = next;
  }
  let next: Room = config === room.config ? room : { ...room, config };
  for (const feature of ROOM_FEATURES) {
    if (!feature.applyRoom) continue;
    const applied = feature.applyRoom(next, form, ctx);
    if (isRefusal(applied)) return applied;
    next = applied;
  }
  return next;
}

/** What the features do once the configuration changed: codes for the notice, occupants to remove. */
export function configChanges(before: Room, after: Room, ctx: Context): Required<ConfigChange> {
  const changes = ROOM_FEATURES.map((f) => f.changed?.(before, after, ctx) ?? {});
  return { codes: changes.flatMap((c) => c.codes ?? []), remove: changes.flatMap((c) => c.remove ?? []) };
}

/** The muc_* features and namespaces the room's configuration shows in disco#info. */
export function configDiscoFeatures(room: Room): string[] {
  return ROOM_FEATURES.flatMap((f) => f.discoFeatures?.(room) ?? []);
}

export function configRoomInfo(room: Room): RoomInfoField[] {
  return ROOM_FEATURES.flatMap((f) => f.roomInfo?.(room) ?? []);
}

/** The first feature that refuses this attempt to enter. */
export function joinRefusal(room: Room, attempt: JoinAttempt, ctx: Context): Refusal | undefined {
  for (const feature of ROOM_FEATURES) {
    const refusal = feature.joinGuard?.(room, attempt, ctx);
    if (refusal) return refusal;
  }
  return undefined;
}

export function privateMessageRefusal(room: Room, sender: Occupant, recipient: Occupant): Refusal | undefined {
  for (const feature of ROOM_FEATURES) {
    const refusal = feature.privateMessageGuard?.(room, sender, recipient);
    if (refusal) return refusal;
  }
  return undefined;
}

export function inviteRefusal(room: Room, sender: Occupant): Refusal | undefined {
  for (const feature of ROOM_FEATURES) {
    const refusal = feature.inviteGuard?.(room, sender);
    if (refusal) return refusal;
  }
  return undefined;
}
