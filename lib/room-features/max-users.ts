// The most occupants a room takes (muc#roomconfig_maxusers, §7.2.8): set by its owner, never
// above the service's limit (MUC_MAX_OCCUPANTS); admins and owners may still enter a full room.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText, refuse } from "../room-feature.ts";
import { exemptFromOccupantLimit } from "../permissions.ts";
import type { Room } from "../room.ts";
import type { ServiceConfig } from "../context.ts";

declare module "../room.ts" {
  interface RoomConfig {
    /** Occupants the owner allows; 0 means the service's limit. */
    maxUsers: number;
  }
}

/** The room's limit in force: its own, bounded by the service's (0: none). */
export function occupantLimit(room: Room, settings: ServiceConfig): number {
  const own = room.config.maxUsers;
  const service = settings.maxOccupants;
  if (own > 0 && service > 0) return Math.min(own, service);
  return own > 0 ? own : service;
}

export const maxUsers: RoomFeature = {
  defaults: () => ({ maxUsers: 0 }),
  form: (room, ctx) => {
    const limit = occupantLimit(room, ctx.config);
    const choices = [10, 20, 30, 50, 100, 200, 500, 1000].filter((n) => ctx.config.maxOccupants === 0 || n <= ctx.config.maxOccupants);
    return [
      formField(
        "muc#roomconfig_maxusers",
        "list-single",
        "Maximum number of occupants",
        [limit === 0 ? "none" : String(limit)],
        [...choices.map((n) => [String(n), String(n)] as const), ...(ctx.config.maxOccupants === 0 ? [["none", "No limit"] as const] : [])],
      ),
    ];
  },
  apply(config, form, ctx) {
    const value = readText(form, "muc#roomconfig_maxusers")?.trim();
    if (value === undefined) return config;
    if (value === "none" || value === "0") return { ...config, maxUsers: 0 }; // the service's limit, if it has one
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) return refuse("maxusers must be a positive whole number or none");
    if (ctx.config.maxOccupants > 0 && n > ctx.config.maxOccupants) return refuse(`maxusers may be at most ${ctx.config.maxOccupants} on this service`);
    return { ...config, maxUsers: n };
  },
  joinGuard(room, attempt, ctx) {
    const limit = occupantLimit(room, ctx.config);
    if (limit > 0 && room.occupants.size >= limit && !exemptFromOccupantLimit(attempt.affiliation))
      return { condition: "service-unavailable", text: "This room is full" };
    return undefined;
  },
};
