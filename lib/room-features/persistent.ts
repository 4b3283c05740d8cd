// Persistent rooms (muc_persistent / muc_temporary, §10.2): kept, and stored, when the last occupant leaves.
import { booleanFeature } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Kept (and stored) when empty; a temporary room ends with its last occupant. */
    persistent: boolean;
  }
}

export const persistent = booleanFeature("persistent", "muc#roomconfig_persistentroom", "Persistent (kept when empty)", false, {
  discoFeatures: (room) => [room.config.persistent ? "muc_persistent" : "muc_temporary"],
});
