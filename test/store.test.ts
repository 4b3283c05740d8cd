// One storage interface, two implementations: the same tests against the SQLite store
// (lib/shell/sqlite.ts, synchronous) and the PostgreSQL store (lib/shell/postgres.ts,
// asynchronous; a throwaway server from test/support/postgres.ts, a fresh database per
// test). Rooms and occupants saved and loaded, rooms deleted with and without their
// archive, archive appends trimmed to the cap, retraction, retention, MAM paging (RSM
// cursors, extended ids, unknown ids), lookups, metadata, the directory, reads inside
// an uncommitted batch, a batch committed whole or not at all, and two writers at once.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { openPostgresStore, type PostgresStore } from "../lib/shell/postgres.ts";
import { openSqliteStore, type SqliteStore } from "../lib/shell/sqlite.ts";
import type { ArchivedMessage, ArchivePage, ArchiveQuery, Read, ReadResult, StoredRoom, Write } from "../lib/storage.ts";
import { postgresAvailable, startPostgres, type Postgres } from "./support/postgres.ts";

const A = "a@muc.example.org";
const B = "b@muc.example.org";

type AnyStore = SqliteStore | PostgresStore;

/** A store of either kind, as a test uses it: every answer awaited, and a look at its rows. */
interface Opened {
  store: AnyStore;
  read<R extends Read>(read: R): Promise<ReadResult<R>>;
  write(...writes: Write[]): void;
  flush(): Promise<void>;
  /** Rows of a query with `?` parameters, numbers as numbers. */
  rows(query: string, ...args: (string | number)[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function wrap(store: AnyStore): Opened {
  return {
    store,
    read: async (r) => await store.read(r),
    write: (...writes) => void store.write(writes),
    flush: async () => await store.flush(),
    async rows(query, ...args) {
      if ("db" in store) {
        store.settle(); // the staged archive rows in the archive proper (sqlite.ts)
        return store.db.query(query).all(...args) as Record<string, unknown>[];
      }
      let n = 0;
      const rows = (await store.sql.unsafe(query.replace(/\?/g, () => `$${++n}`), args)) as Record<string, unknown>[];
      return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "string" && /^(n|seq|at)$/.test(k) ? Number(v) : v])));
    },
    close: async () => await store.close(),
  };
}

interface Kind {
  name: "sqlite" | "postgres";
  available: boolean;
  /** A new, empty database; `open` opens a connection (a store) to it, as many as asked. */
  fresh(): Promise<{ open(): Promise<Opened> }>;
}

const dir = mkdtempSync(joinPath(tmpdir(), "muc-store-"));
let pg: Postgres | undefined;
const pgAvailable = postgresAvailable();
beforeAll(async () => {
  if (pgAvailable) pg = await startPostgres();
}, 30_000);
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const KINDS: Kind[] = [
  {
    name: "sqlite",
    available: true,
    async fresh() {
      const path = joinPath(dir, `${++files}.sqlite`);
      return { open: async () => wrap(openSqliteStore(path)) };
    },
  },
  {
    name: "postgres",
    available: pgAvailable,
    async fresh() {
      const url = await pg!.database();
      return { open: async () => wrap(await openPostgresStore(url)) };
    },
  },
];

const message = (room: string, i: number, extra: Partial<ArchivedMessage> = {}): ArchivedMessage => ({
  id: `${room}-${i}`,
  at: 1_767_000_000_000 + i * 1000, // ms since the epoch: beyond 32 bits
  stanza: `<message id="${i}"><body>${i}</body></message>`,
  nick: i % 2 ? "romeo" : "juliet",
  occupantId: `o-${i % 2}`,
  sender: i % 2 ? "romeo@example.net" : "juliet@example.com",
  retracted: false,
  ...extra,
});
const archive = (room: string, i: number, cap = 1000): Write => ({ op: "archive", room, message: message(room, i), cap });

const record = (jid: string, name = "", isPublic = true): StoredRoom => ({
  jid,
  config: { persistent: true, public: isPublic, name } as StoredRoom["config"],
  affiliations: [["romeo@example.net", "owner"], ["tybalt@example.org", "outcast", "Too quick to draw"], ["juliet@example.com", "member", "", "Juliet"]],
  subject: { text: "The balcony", from: `${jid}/Romeo`, by: "romeo@example.net", at: 5 } as StoredRoom["subject"],
  salt: "salt",
});
const occupant = (nick: string) => ({ nick, bareJid: `${nick.toLowerCase()}@example.net`, role: "participant" as const, sessions: [{ jid: `${nick.toLowerCase()}@example.net/x`, presence: "<presence/>" }] });
const stanza = undefined as never; // the store does not look at the request it answers
const query = (q: Partial<ArchiveQuery>): Extract<Read, { op: "archive-query" }> => ({ op: "archive-query", query: { room: A, limit: 10, backwards: false, ...q }, stanza });
const ids = (page: ArchivePage) => page.rows.map((r) => r.id.replace(`${A}-`, ""));

for (const kind of KINDS) {
  describe.skipIf(!kind.available)(`the ${kind.name} store`, () => {
    let db: Opened;
    const fresh = async () => {
      const database = await kind.fresh();
      db = await database.open();
      return database;
    };

    test("a room, its occupants and its newest messages are saved and loaded; an unknown room is null", async () => {
      await fresh();
      db.write({ op: "save-room", room: record(A, "Verona") }, { op: "save-occupant", room: A, key: "romeo", occupant: occupant("Romeo") }, { op: "save-occupant", room: A, key: "juliet", occupant: occupant("Juliet") });
      for (let i = 1; i <= 5; i++) db.write(archive(A, i));
      db.write({ op: "delete-occupant", room: A, key: "juliet" }, { op: "save-room", room: { ...record(A, "Verona, again"), vcard: "<vCard/>", avatarHash: "abc" } });
      await db.flush();
      const loaded = (await db.read({ op: "load-room", jid: A, history: 3 }))!;
      expect(loaded.room).toEqual({ ...record(A, "Verona, again"), vcard: "<vCard/>", avatarHash: "abc" });
      expect(loaded.history).toEqual([message(A, 3), message(A, 4), message(A, 5)]);
      expect(loaded.occupants).toEqual([{ key: "romeo", occupant: occupant("Romeo") }]);
      expect((await db.read({ op: "load-room", jid: A, history: 0 }))!.history).toEqual([]);
      expect(await db.read({ op: "load-room", jid: B, history: 3 })).toBeNull();
      db.write({ op: "delete-occupants", room: A });
      await db.flush();
      expect((await db.read({ op: "load-room", jid: A, history: 3 }))!.occupants).toEqual([]);
      await db.close();
    });

    test("deleting a room: its record and occupants go; its archive stays unless asked, and then its count goes too", async () => {
      await fresh();
      for (const jid of [A, B]) db.write({ op: "save-room", room: record(jid) }, { op: "save-occupant", room: jid, key: "romeo", occupant: occupant("Romeo") }, archive(jid, 1), archive(jid, 2));
      await db.flush();
      db.write({ op: "delete-room", jid: A, archive: false }, { op: "delete-room", jid: B, archive: true });
      await db.flush();
      expect(await db.read({ op: "load-room", jid: A, history: 5 })).toBeNull();
      expect(await db.rows("SELECT room, COUNT(*) AS n FROM archive GROUP BY room")).toEqual([{ room: A, n: 2 }]);
      expect(await db.rows("SELECT room, n FROM archive_counts ORDER BY room")).toEqual([{ room: A, n: 2 }]);
      expect(await db.rows("SELECT room FROM occupants")).toEqual([]);
      await db.close();
    });

    test("archive appends of one batch go in together: in order, each room trimmed to its cap, seen by reads and later writes in the batch", async () => {
      await fresh();
      // 150 for A and 3 for B, interleaved, in several write calls (as the runtime makes one per input).
      for (let i = 0; i < 150; i++) db.write(...(i < 3 ? [archive(A, i, 100), archive(B, i, 100)] : [archive(A, i, 100)]));
      const metadata = await db.read({ op: "archive-metadata", room: A, stanza });
      expect([metadata.first?.id, metadata.last?.id]).toEqual([`${A}-50`, `${A}-149`]);
      db.write(archive(A, 150, 100), { op: "retract", room: A, id: `${A}-150`, tombstone: "<gone/>" });
      await db.flush();
      const rows = await db.rows("SELECT id, stanza FROM archive WHERE room = ? ORDER BY seq", A);
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 100 }, (_, k) => `${A}-${k + 51}`));
      expect(rows.at(-1)!.stanza).toBe("<gone/>");
      expect(await db.rows("SELECT room, n FROM archive_counts ORDER BY room")).toEqual([{ room: A, n: 100 }, { room: B, n: 3 }]);
      // Later batches trim as one append at a time would: the oldest go first.
      for (let i = 151; i < 160; i++) db.write(archive(A, i, 95));
      await db.flush();
      const after = await db.rows("SELECT id FROM archive WHERE room = ? ORDER BY seq", A);
      expect(after.map((r) => r.id)).toEqual(Array.from({ length: 95 }, (_, k) => `${A}-${k + 65}`));
      expect(await db.rows("SELECT n FROM archive_counts WHERE room = ?", A)).toEqual([{ n: 95 }]);
      await db.close();
    });

    test("a retracted message keeps its place and id, with the tombstone for content", async () => {
      await fresh();
      db.write(archive(A, 1), archive(A, 2), { op: "retract", room: A, id: `${A}-1`, tombstone: "<message><retracted/></message>" });
      db.write({ op: "retract", room: B, id: `${A}-2`, tombstone: "<other-room/>" }); // another room's message is not touched
      await db.flush();
      expect(await db.read({ op: "archive-lookup", room: A, id: `${A}-1`, stanza })).toEqual({ ...message(A, 1), stanza: "<message><retracted/></message>", retracted: true });
      expect(await db.read({ op: "archive-lookup", room: A, id: `${A}-2`, stanza })).toEqual(message(A, 2));
      await db.close();
    });

    test("retention drops messages received before the limit, in every room, and their counts follow", async () => {
      await fresh();
      for (let i = 1; i <= 4; i++) db.write(archive(A, i), archive(B, i));
      db.write(archive(A, 10));
      await db.flush();
      db.write({ op: "expire", before: message(A, 5).at });
      await db.flush();
      expect(await db.rows("SELECT id FROM archive ORDER BY seq")).toEqual([{ id: `${A}-10` }]);
      expect(await db.rows("SELECT room, n FROM archive_counts ORDER BY room")).toEqual([{ room: A, n: 1 }]);
      // The count is right: the cap trims exactly what it should.
      db.write(archive(A, 11, 2), archive(A, 12, 2));
      await db.flush();
      expect((await db.rows("SELECT id FROM archive ORDER BY seq")).map((r) => r.id)).toEqual([`${A}-11`, `${A}-12`]);
      await db.close();
    });

    test("MAM queries: forward and backward pages with RSM cursors, the filters, counts", async () => {
      await fresh();
      for (let i = 1; i <= 9; i++) db.write(archive(A, i));
      db.write(archive(B, 100));
      await db.flush();
      const first = await db.read(query({ limit: 4 }));
      expect([ids(first), first.count, first.unknownId]).toEqual([["1", "2", "3", "4"], 9, false]);
      expect(ids(await db.read(query({ limit: 4, after: `${A}-4` })))).toEqual(["5", "6", "7", "8"]);
      expect(ids(await db.read(query({ limit: 4, after: `${A}-8` })))).toEqual(["9"]);
      // Backwards: the last page first ("before" empty: from the end), rows oldest first.
      expect(ids(await db.read(query({ limit: 4, backwards: true, before: "" })))).toEqual(["6", "7", "8", "9"]);
      expect(ids(await db.read(query({ limit: 4, backwards: true, before: `${A}-6` })))).toEqual(["2", "3", "4", "5"]);
      expect(ids(await db.read(query({ limit: 4, backwards: true, before: `${A}-2` })))).toEqual(["1"]);
      // Filters: time (inclusive), the sender's nick; the count ignores the cursor, not the filters.
      const timed = await db.read(query({ start: message(A, 3).at, end: message(A, 6).at, after: `${A}-3` }));
      expect([ids(timed), timed.count]).toEqual([["4", "5", "6"], 4]);
      const romeo = await db.read(query({ nick: "romeo" }));
      expect([ids(romeo), romeo.count]).toEqual([["1", "3", "5", "7", "9"], 5]);
      expect((await db.read(query({ room: "nobody@muc.example.org" }))).count).toBe(0);
      await db.close();
    });

    test("MAM extended queries (urn:xmpp:mam:2#extended): exclusive id limits, id lists; unknown ids say so", async () => {
      await fresh();
      for (let i = 1; i <= 9; i++) db.write(archive(A, i));
      db.write(archive(B, 1));
      await db.flush();
      const range = await db.read(query({ afterId: `${A}-2`, beforeId: `${A}-6` }));
      expect([ids(range), range.count]).toEqual([["3", "4", "5"], 3]);
      expect(ids(await db.read(query({ afterId: `${A}-2`, beforeId: `${A}-6`, backwards: true, limit: 2, before: "" })))).toEqual(["4", "5"]);
      const listed = await db.read(query({ ids: [`${A}-7`, `${A}-2`, `${B}-1`] })); // another room's id is not found in this one
      expect([ids(listed), listed.count]).toEqual([["2", "7"], 2]);
      expect(await db.read(query({ ids: [] }))).toEqual({ rows: [], count: 0, unknownId: false });
      // An unknown id as a limit: nothing matches; as a cursor: the count is known, the page is not.
      expect(await db.read(query({ afterId: "nope" }))).toEqual({ rows: [], count: 0, unknownId: true });
      expect(await db.read(query({ beforeId: `${B}-1` }))).toEqual({ rows: [], count: 0, unknownId: true });
      expect(await db.read(query({ after: "nope" }))).toEqual({ rows: [], count: 9, unknownId: true });
      expect(await db.read(query({ before: "nope", backwards: true }))).toEqual({ rows: [], count: 9, unknownId: true });
      await db.close();
    });

    test("a lookup by id finds the room's message only; metadata names the first and the last", async () => {
      await fresh();
      expect(await db.read({ op: "archive-metadata", room: A, stanza })).toEqual({});
      db.write(archive(A, 1), archive(A, 2), archive(A, 3), archive(B, 1));
      await db.flush();
      expect(await db.read({ op: "archive-lookup", room: A, id: `${A}-2`, stanza })).toEqual(message(A, 2));
      expect(await db.read({ op: "archive-lookup", room: A, id: `${B}-1`, stanza })).toBeNull();
      expect(await db.read({ op: "archive-lookup", room: A, id: "nope", stanza })).toBeNull();
      expect(await db.read({ op: "archive-metadata", room: A, stanza })).toEqual({ first: message(A, 1), last: message(A, 3) });
      await db.close();
    });

    test("the directory: public rooms only, by JID, a page at a time after a cursor", async () => {
      await fresh();
      const jids = ["delta", "alpha", "charlie", "bravo", "echo"].map((n) => `${n}@muc.example.org`);
      for (const jid of jids) db.write({ op: "save-room", room: record(jid, `Room ${jid[0]}`, jid !== "charlie@muc.example.org") });
      await db.flush();
      const page1 = await db.read({ op: "directory", limit: 2, stanza });
      expect(page1).toEqual({ rooms: [{ jid: "alpha@muc.example.org", name: "Room a" }, { jid: "bravo@muc.example.org", name: "Room b" }] });
      const page2 = await db.read({ op: "directory", after: "bravo@muc.example.org", limit: 2, stanza });
      expect(page2.rooms.map((r) => r.jid)).toEqual(["delta@muc.example.org", "echo@muc.example.org"]);
      expect((await db.read({ op: "directory", after: "echo@muc.example.org", limit: 2, stanza })).rooms).toEqual([]);
      // A room made private leaves the directory.
      db.write({ op: "save-room", room: record("alpha@muc.example.org", "Room a", false) });
      await db.flush();
      expect((await db.read({ op: "directory", limit: 10, stanza })).rooms.map((r) => r.jid)).toEqual(["bravo@muc.example.org", "delta@muc.example.org", "echo@muc.example.org"]);
      await db.close();
    });

    test("the room list (admin commands with several processes): every stored room, by JID, with its stored occupants, at most the limit", async () => {
      await fresh();
      for (const jid of [B, A]) db.write({ op: "save-room", room: record(jid, jid === A ? "Verona" : "") });
      db.write({ op: "save-occupant", room: A, key: "romeo", occupant: occupant("Romeo") }, { op: "save-occupant", room: A, key: "juliet", occupant: occupant("Juliet") });
      db.write({ op: "save-room", room: record("z@muc.example.org", "", false) });
      await db.flush();
      expect(await db.read({ op: "room-list", limit: 10, stanza })).toEqual({
        rooms: [
          { jid: A, name: "Verona", occupants: 2 },
          { jid: B, name: "", occupants: 0 },
          { jid: "z@muc.example.org", name: "", occupants: 0 },
        ],
      });
      expect((await db.read({ op: "room-list", limit: 2, stanza })).rooms.map((r) => r.jid)).toEqual([A, B]);
      await db.close();
    });

    test("a read inside an uncommitted batch sees the batch's writes; another connection sees them only after the commit", async () => {
      const database = await fresh();
      const other = await database.open();
      db.write({ op: "save-room", room: record(A, "Verona") }, archive(A, 1));
      expect((await db.read({ op: "load-room", jid: A, history: 5 }))?.history).toEqual([message(A, 1)]);
      db.write(archive(A, 2)); // after the read, in the same batch
      expect((await db.read({ op: "archive-query", query: { room: A, limit: 5, backwards: false }, stanza })).count).toBe(2);
      expect(await other.read({ op: "load-room", jid: A, history: 5 })).toBeNull();
      await db.flush();
      expect((await other.read({ op: "load-room", jid: A, history: 5 }))?.history).toEqual([message(A, 1), message(A, 2)]);
      await other.close();
      await db.close();
    });

    test("a batch is committed whole or not at all: one failing write (a duplicate id) rolls back the others, and the next batch works", async () => {
      const database = await fresh();
      db.write(archive(A, 1));
      await db.flush();
      db.write({ op: "save-room", room: record(B) }, archive(B, 1), { op: "save-occupant", room: B, key: "romeo", occupant: occupant("Romeo") });
      expect(await db.read({ op: "load-room", jid: B, history: 1 })).not.toBeNull();
      db.write(archive(A, 1)); // the same stanza-id again: refused by the database
      let failed: unknown;
      try {
        await db.flush();
      } catch (error) {
        failed = error;
      }
      expect(String(failed)).toMatch(/unique|duplicate/i);
      const other = await database.open();
      for (const view of [db, other]) {
        expect(await view.read({ op: "load-room", jid: B, history: 1 })).toBeNull();
        expect((await view.rows("SELECT id FROM archive")).map((r) => r.id)).toEqual([`${A}-1`]);
        expect(await view.rows("SELECT room, n FROM archive_counts")).toEqual([{ room: A, n: 1 }]);
      }
      db.write({ op: "save-room", room: record(B) }, archive(B, 2));
      await db.flush();
      expect((await other.read({ op: "load-room", jid: B, history: 5 }))?.history.map((m) => m.id)).toEqual([`${B}-2`]);
      await other.close();
      await db.close();
    });

    test("writes that fail when a read sends them: the read fails, the batch goes whole, flush says so once, the next batch works", async () => {
      await fresh();
      db.write(archive(A, 1));
      await db.flush();
      db.write({ op: "save-room", room: record(B) }, archive(A, 1));
      const read = await db.read({ op: "load-room", jid: B, history: 1 }).then(
        () => "answered",
        (error) => String(error),
      );
      expect(read).toMatch(/unique|duplicate/i);
      db.write({ op: "save-occupant", room: B, key: "romeo", occupant: occupant("Romeo") }); // later in the same (lost) batch
      expect(await db.flush().then(() => "committed", (error) => String(error))).toMatch(/unique|duplicate/i);
      expect(await db.read({ op: "load-room", jid: B, history: 1 })).toBeNull();
      expect(await db.rows("SELECT room FROM occupants")).toEqual([]);
      db.write({ op: "save-room", room: record(B) });
      await db.flush();
      expect(await db.read({ op: "load-room", jid: B, history: 1 })).not.toBeNull();
      await db.close();
    });

    test("two connections writing different rooms at once, batch after batch: no busy errors, no lost rows, counts exact", async () => {
      const database = await fresh();
      const other = await database.open();
      const writers = [
        { store: db, room: A },
        { store: other, room: B },
      ];
      await Promise.all(
        writers.map(async ({ store, room }) => {
          for (let batch = 0; batch < 20; batch++) {
            store.write({ op: "save-room", room: record(room, `batch ${batch}`) });
            for (let i = 0; i < 10; i++) store.write(archive(room, batch * 10 + i, 150));
            await store.flush();
            await new Promise((resolve) => setTimeout(resolve, 0)); // let the other one in between
          }
        }),
      );
      for (const { room } of writers) {
        const rows = await db.rows("SELECT id FROM archive WHERE room = ? ORDER BY seq", room);
        expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 150 }, (_, k) => `${room}-${k + 50}`));
        expect((await db.read({ op: "load-room", jid: room, history: 0 }))!.room.config.name).toBe("batch 19");
      }
      expect(await db.rows("SELECT room, n FROM archive_counts ORDER BY room")).toEqual([{ room: A, n: 150 }, { room: B, n: 150 }]);
      await other.close();
      await db.close();
    });
  });
}
