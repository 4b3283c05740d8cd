// `bun run bench/joins.ts VARIANT [rounds]`: only the join phase of bench/e2e.ts, repeated: each
// round, 1,000 users join 50 fresh rooms of 20 (all written at once), measured after one
// unmeasured round. Prints joins/s and the component's CPU per join (for profiling joins:
// BENCH_BUN_ARGS="--cpu-prof-md --cpu-prof-dir=DIR").
import { startComponent, type Variant } from "./e2e.ts";
const variant = (process.argv[2] ?? "service") as Variant;
const rounds = Number(process.argv[3] ?? 5);
const ROOMS = 50, OCCUPANTS = 20, N = ROOMS * OCCUPANTS;
const c = await startComponent(variant);
let presences = 0;
c.peer.onStanza = (s) => void (s.name === "presence" && presences++);
const joins = (round: number) =>
  Array.from({ length: N }, (_, u) => `<presence from="j${round}u${u}@bench/r" to="j${round}r${Math.floor(u / OCCUPANTS)}@muc.bench/n${u}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`).join("");
const expected = ROOMS * OCCUPANTS * OCCUPANTS;
let ms = 0, cpu = 0;
try {
  for (let round = 0; round <= rounds; round++) {
    presences = 0;
    const before = c.usage();
    const start = performance.now();
    c.peer.write(joins(round));
    const deadline = Date.now() + 30_000;
    while (presences < expected) {
      if (Date.now() > deadline) throw new Error(`round ${round}: ${presences} of ${expected} presences`);
      await Bun.sleep(1);
    }
    if (round > 0) (ms += performance.now() - start), (cpu += c.usage().cpu - before.cpu);
    await Bun.sleep(100);
  }
  console.log(`${variant}: ${Math.round((rounds * N) / (ms / 1000))} joins/s, ${((cpu * 1e6) / (rounds * N)).toFixed(1)} µs CPU per join`);
} finally {
  await c.stop();
}
