// Whether occupants may invite others (muc#roomconfig_allowinvites, §7.8): when not, only
// moderators may send mediated invitations (decided in lib/permissions.ts; visitors never).
import { invitationRefusal } from "../permissions.ts";
import { booleanFeature } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    allowInvites: boolean;
  }
}

export const allowInvites = booleanFeature("allowInvites", "muc#roomconfig_allowinvites", "Allow occupants to invite others", true, {
  inviteGuard: (room, sender) => invitationRefusal(room, sender),
});
