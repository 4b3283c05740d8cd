// Whose presence the room broadcasts (muc#roomconfig_presencebroadcast, §15.5.3): occupants of
// the listed roles are seen by everyone; the others only by themselves (as Prosody; a presence
// probe still answers). Listing "none" also shows members who are not in the room, as
// unavailable presences to each joiner (Prosody's "offline members").
import type { RoomFeature } from "../room-feature.ts";
import { formField, refuse } from "../room-feature.ts";
import type { Role } from "../roles.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Roles whose presence is broadcast ("none": members who are not in the room). */
    presenceBroadcast: readonly Role[];
  }
}

const ROLES: Role[] = ["moderator", "participant", "visitor", "none"];

// Who sees whose presence is decided in lib/permissions.ts (seesPresenceOf).

export const presenceBroadcast: RoomFeature = {
  defaults: () => ({ presenceBroadcast: ["moderator", "participant", "visitor"] }),
  form: (room) => [
    formField("muc#roomconfig_presencebroadcast", "list-multi", "Roles whose presence is broadcast", [...room.config.presenceBroadcast], [
      ["moderator", "Moderators"],
      ["participant", "Participants"],
      ["visitor", "Visitors"],
      ["none", "Members not in the room"],
    ]),
  ],
  apply(config, form) {
    const values = form.get("muc#roomconfig_presencebroadcast");
    if (values === undefined) return config;
    if (!values.every((v) => ROLES.includes(v as Role))) return refuse("presencebroadcast takes moderator, participant, visitor and none");
    return { ...config, presenceBroadcast: ROLES.filter((r) => values.includes(r)) };
  },
};
