// `bun run bench/storage.ts`: what storage costs. (1) Start-up with 100,000 persistent rooms
// on disk: opening the store and serving the first join must not grow with the number of
// rooms (they are read when addressed). (2) Groupchat messages per second through the real
// runtime and an on-disk SQLite file, archiving on and off, in batches as index.ts commits them.
import { UNLIMITED } from "./unlimited.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type ServiceConfig } from "../lib/context.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { NS, xml } from "../lib/stanza.ts";
import type { StoredRoom } from "../lib/storage.ts";
import { defaultRoomConfig } from "../lib/room-features.ts";

const DOMAIN = "muc.bench";
const dir = mkdtempSync(join(tmpdir(), "muc-bench-"));
const config: ServiceConfig = { ...defaultConfig, ...UNLIMITED, domain: DOMAIN };

function runtimeOn(path: string) {
  const store = openSqliteStore(path);
  let n = 0;
  const runtime = createRuntime({ store, config, clock: () => 1_700_000_000_000 + n, nonce: () => `b-${++n}` });
  return { store, runtime };
}

const joinOf = (user: string, room: string, nick: string) => xml("presence", { from: `${user}@example.org/r`, to: `${room}@${DOMAIN}/${nick}` }, xml("x", { xmlns: NS.muc }));

try {
  // (1) 100,000 persistent rooms on disk
  const path = join(dir, "rooms.sqlite");
  {
    const store = openSqliteStore(path);
    const insert = store.db.query("INSERT INTO rooms (jid, public, name, data) VALUES (?, 1, ?, ?)");
    store.db.transaction(() => {
      for (let i = 0; i < 100_000; i++) {
        const jid = `room${i}@${DOMAIN}`;
        const record: StoredRoom = { jid, config: { ...defaultRoomConfig({ config, now: 0, nonce: "" }), persistent: true }, affiliations: [[`owner${i}@example.org`, "owner"]], salt: `s${i}` };
        insert.run(jid, `Room ${i}`, JSON.stringify(record));
      }
    })();
    store.close();
  }
  const t0 = performance.now();
  const { store, runtime } = runtimeOn(path);
  const opened = performance.now();
  const out = runtime.step({ kind: "stanza", stanza: joinOf("owner77777", "room77777", "owner") });
  runtime.flush();
  const joined = performance.now();
  if (!out.some((s) => s.toString().includes('affiliation="owner"'))) throw new Error("the stored owner was not found");
  console.log(`start-up with 100,000 stored rooms: open ${(opened - t0).toFixed(1)} ms, first join (room read from disk) ${(joined - opened).toFixed(2)} ms; rooms in memory: ${runtime.state().rooms.size}`);
  store.close();

  // (2) messages per second, archiving on and off, in batches of 256 inputs per transaction
  for (const archiving of [true, false, true, false]) {
    const { store, runtime } = runtimeOn(join(dir, `messages-${archiving}-${Math.random()}.sqlite`));
    for (let i = 0; i < 20; i++) runtime.step({ kind: "stanza", stanza: joinOf(`u${i}`, "chat", `n${i}`) });
    if (!archiving)
      runtime.step({
        kind: "stanza",
        stanza: xml("iq", { from: "u0@example.org/r", to: `chat@${DOMAIN}`, type: "set", id: "c" }, xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "muc#roomconfig_enablearchiving" }, xml("value", {}, "0"))))),
      });
    runtime.flush();
    const messages = 20_000;
    const start = performance.now();
    for (let i = 0; i < messages; i++) {
      runtime.step({ kind: "stanza", stanza: xml("message", { from: `u${i % 20}@example.org/r`, to: `chat@${DOMAIN}`, type: "groupchat", id: `m${i}` }, xml("body", {}, `message ${i}`)) });
      if (i % 256 === 255) runtime.flush();
    }
    runtime.flush();
    const seconds = (performance.now() - start) / 1000;
    const archived = (store.db.query("SELECT COUNT(*) AS n FROM archive").get() as { n: number }).n;
    console.log(`groupchat, 20 occupants, archiving ${archiving ? "on " : "off"}: ${Math.round(messages / seconds).toLocaleString("en")} messages/s (${archived} archived)`);
    store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
