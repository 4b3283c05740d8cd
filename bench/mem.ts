// `bun run bench/mem.ts [occupants] [per room]`: the memory figure alone (bench/e2e.ts runMemory).
import { runMemory } from "./e2e.ts";
const occupants = Number(process.argv[2] ?? 10_000);
const perRoom = Number(process.argv[3] ?? 20);
const r = await runMemory((process.env.MEM_VARIANT ?? "service") as never, occupants, perRoom, 120_000);
console.log(`${occupants} occupants, rooms of ${perRoom}: ${(r.rssBytes / 1024).toFixed(2)} KiB RSS, ${(r.heapBytes / 1024).toFixed(2)} KiB heap per occupant`);
