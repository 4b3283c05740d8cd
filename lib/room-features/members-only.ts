// Members-only rooms (muc_membersonly / muc_open, §7.2.7, §10.2): only members (and admins,
// owners) may enter; a room that becomes members-only removes those who are not (322).
import { booleanFeature } from "../room-feature.ts";
import { mayEnterMembersOnly } from "../permissions.ts";
import { affiliationOf } from "../room.ts";

declare module "../room.ts" {
  interface RoomConfig {
    membersOnly: boolean;
  }
}

export const membersOnly = booleanFeature("membersOnly", "muc#roomconfig_membersonly", "Only allow members to join", false, {
  discoFeatures: (room) => [room.config.membersOnly ? "muc_membersonly" : "muc_open"],
  joinGuard: (room, attempt) =>
    room.config.membersOnly && !mayEnterMembersOnly(attempt.affiliation) ? { condition: "registration-required", text: "This room is members-only" } : undefined,
  changed(before, after) {
    if (!after.config.membersOnly || before.config.membersOnly) return {};
    const remove = [...after.occupants]
      .filter(([, occupant]) => !mayEnterMembersOnly(affiliationOf(after, occupant.bareJid)))
      .map(([key, occupant]) => ({ key, occupant, code: 322 as const }));
    return { remove };
  },
});
