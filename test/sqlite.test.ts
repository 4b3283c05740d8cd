// The embedded store (lib/shell/sqlite.ts), what is SQLite's own: WAL mode, versioned
// migrations (a file made by an older schema is migrated and keeps its data), a file on
// disk surviving a reopen, several processes writing one file at once, and the staging of
// archive rows (rows a commit appends wait without the index by room, then move). What every
// store does is in store.test.ts, against SQLite and PostgreSQL alike.
import { Database } from "bun:sqlite";
import { spawn } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { migrate, MIGRATIONS, openSqliteStore, STAGE_ROWS, type SqliteStore } from "../lib/shell/sqlite.ts";
import { xml } from "../lib/stanza.ts";
import type { Write } from "../lib/storage.ts";
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

  test("a process opening a file while another migrates it waits, then finds the schema current (the migration runs once)", async () => {
    const path = joinPath(dir, "migrating.sqlite");
    const first = new Database(path, { create: true });
    first.exec("PRAGMA journal_mode = WAL");
    first.exec("BEGIN IMMEDIATE"); // as migrate() does: this process is in the middle of migrating
    for (const [version, migration] of MIGRATIONS.entries()) first.exec(migration), first.exec(`PRAGMA user_version = ${version + 1}`);
    const second = spawn([process.execPath, joinPath(import.meta.dir, "support", "sqlite-writer.ts"), path, ROOM, "0"], { stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(300); // the second process is up, waiting for the lock (busy_timeout)
    first.exec("COMMIT");
    const [code, out, err] = await Promise.all([second.exited, new Response(second.stdout).text(), new Response(second.stderr).text()]);
    expect([code, out.trim().split("\n")[0], err]).toEqual([0, "open", ""]);
    expect((first.query("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(MIGRATIONS.length);
    first.close();
  });

  test("processes sharing one file: another process writes while two connections here do; no busy errors, no lost rows", async () => {
    const path = joinPath(dir, "shared.sqlite");
    const rooms = ["a@muc.example.org", "b@muc.example.org"];
    const stores = [openSqliteStore(path), openSqliteStore(path)];
    const other = spawn([process.execPath, joinPath(import.meta.dir, "support", "sqlite-writer.ts"), path, "c@muc.example.org", "500"], { stdout: "pipe", stderr: "pipe" });
    let running = true;
    const exited = other.exited.then((code) => ((running = false), code));
    const errors: string[] = [];
    const done = [0, 0];
    await Promise.all(
      stores.map(async (store, k) => {
        const room = rooms[k]!;
        // From before the other process starts until it has finished: every one of its batches meets ours.
        for (let batch = 0; running; batch++) {
          try {
            store.write([{ op: "save-room", room: { jid: room, config: { persistent: true, public: true, name: `batch ${batch}` } as never, affiliations: [], salt: "s" } }]);
            for (let i = 0; i < 10; i++) {
              const n = batch * 10 + i;
              store.write([{ op: "archive", room, cap: 1_000_000, message: { id: `${room}-${n}`, at: n, stanza: "<message/>", nick: "n", occupantId: "o", sender: "s", retracted: false } }]);
            }
            store.flush();
            done[k]++;
          } catch (error) {
            errors.push(String(error));
          }
          await Bun.sleep(1);
        }
      }),
    );
    const [code, out, err] = await Promise.all([exited, new Response(other.stdout).text(), new Response(other.stderr).text()]);
    expect([code, err]).toEqual([0, ""]);
    expect(errors).toEqual([]);
    const theirs = Number(out.trim().split("\n")[1]);
    expect(theirs).toBeGreaterThan(10);
    const check = stores[0]!;
    check.settle(); // every process's staged rows in the archive proper
    const expected = [...done, theirs].map((batches, k) => ({ room: `${"abc"[k]}@muc.example.org`, n: batches * 10 }));
    expect(check.db.query("SELECT room, COUNT(*) AS n FROM archive GROUP BY room ORDER BY room").all()).toEqual(expected);
    expect(check.db.query("SELECT room, n FROM archive_counts ORDER BY room").all()).toEqual(expected);
    expect(check.db.query("SELECT name FROM rooms ORDER BY jid").all()).toEqual([...done, theirs].map((batches) => ({ name: `batch ${batches - 1}` })));
    for (const store of stores) store.close();
  });
});

describe("staged archive rows (archive_staged: appends without the index by room)", () => {
  const R = "room@muc.example.org";
  const stanza = xml("iq");
  const message = (n: number, room = R): Write => ({
    op: "archive",
    room,
    cap: 1_000_000,
    message: { id: `${room}-${n}`, at: n, stanza: `<message><body>${n}</body></message>`, nick: "n", occupantId: "o", sender: "s@example.org", retracted: false },
  });
  const count = (store: SqliteStore, table: string) => (store.db.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  const ids = (rows: { id: string }[]) => rows.map((r) => Number(r.id.slice(R.length + 1)));

  test("a commit leaves its rows staged; at STAGE_ROWS they move, in one order with what was staged later", () => {
    const store = openSqliteStore(":memory:");
    store.write([message(1), message(2)]);
    store.flush();
    expect([count(store, "archive_staged"), count(store, "archive")]).toEqual([2, 0]);
    for (let n = 3; n <= STAGE_ROWS; n++) store.write([message(n), message(n, "other@muc.example.org")]);
    store.flush(); // over STAGE_ROWS staged: they move at this commit
    expect([count(store, "archive_staged"), count(store, "archive")]).toEqual([0, 2 * STAGE_ROWS - 2]);
    store.write([message(STAGE_ROWS + 1)]);
    store.flush();
    expect(count(store, "archive_staged")).toBe(1);
    // Read at once (moved first), the newest of both tables in order.
    const page = store.read({ op: "archive-query", query: { room: R, limit: 3, backwards: true }, stanza });
    expect([ids(page.rows), page.count]).toEqual([[STAGE_ROWS - 1, STAGE_ROWS, STAGE_ROWS + 1], STAGE_ROWS + 1]);
    expect(count(store, "archive_staged")).toBe(0);
    const seqs = store.db.query<{ seq: number }, [string]>("SELECT seq FROM archive WHERE room = ? ORDER BY seq").all(R).map((r) => r.seq);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    store.close();
  });

  test("whatever reads or changes the archive sees the staged rows: history, lookups, metadata, retraction, deletion", () => {
    const store = openSqliteStore(":memory:");
    const staged = () => {
      store.write([message(1), message(2), message(3)]);
      store.flush();
      expect(count(store, "archive_staged")).toBe(3);
    };
    store.write([{ op: "save-room", room: { jid: R, config: { persistent: true, public: true, name: "R" } as never, affiliations: [], salt: "s" } }]);
    staged();
    expect(store.read({ op: "load-room", jid: R, history: 2 })!.history.map((m) => m.id)).toEqual([`${R}-2`, `${R}-3`]);
    store.flush();
    expect(store.read({ op: "archive-lookup", room: R, id: `${R}-1`, stanza })?.stanza).toBe("<message><body>1</body></message>");
    store.write([message(4)]);
    store.flush();
    const meta = store.read({ op: "archive-metadata", room: R, stanza });
    expect([meta.first?.id, meta.last?.id]).toEqual([`${R}-1`, `${R}-4`]);
    store.write([message(5), { op: "retract", room: R, id: `${R}-5`, tombstone: "<gone/>" }]);
    store.flush();
    expect(store.read({ op: "archive-lookup", room: R, id: `${R}-5`, stanza })).toMatchObject({ stanza: "<gone/>", retracted: true });
    store.write([message(6), { op: "delete-room", jid: R, archive: true }]);
    store.flush();
    expect([count(store, "archive_staged"), count(store, "archive"), count(store, "archive_counts")]).toEqual([0, 0, 0]);
    store.close();
  });

  test("an id is unique over both tables, as it was in the archive alone; closing moves what is staged", () => {
    const path = joinPath(dir, "staged.sqlite");
    let store = openSqliteStore(path);
    store.write([message(1), message(2)]);
    store.settle();
    expect(count(store, "archive")).toBe(2);
    store.write([message(2)]);
    expect(() => store.flush()).toThrow(/UNIQUE constraint failed: archive.id/);
    store.write([message(3)]);
    store.flush();
    expect(count(store, "archive_staged")).toBe(1);
    store.close();
    store = openSqliteStore(path);
    expect([count(store, "archive_staged"), count(store, "archive")]).toEqual([0, 3]);
    store.close();
  });

  test("a file from schema version 2: new rows are numbered after its archive's", () => {
    const path = joinPath(dir, "v2.sqlite");
    const old = new Database(path, { create: true });
    migrate(old, 2);
    for (let n = 1; n <= 3; n++) old.query("INSERT INTO archive (room, id, at, nick, stanza) VALUES (?, ?, ?, 'n', '<message/>')").run(R, `${R}-${n}`, n);
    old.query("DELETE FROM archive WHERE id = ?").run(`${R}-3`); // AUTOINCREMENT never gives its number again
    old.close();
    const store = openSqliteStore(path);
    store.write([message(4)]);
    store.settle();
    expect(store.db.query("SELECT seq, id FROM archive ORDER BY seq").all()).toEqual([
      { seq: 1, id: `${R}-1` },
      { seq: 2, id: `${R}-2` },
      { seq: 4, id: `${R}-4` },
    ]);
    store.close();
  });
});
