// Public rooms (muc_public / muc_hidden): listed in the service's disco#items (§6.3).
import { booleanFeature } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    public: boolean;
  }
}

export const publicRoom = booleanFeature("public", "muc#roomconfig_publicroom", "Include room information in public lists", true, {
  discoFeatures: (room) => [room.config.public ? "muc_public" : "muc_hidden"],
});
