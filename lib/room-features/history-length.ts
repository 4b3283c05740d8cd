// How many messages the room keeps for history on join (§7.2.15), at most the service's maximum.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText, refuse } from "../room-feature.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Messages kept for history on join. */
    historyLength: number;
  }
}

export const historyLength: RoomFeature = {
  defaults: (ctx) => ({ historyLength: ctx.config.historyLength }),
  form: (room) => [formField("muc#roomconfig_historylength", "text-single", "Number of messages in discussion history", [String(room.config.historyLength)])],
  apply(config, form, ctx) {
    const value = readText(form, "muc#roomconfig_historylength");
    if (value === undefined) return config;
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) return refuse("historylength must be a whole number");
    return { ...config, historyLength: Math.min(n, ctx.config.maxHistoryLength) };
  },
};
