// Whether occupants may invite others (muc#roomconfig_allowinvites, §7.8): when not, only
// moderators may send mediated invitations.
import { booleanFeature } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    allowInvites: boolean;
  }
}

export const allowInvites = booleanFeature("allowInvites", "muc#roomconfig_allowinvites", "Allow occupants to invite others", true, {
  inviteGuard: (room, sender) =>
    room.config.allowInvites || sender.role === "moderator" ? undefined : { condition: "forbidden", text: "Only moderators may invite to this room" },
});
