// Who may change the subject (§8.1): moderators, and participants too when the owner allows it.
import { booleanFeature, bool } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Participants may change the subject (otherwise moderators only). */
    changeSubject: boolean;
  }
}

export const changeSubject = booleanFeature("changeSubject", "muc#roomconfig_changesubject", "Allow anyone to set the room's subject", false, {
  roomInfo: (room) => [{ var: "muc#roominfo_changesubject", values: [bool(room.config.changeSubject)], type: "boolean", order: 50 }],
});
