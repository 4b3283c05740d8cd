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
