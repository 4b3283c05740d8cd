// Moderated rooms (muc_moderated / muc_unmoderated, §8.3): a newcomer without affiliation is a
// visitor, and only occupants with voice may speak.
import { booleanFeature } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Visitors need voice to speak. */
    moderated: boolean;
  }
}

export const moderated = booleanFeature("moderated", "muc#roomconfig_moderatedroom", "Moderated (only occupants with voice may speak)", false, {
  discoFeatures: (room) => [room.config.moderated ? "muc_moderated" : "muc_unmoderated"],
});
