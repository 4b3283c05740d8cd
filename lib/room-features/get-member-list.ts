// Which roles may retrieve the member list (muc#roomconfig_getmemberlist, §9.5): admins and
// owners always may; so may members of a non-anonymous room (as Prosody).
import type { RoomFeature } from "../room-feature.ts";
import { formField, refuse } from "../room-feature.ts";
import type { Role } from "../roles.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Roles that may retrieve the member list. */
    getMemberList: readonly Role[];
  }
}

const ROLES: Role[] = ["moderator", "participant", "visitor"];

// Who may read the member list is decided in lib/permissions.ts (listRefusal).

export const getMemberList: RoomFeature = {
  defaults: () => ({ getMemberList: ["moderator"] }),
  form: (room) => [
    formField("muc#roomconfig_getmemberlist", "list-multi", "Roles that may retrieve the member list", [...room.config.getMemberList], [
      ["moderator", "Moderators"],
      ["participant", "Participants"],
      ["visitor", "Visitors"],
    ]),
  ],
  apply(config, form) {
    const values = form.get("muc#roomconfig_getmemberlist");
    if (values === undefined) return config;
    if (!values.every((v) => ROLES.includes(v as Role))) return refuse("getmemberlist takes moderator, participant and visitor");
    return { ...config, getMemberList: ROLES.filter((r) => values.includes(r)) };
  },
};
