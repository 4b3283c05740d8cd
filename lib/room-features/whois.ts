// Who sees occupants' real JIDs (muc_semianonymous / muc_nonanonymous, §7.2.4, §10.2.1):
// moderators only, or anyone; a change is announced with 172 or 173.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText, refuse } from "../room-feature.ts";

export type Whois = "moderators" | "anyone";

declare module "../room.ts" {
  interface RoomConfig {
    whois: import("./whois.ts").Whois;
  }
}

export const whois: RoomFeature = {
  defaults: () => ({ whois: "moderators" }),
  form: (room) => [
    formField("muc#roomconfig_whois", "list-single", "Addresses (JIDs) of room occupants may be viewed by", [room.config.whois], [
      ["moderators", "Moderators only"],
      ["anyone", "Anyone"],
    ]),
  ],
  apply(config, form) {
    const value = readText(form, "muc#roomconfig_whois");
    if (value === undefined) return config;
    if (value !== "moderators" && value !== "anyone") return refuse("whois must be moderators or anyone");
    return { ...config, whois: value };
  },
  discoFeatures: (room) => [room.config.whois === "anyone" ? "muc_nonanonymous" : "muc_semianonymous"],
  changed: (before, after) => (before.config.whois === after.config.whois ? {} : { codes: [after.config.whois === "anyone" ? "172" : "173"] }),
};
