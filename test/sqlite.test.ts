// The embedded store (lib/shell/sqlite.ts): WAL mode, versioned migrations (a
// file made by an older schema is migrated and keeps its data), what a load
// returns, and a file on disk surviving a reopen.
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { migrate, MIGRATIONS, openSqliteStore } from "../lib/shell/sqlite.ts";
import { configure, groupchat, join, ROMEO, ROOM, Sim } from "./helpers.ts";

const dir = mkdtempSync(joinPath(tmpdir(), "muc-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the SQLite store", () => {
  test("archive appends of one batch go in together: in order, each room trimmed to its cap, seen by reads and later writes in the batch", () => {
    const store = openSqliteStore(":memory:");
    const message = (room: string, i: number) => ({
      op: "archive" as const,
      room,
      message: { id: `${room}-${i}`, at: 1000 + i, stanza: `<message id="${i}"/>`, nick: "romeo", occupantId: "o", sender: "romeo@example.org", retracted: false },
      cap: 100,
    });
    const a = "a@muc.example.org";
    const b = "b@muc.example.org";
    // 150 for a and 3 for b, interleaved, in several write calls (as the runtime makes one per input).
    for (let i = 0; i < 150; i++) store.write(i < 3 ? [message(a, i), message(b, i)] : [message(a, i)]);
    const last = store.read({ op: "archive-metadata", room: a, stanza: undefined as never });
    expect(last.first?.id).toBe(`${a}-50`);
    expect(last.last?.id).toBe(`${a}-149`);
    store.write([message(a, 150), { op: "retract", room: a, id: `${a}-150`, tombstone: "<gone/>" }]);
    store.flush();
    const rows = store.db.query("SELECT id, stanza FROM archive WHERE room = ? ORDER BY seq").all(a) as { id: string; stanza: string }[];
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, k) => `${a}-${k + 51}`));
    expect(rows.at(-1)!.stanza).toBe("<gone/>");
    expect(store.db.query("SELECT room, n FROM archive_counts ORDER BY room").all()).toEqual([{ room: a, n: 100 }, { room: b, n: 3 }]);
    store.close();
  });

  test("a new file: WAL mode, the schema at the newest version", () => {
    const store = openSqliteStore(joinPath(dir, "new.sqlite"));
    expect(store.db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    store.close();
  });

  test("a file made by schema version 1 is migrated, and its rooms and archive are still there", () => {
    const path = joinPath(dir, "v1.sqlite");
    const old = new Database(path, { create: true });
    migrate(old, 1);
    expect((old.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(1);
    const record = { jid: ROOM, config: { persistent: true, public: true, name: "Old" }, affiliations: [["romeo@example.net", "owner"]], salt: "s" };
    old.query("INSERT INTO rooms (jid, public, name, data) VALUES (?, 1, 'Old', ?)").run(ROOM, JSON.stringify(record));
    old.query("INSERT INTO archive (room, id, at, nick, stanza) VALUES (?, 'old-1', 1000, 'romeo', ?)").run(
      ROOM,
      `<message from="${ROOM}/Romeo" type="groupchat"><body>from version 1</body></message>`,
    );
    old.close();

    const store = openSqliteStore(path);
    expect(store.schemaVersion()).toBe(MIGRATIONS.length);
    const loaded = store.read({ op: "load-room", jid: ROOM, history: 10 })!;
    expect(loaded.room.config.name).toBe("Old");
    expect(loaded.history).toEqual([
      { id: "old-1", at: 1000, stanza: `<message from="${ROOM}/Romeo" type="groupchat"><body>from version 1</body></message>`, nick: "romeo", occupantId: "", sender: "", retracted: false },
    ]);
    // and the service uses it: an old record lacks newer fields, which take their defaults
    const sim = new Sim({}, { store });
    const out = sim.send(join(ROMEO, "Romeo"));
    expect(out.find((m) => m.getChild("body"))!.getChildText("body")).toBe("from version 1");
    expect(sim.room()!.config.archiving).toBe(true);
    store.close();
  });

  test("a database from a newer version is refused, not damaged", () => {
    const path = joinPath(dir, "future.sqlite");
    const db = new Database(path, { create: true });
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openSqliteStore(path)).toThrow(/newer than this service/);
  });

  test("a room written to a file is there when the file is opened again", () => {
    const path = joinPath(dir, "reopen.sqlite");
    const sim = new Sim({}, { store: openSqliteStore(path) });
    sim.send(join(ROMEO, "Romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c"));
    sim.send(groupchat(ROMEO, "on disk", "m1"));
    sim.store.close();
    const again = new Sim({}, { store: openSqliteStore(path) });
    const out = again.send(join(ROMEO, "Romeo"));
    expect(out.find((m) => m.getChild("body"))!.getChildText("body")).toBe("on disk");
    again.store.close();
  });
});
