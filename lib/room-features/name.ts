// The room's name (muc#roomconfig_roomname): shown in disco (§6.3, §6.4) and the directory.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText } from "../room-feature.ts";
import type { Room } from "../room.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** A human-readable name; the localpart stands in while it is empty. */
    name: string;
  }
}

export function roomName(room: Room): string {
  return room.config.name || room.jid.slice(0, room.jid.indexOf("@"));
}

export const name: RoomFeature = {
  defaults: () => ({ name: "" }),
  form: (room) => [formField("muc#roomconfig_roomname", "text-single", "Title", [room.config.name])],
  apply(config, form) {
    const value = readText(form, "muc#roomconfig_roomname");
    return value === undefined ? config : { ...config, name: value };
  },
  roomInfo: (room) => [{ var: "muc#roomconfig_roomname", values: [roomName(room)], order: 10 }],
};
