// The room's language (muc#roomconfig_lang), shown as muc#roominfo_lang (§15.5.4) once set.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText, refuse } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** A BCP 47 language tag, or "" for none said. */
    lang: string;
  }
}

const TAG = /^[a-z]{2,8}(-[a-z0-9]{1,8})*$/i;

export const lang: RoomFeature = {
  defaults: () => ({ lang: "" }),
  form: (room) => [formField("muc#roomconfig_lang", "text-single", "Natural language for room discussions", [room.config.lang])],
  apply(config, form) {
    const value = readText(form, "muc#roomconfig_lang")?.trim();
    if (value === undefined) return config;
    if (value !== "" && !TAG.test(value)) return refuse("lang must be a language tag such as en or pt-BR");
    return { ...config, lang: value };
  },
  roomInfo: (room) => (room.config.lang ? [{ var: "muc#roominfo_lang", values: [room.config.lang], order: 60 }] : []),
};
