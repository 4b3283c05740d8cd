// `bun run bench/hot.ts [messages]`: groupchat messages through the runtime, the SQLite store
// and the shell's serialiser, in process: a steady, repeatable load for `bun --cpu-prof-md`.
// Each message is parsed from its text first, as the shell's would be. Prints µs per message and
// per copy. ROOMS (default 50) rooms of OCCUPANTS (default 20), messages round-robin over the
// rooms; DATABASE (default ":memory:") a file to archive into instead. OCCUPANTS=1 leaves what a
// message costs whatever the room's size; the difference with OCCUPANTS=20 is the copies' cost.
import { UNLIMITED } from "./unlimited.ts";
import { defaultConfig } from "../lib/context.ts";
import { serialiseAll } from "../lib/shell/output.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { parseXml, type Element } from "../lib/stanza.ts";

const config = { ...defaultConfig, ...UNLIMITED, domain: "muc.bench" };
let sequence = 0;
const store = openSqliteStore(process.env.DATABASE ?? ":memory:");
const runtime = createRuntime({ store, config, clock: () => 1_700_000_000_000 + sequence, nonce: () => `b${++sequence}` });
const ROOMS = Number(process.env.ROOMS ?? 50);
const OCCUPANTS = Number(process.env.OCCUPANTS ?? 20);
const feed = (xml: string) => runtime.step({ kind: "stanza", stanza: parseXml(xml) });
for (let r = 0; r < ROOMS; r++)
  for (let u = r * OCCUPANTS; u < (r + 1) * OCCUPANTS; u++) feed(`<presence from="u${u}@bench/r" to="r${r}@muc.bench/n${u}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
store.flush();
const messages = Number(process.argv[2] ?? 50_000);
/** Message i goes to room i % ROOMS, from its occupants in turn. */
const message = (i: number) => {
  const r = i % ROOMS;
  const u = r * OCCUPANTS + (Math.floor(i / ROOMS) % OCCUPANTS);
  return `<message from="u${u}@bench/r" to="r${r}@muc.bench" type="groupchat" id="m${i}"><body>Message number ${i}, with a few words in it.</body></message>`;
};
let bytes = 0;
const start = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < messages; i += 10) {
  const out: Element[] = [];
  for (let k = 0; k < 10; k++) for (const s of runtime.step({ kind: "stanza", stanza: parseXml(message(i + k)) })) out.push(s);
  store.flush();
  bytes += serialiseAll(out).length;
}
const us = ((performance.now() - start) * 1000) / messages;
const cpu1 = process.cpuUsage(cpu0);
const cpuUs = (cpu1.user + cpu1.system) / messages;
console.log(`${us.toFixed(2)} µs per message (${cpuUs.toFixed(2)} of CPU), ${(us / OCCUPANTS).toFixed(3)} µs per copy, ${(bytes / messages / OCCUPANTS).toFixed(0)} bytes per copy`);
