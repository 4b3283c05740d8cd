// Who may send private messages (muc#roomconfig_allowpm, §7.5): anyone, participants (and
// moderators), moderators only, or nobody. Enforced on every private message.
import type { RoomFeature } from "../room-feature.ts";
import { formField, readText, refuse } from "../room-feature.ts";
import { privateMessagesAllowed } from "../permissions.ts";

export type AllowPm = "anyone" | "participants" | "moderators" | "none";

declare module "../room.ts" {
  interface RoomConfig {
    allowPm: import("./allow-pm.ts").AllowPm;
  }
}

const CHOICES: [AllowPm, string][] = [
  ["anyone", "Anyone"],
  ["participants", "Participants and moderators"],
  ["moderators", "Moderators only"],
  ["none", "Nobody"],
];

export const allowPm: RoomFeature = {
  defaults: () => ({ allowPm: "anyone" }),
  form: (room) => [formField("muc#roomconfig_allowpm", "list-single", "Who may send private messages", [room.config.allowPm], CHOICES)],
  apply(config, form) {
    const value = readText(form, "muc#roomconfig_allowpm");
    if (value === undefined) return config;
    if (!CHOICES.some(([choice]) => choice === value)) return refuse("allowpm must be anyone, participants, moderators or none");
    return { ...config, allowPm: value as AllowPm };
  },
  privateMessageGuard(room, sender) {
    return privateMessagesAllowed(room, sender) ? undefined : { condition: "not-allowed", text: "Private messages are not allowed in this room" };
  },
};
