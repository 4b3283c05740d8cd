// `bun run bench/hot.ts [messages]`: groupchat messages into a room of 20 through the runtime,
// the SQLite store (:memory:) and the shell's serialiser, in process: a steady, repeatable
// load for `bun --cpu-prof-md`. Prints µs per message and per copy.
import { UNLIMITED } from "./unlimited.ts";
import { defaultConfig } from "../lib/context.ts";
import { serialiseAll } from "../lib/shell/output.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { parseXml, type Element } from "../lib/stanza.ts";

const config = { ...defaultConfig, ...UNLIMITED, domain: "muc.bench" };
let sequence = 0;
const store = openSqliteStore(":memory:");
const runtime = createRuntime({ store, config, clock: () => 1_700_000_000_000 + sequence, nonce: () => `b${++sequence}` });
const OCCUPANTS = 20;
const feed = (xml: string) => runtime.step({ kind: "stanza", stanza: parseXml(xml) });
for (let u = 0; u < OCCUPANTS; u++) feed(`<presence from="u${u}@bench/r" to="r0@muc.bench/n${u}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
store.flush();
const messages = Number(process.argv[2] ?? 50_000);
const inputs = Array.from({ length: 1000 }, (_, i) => parseXml(`<message from="u${i % OCCUPANTS}@bench/r" to="r0@muc.bench" type="groupchat" id="m${i}"><body>Message number ${i}, with a few words in it.</body></message>`));
let bytes = 0;
const start = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < messages; i += 10) {
  const out: Element[] = [];
  for (let k = 0; k < 10; k++) for (const s of runtime.step({ kind: "stanza", stanza: inputs[(i + k) % 1000]! })) out.push(s);
  store.flush();
  bytes += serialiseAll(out).length;
}
const us = ((performance.now() - start) * 1000) / messages;
const cpu1 = process.cpuUsage(cpu0);
const cpuUs = (cpu1.user + cpu1.system) / messages;
console.log(`${us.toFixed(2)} µs per message (${cpuUs.toFixed(2)} of CPU), ${(us / OCCUPANTS).toFixed(3)} µs per copy, ${(bytes / messages / OCCUPANTS).toFixed(0)} bytes per copy`);
