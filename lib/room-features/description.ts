// The room's description (muc#roomconfig_roomdesc), shown as muc#roominfo_description (§15.5.4).
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    description: string;
  }
}

export const description: RoomFeature = {
  defaults: () => ({ description: "" }),
  form: (room) => [formField("muc#roomconfig_roomdesc", "text-single", "Description", [room.config.description])],
  apply(config, form) {
    const value = readText(form, "muc#roomconfig_roomdesc");
    return value === undefined ? config : { ...config, description: value };
  },
  roomInfo: (room) => [{ var: "muc#roominfo_description", values: [room.config.description], order: 20 }],
};
