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
