// The embedded store: one SQLite file through bun:sqlite (WAL mode), carrying out
// the core's writes and answering its reads (lib/storage.ts). Writes of one
// batch go into one transaction, opened by the first write and committed by
// flush(); reads inside the batch see them (same connection). Archive appends, the
// bulk of the writes, are held until the batch's next other write, read or commit,
// and then go in as multi-row INSERTs, with one count update (and trim) per room:
// a statement per ~64 messages instead of two per message, in the same order and
// the same transaction.
//
// They go into a staging table first (archive_staged), with no index by room: a
// commit then writes the few pages at its end, where the archive's index by room
// would have had one page per room the batch's messages went to (with 50 busy rooms,
// ~40 pages of WAL a commit: three quarters of the archive's cost on disk). Every
// STAGE_ROWS rows, and before anything else reads or changes the archive, the staged
// rows move into the archive proper in one statement (each room's index page is then
// written once for all its rows): so every other query reads the archive alone, as
// before. The schema is created and migrated here: PRAGMA user_version counts the
// migrations applied.
import { Database } from "bun:sqlite";
import type { ArchivedMessage, ArchivePage, ArchiveQuery, LoadedRoom, Read, ReadResult, Store, StoredOccupant, StoredRoom, Write } from "../storage.ts";

/** Each migration takes the schema from version i to i+1. Never edit one that has shipped: add one. */
export const MIGRATIONS: readonly string[] = [
  // 1: rooms and their archive
  `CREATE TABLE rooms (
     jid TEXT PRIMARY KEY,
     public INTEGER NOT NULL,
     name TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX rooms_public ON rooms (public, jid);
   CREATE TABLE archive (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     room TEXT NOT NULL,
     id TEXT NOT NULL UNIQUE,
     at INTEGER NOT NULL,
     nick TEXT NOT NULL,
     stanza TEXT NOT NULL
   );
   CREATE INDEX archive_room ON archive (room, seq);`,
  // 2: occupant ids, moderation (tombstones), senders, and the occupants of persistent rooms
  `ALTER TABLE archive ADD COLUMN occupant_id TEXT NOT NULL DEFAULT '';
   ALTER TABLE archive ADD COLUMN sender TEXT NOT NULL DEFAULT '';
   ALTER TABLE archive ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX archive_at ON archive (at);
   CREATE TABLE occupants (
     room TEXT NOT NULL,
     key TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (room, key)
   );
   -- messages per room, so that keeping a room's archive under its cap costs O(1) per message
   CREATE TABLE archive_counts (room TEXT PRIMARY KEY, n INTEGER NOT NULL);
   INSERT INTO archive_counts (room, n) SELECT room, COUNT(*) FROM archive GROUP BY room;`,
  // 3: new archive rows are staged, in append order, until they move into the archive in bulk
  `CREATE TABLE archive_staged (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     room TEXT NOT NULL,
     id TEXT NOT NULL UNIQUE,
     at INTEGER NOT NULL,
     nick TEXT NOT NULL,
     stanza TEXT NOT NULL,
     occupant_id TEXT NOT NULL,
     sender TEXT NOT NULL
   );
   -- its seq continues the archive's: one order over both, never a number used twice
   INSERT INTO sqlite_sequence (name, seq)
     SELECT 'archive_staged', MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'archive'), 0), COALESCE((SELECT MAX(seq) FROM archive), 0));
   -- an id is unique over both tables, as it was in the archive alone
   CREATE TRIGGER archive_staged_id BEFORE INSERT ON archive_staged
     WHEN EXISTS (SELECT 1 FROM archive WHERE id = NEW.id)
     BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: archive.id'); END;`,
];

/** Staged archive rows beyond which they move into the archive at the next commit. */
export const STAGE_ROWS = 2048;

type Row = { id: string; at: number; stanza: string; nick: string; occupant_id: string; sender: string; retracted: number };

const toMessage = (row: Row): ArchivedMessage => ({
  id: row.id,
  at: row.at,
  stanza: row.stanza,
  nick: row.nick,
  occupantId: row.occupant_id,
  sender: row.sender,
  retracted: row.retracted === 1,
});

/** Open (creating and migrating as needed) the store in `path` (":memory:" for a throwaway one). */
export type SqliteStore = Omit<Store, "read"> & {
  /** Synchronous: the answer, never a promise. */
  read<R extends Read>(read: R): ReadResult<R>;
  db: Database;
  schemaVersion(): number;
  probe(): string | undefined;
  /** Commit the batch, with every staged archive row moved into the archive (for a look at the tables). */
  settle(): void;
};

export function openSqliteStore(path: string): SqliteStore {
  const db = new Database(path, { create: true, strict: true });
  // First: another process holding the file's lock makes us wait (up to 5 s), not fail.
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL"); // WAL + NORMAL: durable at each checkpoint, and a crash never corrupts
  migrate(db);

  const q = {
    room: db.query<{ data: string }, [string]>("SELECT data FROM rooms WHERE jid = ?"),
    occupants: db.query<{ key: string; data: string }, [string]>("SELECT key, data FROM occupants WHERE room = ?"),
    lastMessages: db.query<Row, [string, number]>("SELECT * FROM (SELECT * FROM archive WHERE room = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq"),
    saveRoom: db.query("INSERT INTO rooms (jid, public, name, data) VALUES (?, ?, ?, ?) ON CONFLICT (jid) DO UPDATE SET public = excluded.public, name = excluded.name, data = excluded.data"),
    deleteRoom: db.query("DELETE FROM rooms WHERE jid = ?"),
    deleteArchive: db.query("DELETE FROM archive WHERE room = ?"),
    deleteOccupants: db.query("DELETE FROM occupants WHERE room = ?"),
    saveOccupant: db.query("INSERT INTO occupants (room, key, data) VALUES (?, ?, ?) ON CONFLICT (room, key) DO UPDATE SET data = excluded.data"),
    deleteOccupant: db.query("DELETE FROM occupants WHERE room = ? AND key = ?"),
    trim: db.query("DELETE FROM archive WHERE seq IN (SELECT seq FROM archive WHERE room = ? ORDER BY seq LIMIT ?)"),
    setCount: db.query("UPDATE archive_counts SET n = ? WHERE room = ?"),
    deleteCount: db.query("DELETE FROM archive_counts WHERE room = ?"),
    recount: db.query("UPDATE archive_counts SET n = (SELECT COUNT(*) FROM archive WHERE archive.room = archive_counts.room)"),
    dropEmptyCounts: db.query("DELETE FROM archive_counts WHERE n = 0"),
    retract: db.query("UPDATE archive SET stanza = ?, retracted = 1 WHERE room = ? AND id = ?"),
    expire: db.query("DELETE FROM archive WHERE at < ?"),
    seqOf: db.query<{ seq: number }, [string, string]>("SELECT seq FROM archive WHERE room = ? AND id = ?"),
    lookup: db.query<Row, [string, string]>("SELECT * FROM archive WHERE room = ? AND id = ?"),
    first: db.query<Row, [string]>("SELECT * FROM archive WHERE room = ? ORDER BY seq LIMIT 1"),
    last: db.query<Row, [string]>("SELECT * FROM archive WHERE room = ? ORDER BY seq DESC LIMIT 1"),
    anyStaged: db.query<{ one: number }, []>("SELECT 1 AS one FROM archive_staged LIMIT 1"),
    moveStaged: db.query(
      "INSERT INTO archive (seq, room, id, at, nick, stanza, occupant_id, sender, retracted) SELECT seq, room, id, at, nick, stanza, occupant_id, sender, 0 FROM archive_staged ORDER BY seq",
    ),
    clearStaged: db.query("DELETE FROM archive_staged"),
    directory: db.query<{ jid: string; name: string }, [string, number]>("SELECT jid, name FROM rooms WHERE public = 1 AND jid > ? ORDER BY jid LIMIT ?"),
    roomList: db.query<{ jid: string; name: string; occupants: number }, [number]>(
      "SELECT jid, name, (SELECT COUNT(*) FROM occupants WHERE occupants.room = rooms.jid) AS occupants FROM rooms ORDER BY jid LIMIT ?",
    ),
  };

  // Archive appends waiting for the next flushPending(): their rows, flat (ROW_PARAMS each), and per room the cap.
  const ROW_PARAMS = 7;
  const CHUNK = 64;
  let pendingRows: (string | number)[] = [];
  let pendingCaps = new Map<string, number>();
  const inserts = new Map<number, ReturnType<typeof db.query>>();
  const insertOf = (rows: number) => {
    let statement = inserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?)").join(", ");
      statement = db.query(`INSERT INTO archive_staged (room, id, at, nick, stanza, occupant_id, sender) VALUES ${values}`);
      inserts.set(rows, statement);
    }
    return statement;
  };
  const counts = new Map<number, ReturnType<typeof db.query<{ room: string; n: number }, (string | number)[]>>>();
  const countsOf = (rooms: number) => {
    let statement = counts.get(rooms);
    if (!statement) {
      const values = Array.from({ length: rooms }, () => "(?, ?)").join(", ");
      statement = db.query(`INSERT INTO archive_counts (room, n) VALUES ${values} ON CONFLICT (room) DO UPDATE SET n = n + excluded.n RETURNING room, n`);
      counts.set(rooms, statement);
    }
    return statement;
  };

  /** The held archive appends, in order; then each room's count (one statement for all), trimmed to its cap (as after each append: the same rows remain). */
  function flushPending(): void {
    if (pendingRows.length === 0) return;
    const rows = pendingRows;
    const caps = pendingCaps;
    pendingRows = [];
    pendingCaps = new Map();
    const total = rows.length / ROW_PARAMS;
    const added = new Map<string, number>();
    for (let i = 0; i < rows.length; i += ROW_PARAMS) added.set(rows[i] as string, (added.get(rows[i] as string) ?? 0) + 1);
    let at = 0;
    for (; at + CHUNK <= total; at += CHUNK) insertOf(CHUNK).run(...rows.slice(at * ROW_PARAMS, (at + CHUNK) * ROW_PARAMS));
    if (at < total) insertOf(total - at).run(...rows.slice(at * ROW_PARAMS));
    staged += total;
    const pairs = [...added].flat();
    for (let i = 0; i < pairs.length; i += 2 * CHUNK) {
      const chunk = pairs.slice(i, i + 2 * CHUNK);
      for (const { room, n } of countsOf(chunk.length / 2).all(...chunk)) {
        const cap = caps.get(room)!;
        // The oldest rows go first, and the staged ones are the newest: trimmed in the archive proper.
        if (n > cap) settle(), q.trim.run(room, n - cap), q.setCount.run(cap, room);
      }
    }
  }

  /** Staged rows this connection knows of (another process's are found by settle()'s probe). */
  let staged = 0;
  /** Move every staged row into the archive, in the open transaction (one is opened if none is). */
  function settle(): void {
    if (staged === 0 && q.anyStaged.get() === null) return;
    begin();
    q.moveStaged.run();
    q.clearStaged.run();
    staged = 0;
  }

  // IMMEDIATE: the write lock now, waiting for another process's batch (busy_timeout). A
  // deferred BEGIN would read first and upgrade later, and that upgrade fails at once with
  // SQLITE_BUSY when another process wrote meanwhile, whatever busy_timeout says.
  let open = false;
  const begin = () => {
    if (!open) db.exec("BEGIN IMMEDIATE");
    open = true;
  };

  /** Commit the open batch (if any), moving the staged rows into the archive when there are STAGE_ROWS of them, or all of them. */
  function commit(allStaged: boolean): void {
    try {
      flushPending();
      if (allStaged || staged >= STAGE_ROWS) settle();
    } catch (error) {
      rollback();
      throw error;
    }
    if (open) db.exec("COMMIT");
    open = false;
  }

  /** The batch's writes failed when a read sent them: flush() throws this (the batch is rolled back). */
  let failure: unknown;
  /** A batch whose writes failed goes whole: none of it is committed later by accident. */
  function rollback(): void {
    pendingRows = [];
    pendingCaps = new Map();
    open = false;
    if (db.inTransaction) db.exec("ROLLBACK");
  }

  function apply(w: Write): void {
    switch (w.op) {
      case "save-room": {
        const r: StoredRoom = w.room;
        q.saveRoom.run(r.jid, r.config.public ? 1 : 0, r.config.name, JSON.stringify(r));
        break;
      }
      case "delete-room":
        q.deleteRoom.run(w.jid);
        q.deleteOccupants.run(w.jid);
        if (w.archive) settle(), q.deleteArchive.run(w.jid), q.deleteCount.run(w.jid);
        break;
      case "save-occupant":
        q.saveOccupant.run(w.room, w.key, JSON.stringify(w.occupant));
        break;
      case "delete-occupant":
        q.deleteOccupant.run(w.room, w.key);
        break;
      case "delete-occupants":
        q.deleteOccupants.run(w.room);
        break;
      case "archive": {
        const m = w.message;
        pendingRows.push(w.room, m.id, m.at, m.nick, m.stanza, m.occupantId, m.sender);
        pendingCaps.set(w.room, w.cap);
        break;
      }
      case "retract":
        settle();
        q.retract.run(w.tombstone, w.room, w.id);
        break;
      case "expire":
        settle();
        q.expire.run(w.before);
        q.recount.run();
        q.dropEmptyCounts.run();
        break;
    }
  }

  function loadRoom(jid: string, history: number): LoadedRoom | null {
    const row = q.room.get(jid);
    if (!row) return null;
    return {
      room: JSON.parse(row.data) as StoredRoom,
      history: history > 0 ? q.lastMessages.all(jid, history).map(toMessage) : [],
      occupants: q.occupants.all(jid).map((o) => ({ key: o.key, occupant: JSON.parse(o.data) as StoredOccupant })),
    };
  }

  function archiveQuery(query: ArchiveQuery): ArchivePage {
    const where = ["room = ?"];
    const args: (string | number)[] = [query.room];
    if (query.start !== undefined) where.push("at >= ?"), args.push(query.start);
    if (query.end !== undefined) where.push("at <= ?"), args.push(query.end);
    if (query.nick !== undefined) where.push("nick = ?"), args.push(query.nick);
    for (const [id, op] of [[query.afterId, ">"], [query.beforeId, "<"]] as const) {
      if (id === undefined) continue;
      const found = q.seqOf.get(query.room, id);
      if (!found) return { rows: [], count: 0, unknownId: true };
      where.push(`seq ${op} ?`), args.push(found.seq);
    }
    if (query.ids) {
      where.push(`id IN (${query.ids.map(() => "?").join(",") || "NULL"})`);
      args.push(...query.ids);
    }
    const filter = where.join(" AND ");
    const count = (db.query(`SELECT COUNT(*) AS n FROM archive WHERE ${filter}`).get(...args) as { n: number }).n;
    const cursor: string[] = [];
    const cursorArgs: number[] = [];
    for (const [id, op] of [[query.after, ">"], [query.before || undefined, "<"]] as const) {
      if (id === undefined) continue;
      const found = q.seqOf.get(query.room, id);
      if (!found) return { rows: [], count, unknownId: true };
      cursor.push(`seq ${op} ?`), cursorArgs.push(found.seq);
    }
    const all = [filter, ...cursor].join(" AND ");
    const order = query.backwards ? "DESC" : "ASC";
    const rows = db.query(`SELECT * FROM archive WHERE ${all} ORDER BY seq ${order} LIMIT ?`).all(...args, ...cursorArgs, query.limit) as Row[];
    if (query.backwards) rows.reverse();
    return { rows: rows.map(toMessage), count, unknownId: false };
  }

  function read<R extends Read>(r: R): ReadResult<R> {
    try {
      flushPending(); // a read sees every write before it
    } catch (error) {
      rollback(); // the batch is lost: none of it is committed, and flush() says so
      failure = error;
      throw error;
    }
    // What reads the archive reads the archive proper: the staged rows join it first.
    if ((r.op === "load-room" && r.history > 0) || r.op === "archive-query" || r.op === "archive-lookup" || r.op === "archive-metadata") settle();
    switch (r.op) {
      case "load-room":
        return loadRoom(r.jid, r.history) as ReadResult<R>;
      case "archive-query":
        return archiveQuery(r.query) as ReadResult<R>;
      case "archive-lookup": {
        const row = q.lookup.get(r.room, r.id);
        return (row ? toMessage(row) : null) as ReadResult<R>;
      }
      case "archive-metadata": {
        const first = q.first.get(r.room);
        const last = q.last.get(r.room);
        return { ...(first ? { first: toMessage(first) } : {}), ...(last ? { last: toMessage(last) } : {}) } as ReadResult<R>;
      }
      case "directory":
        return { rooms: q.directory.all(r.after ?? "", r.limit) } as ReadResult<R>;
      case "room-list":
        return { rooms: q.roomList.all(r.limit) } as ReadResult<R>;
    }
    throw new Error(`unknown read ${(r as Read).op}`);
  }

  return {
    db,
    schemaVersion: () => (db.query("PRAGMA user_version").get() as { user_version: number }).user_version,
    read,
    write(writes: readonly Write[]) {
      if (writes.length === 0) return;
      begin();
      try {
        for (const w of writes) {
          if (w.op !== "archive") flushPending(); // other writes keep their place after the appends before them
          apply(w);
        }
      } catch (error) {
        rollback();
        throw error;
      }
    },
    flush() {
      if (failure !== undefined) {
        const error = failure;
        failure = undefined;
        rollback();
        throw error;
      }
      if (open) commit(false);
    },
    probe() {
      try {
        if (db.inTransaction) return undefined; // a batch is open: its commit will tell
        const { user_version } = db.query("PRAGMA user_version").get() as { user_version: number };
        db.exec(`PRAGMA user_version = ${user_version}`); // a real write of the header, changing nothing
        return undefined;
      } catch (error) {
        return `a test write failed: ${(error as Error).message}`;
      }
    },
    settle: () => commit(true),
    close() {
      if (open || staged > 0) commit(true); // nothing asked of a database closed under us (ops.test.ts)
      db.close();
    },
  };
}

/**
 * Bring the schema up to date, one migration per transaction. Each is IMMEDIATE and reads
 * the version inside it: a second process opening the file meanwhile waits for the lock,
 * then finds the migration done, and never applies it twice.
 */
export function migrate(db: Database, upTo = MIGRATIONS.length): void {
  const version = () => (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  for (;;) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const current = version();
      if (current > MIGRATIONS.length) throw new Error(`the database's schema (version ${current}) is newer than this service (${MIGRATIONS.length})`);
      if (current >= upTo) {
        db.exec("COMMIT");
        return;
      }
      db.exec(MIGRATIONS[current]!);
      db.exec(`PRAGMA user_version = ${current + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }
}
