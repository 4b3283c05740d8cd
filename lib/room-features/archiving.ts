// Whether the room archives its messages (XEP-0313): on by default; MAM is offered only where it does.
import { booleanFeature } from "../room-feature.ts";
import { NS } from "../stanza.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Archive messages (MAM). */
    archiving: boolean;
  }
}

export const archiving = booleanFeature("archiving", "muc#roomconfig_enablearchiving", "Archive chat on server", true, {
  discoFeatures: (room) => (room.config.archiving ? [NS.mam, NS.mamExtended] : []),
});
