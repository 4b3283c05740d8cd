// Password-protected rooms (muc_passwordprotected / muc_unsecured, §7.2.6): entry needs the
// password in the join's <x xmlns='…muc'><password/></x>; switching protection off clears it.
import type { RoomFeature } from "../room-feature.ts";
import { bool, formField, isRefusal, readBoolean, readText } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Password to enter, empty for none. */
    password: string;
  }
}

export const password: RoomFeature = {
  defaults: () => ({ password: "" }),
  form: (room) => [
    formField("muc#roomconfig_passwordprotectedroom", "boolean", "Password protected", [bool(room.config.password !== "")]),
    formField("muc#roomconfig_roomsecret", "text-private", "Password", [room.config.password]),
  ],
  apply(config, form) {
    const protectedRoom = readBoolean(form, "muc#roomconfig_passwordprotectedroom");
    if (isRefusal(protectedRoom)) return protectedRoom;
    const secret = readText(form, "muc#roomconfig_roomsecret");
    const next = secret === undefined ? config : { ...config, password: secret };
    return protectedRoom === false ? { ...next, password: "" } : next;
  },
  discoFeatures: (room) => [room.config.password ? "muc_passwordprotected" : "muc_unsecured"],
  joinGuard: (room, attempt) =>
    room.config.password && attempt.x?.getChildText("password") !== room.config.password
      ? { condition: "not-authorized", text: "A password is required to enter this room" }
      : undefined,
};
