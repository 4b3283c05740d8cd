// The benchmarks measure what a stanza the room acts on costs: one account sending
// thousands of messages, rooms of thousands of occupants. With the default limits
// (README, "Limits") most of them would be refused, and the refusal measured instead.
import type { ServiceConfig } from "../lib/context.ts";

const MANY = 1_000_000_000;

export const UNLIMITED: Partial<ServiceConfig> = {
  maxOccupants: 0,
  maxRooms: MANY,
  maxRoomsPerUser: MANY,
  roomCreationsPerMinute: MANY,
  groupchatBurst: MANY,
  privateBurst: MANY,
  presenceBurst: MANY,
  nickChangeBurst: MANY,
};

/** The same, as the environment of a service process (bench/e2e.ts). */
export const UNLIMITED_ENV: Record<string, string> = {
  MUC_MAX_OCCUPANTS: "0",
  MUC_MAX_ROOMS: "10000000",
  MUC_MAX_ROOMS_PER_USER: "100000",
  MUC_ROOM_CREATIONS_PER_MINUTE: "100000",
  MUC_RATE_GROUPCHAT_BURST: "100000",
  MUC_RATE_PRIVATE_BURST: "100000",
  MUC_RATE_PRESENCE_BURST: "100000",
  MUC_RATE_NICK_CHANGE_BURST: "100000",
};
