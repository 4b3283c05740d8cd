// The shared store: PostgreSQL through Bun's built-in SQL client (Bun.sql), for
// service processes on several hosts (MUC_DATABASE=postgres://…). The same schema
// and the same answers as the SQLite store (sqlite.ts), asynchronously:
// - write() only queues (it returns nothing: the core's step stays synchronous);
// - every operation runs on one internal queue, in the order it was asked for, so a
//   read sees every write queued before it: if writes are pending, the read first
//   applies them inside the batch's transaction, which stays open (the read runs
//   in a savepoint of it, so a failed read costs only that read);
// - flush() applies what is left and commits: one transaction per batch, as with
//   SQLite. A batch whose writes failed is rolled back whole and flush() rejects.
// Archive appends go in as multi-row INSERTs, then one count upsert per batch
// (RETURNING each room's new count) and a trim to the cap, keeping exactly the
// rows sqlite.ts keeps. Several processes may share the database, each room
// written by one process at a time: upserts, per-room counts, locks taken in
// room order. The schema is created and migrated on open, under an advisory lock
// (two processes starting together do not race); schema_version counts the
// migrations applied, and a newer schema is refused.
import { SQL, type TransactionSQL } from "bun";
import type { ArchivedMessage, ArchivePage, ArchiveQuery, LoadedRoom, Read, ReadResult, Store, StoredOccupant, StoredRoom, Write } from "../storage.ts";

/** Each migration takes the schema from version i to i+1. Never edit one that has shipped: add one. */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the schema of sqlite.ts's second version, in one step (jids compare bytewise, as in SQLite)
  `CREATE TABLE rooms (
     jid TEXT COLLATE "C" PRIMARY KEY,
     public BOOLEAN NOT NULL,
     name TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX rooms_public ON rooms (public, jid);
   CREATE TABLE archive (
     seq BIGSERIAL PRIMARY KEY,
     room TEXT NOT NULL,
     id TEXT NOT NULL UNIQUE,
     at BIGINT NOT NULL,
     nick TEXT NOT NULL,
     stanza TEXT NOT NULL,
     occupant_id TEXT NOT NULL DEFAULT '',
     sender TEXT NOT NULL DEFAULT '',
     retracted BOOLEAN NOT NULL DEFAULT false
   );
   CREATE INDEX archive_room ON archive (room, seq);
   CREATE INDEX archive_at ON archive (at);
   CREATE TABLE occupants (
     room TEXT NOT NULL,
     key TEXT NOT NULL,
     data TEXT NOT NULL,
     PRIMARY KEY (room, key)
   );
   CREATE TABLE archive_counts (room TEXT COLLATE "C" PRIMARY KEY, n INTEGER NOT NULL);`,
];

/** Any number for pg_advisory_xact_lock: "muc!" as 32 bits. */
const MIGRATION_LOCK = 0x6d756321;

type Row = { seq: string; id: string; at: string | number; stanza: string; nick: string; occupant_id: string; sender: string; retracted: boolean };

const toMessage = (row: Row): ArchivedMessage => ({
  id: row.id,
  at: Number(row.at),
  stanza: row.stanza,
  nick: row.nick,
  occupantId: row.occupant_id,
  sender: row.sender,
  retracted: row.retracted,
});

/** A client to run statements on: the pool, a transaction, or a savepoint. */
type Client = Pick<SQL, "unsafe">;

export type PostgresStore = Omit<Store, "read" | "flush" | "close"> & {
  read<R extends Read>(read: R): Promise<ReadResult<R>>;
  flush(): Promise<void>;
  close(): Promise<void>;
  probe(): Promise<string | undefined>;
  sql: SQL;
  schemaVersion(): Promise<number>;
};

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

const ROW_PARAMS = 7;
/** Archive rows per INSERT (7 parameters each; PostgreSQL takes up to 65535). */
const CHUNK = 256;

/** Open (creating and migrating as needed) the store in the database at `url`. */
export async function openPostgresStore(url: string, options: { max?: number } = {}): Promise<PostgresStore> {
  const sql = new SQL(url, { max: options.max ?? 4, idleTimeout: 60, connectionTimeout: 10 });
  try {
    await migrate(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw error;
  }

  // The queue every operation runs on, one after the other.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const done = queue.then(run);
    queue = done.catch(() => {});
    return done;
  };

  /** Writes handed over and not yet sent to the database. */
  let pending: Write[] = [];
  /** The batch's transaction, open because a read had to see its writes; committed by flush(). */
  let session: { tx: TransactionSQL; commit(): void; abort(error: unknown): void; done: Promise<unknown> } | undefined;
  /** The batch's writes failed when a read sent them: the batch is rolled back, and flush() rejects with this. */
  let failure: unknown;

  const openSession = () =>
    new Promise<NonNullable<typeof session>>((resolve, reject) => {
      let end = { commit: () => {}, abort: (_: unknown) => {} };
      const ended = new Promise<void>((commit, abort) => (end = { commit, abort }));
      let opened = false;
      const done = sql.begin(async (tx) => {
        opened = true;
        resolve({ tx, commit: () => end.commit(), abort: (e) => end.abort(e), done });
        await ended;
      });
      done.catch((error) => {
        if (!opened) reject(error);
      });
    });

  /** Apply writes in order on `tx`: appends held until the next other write, then in bulk. */
  async function apply(tx: Client, writes: readonly Write[]): Promise<void> {
    let rows: (string | number)[] = [];
    let caps = new Map<string, number>();
    const appends = async () => {
      if (rows.length === 0) return;
      await appendAll(tx, rows, caps);
      rows = [];
      caps = new Map();
    };
    for (const w of writes) {
      if (w.op === "archive") {
        const m = w.message;
        rows.push(w.room, m.id, m.at, m.nick, m.stanza, m.occupantId, m.sender);
        caps.set(w.room, w.cap);
        continue;
      }
      await appends();
      switch (w.op) {
        case "save-room": {
          const r: StoredRoom = w.room;
          await tx.unsafe(
            "INSERT INTO rooms (jid, public, name, data) VALUES ($1, $2, $3, $4) ON CONFLICT (jid) DO UPDATE SET public = excluded.public, name = excluded.name, data = excluded.data",
            [r.jid, r.config.public === true, r.config.name, JSON.stringify(r)],
          );
          break;
        }
        case "delete-room":
          await tx.unsafe("DELETE FROM rooms WHERE jid = $1", [w.jid]);
          await tx.unsafe("DELETE FROM occupants WHERE room = $1", [w.jid]);
          if (w.archive) {
            await tx.unsafe("DELETE FROM archive WHERE room = $1", [w.jid]);
            await tx.unsafe("DELETE FROM archive_counts WHERE room = $1", [w.jid]);
          }
          break;
        case "save-occupant":
          await tx.unsafe("INSERT INTO occupants (room, key, data) VALUES ($1, $2, $3) ON CONFLICT (room, key) DO UPDATE SET data = excluded.data", [
            w.room,
            w.key,
            JSON.stringify(w.occupant),
          ]);
          break;
        case "delete-occupant":
          await tx.unsafe("DELETE FROM occupants WHERE room = $1 AND key = $2", [w.room, w.key]);
          break;
        case "delete-occupants":
          await tx.unsafe("DELETE FROM occupants WHERE room = $1", [w.room]);
          break;
        case "retract":
          await tx.unsafe("UPDATE archive SET stanza = $1, retracted = true WHERE room = $2 AND id = $3", [w.tombstone, w.room, w.id]);
          break;
        case "expire": {
          // Only the rooms that lost messages are recounted, their counts locked in room order
          // (another process may be appending to them; no lock cycle between processes).
          const gone = (await tx.unsafe("DELETE FROM archive WHERE at < $1::bigint RETURNING room", [w.before])) as { room: string }[];
          const lost = new Map<string, number>();
          for (const { room } of gone) lost.set(room, (lost.get(room) ?? 0) + 1);
          const rooms = [...lost.keys()].sort();
          for (let i = 0; i < rooms.length; i += CHUNK) {
            const chunk = rooms.slice(i, i + CHUNK);
            const list = chunk.map((_, k) => `$${k + 1}`).join(", ");
            await tx.unsafe(`SELECT room FROM archive_counts WHERE room IN (${list}) ORDER BY room FOR UPDATE`, chunk);
            const pairs = chunk.flatMap((room) => [room, lost.get(room)!]);
            const values = chunk.map((_, k) => `($${2 * k + 1}, $${2 * k + 2}::integer)`).join(", ");
            await tx.unsafe(`UPDATE archive_counts SET n = archive_counts.n - v.lost FROM (VALUES ${values}) AS v (room, lost) WHERE archive_counts.room = v.room`, pairs);
          }
          await tx.unsafe("DELETE FROM archive_counts WHERE n <= 0");
          break;
        }
      }
    }
    await appends();
  }

  /** The held appends, in order; then each room's count (one upsert for all, in room order), trimmed to its cap. */
  async function appendAll(tx: Client, rows: (string | number)[], caps: Map<string, number>): Promise<void> {
    const total = rows.length / ROW_PARAMS;
    for (let at = 0; at < total; at += CHUNK) {
      const n = Math.min(CHUNK, total - at);
      const values = Array.from({ length: n }, (_, r) => `(${Array.from({ length: ROW_PARAMS }, (_, c) => `$${r * ROW_PARAMS + c + 1}${c === 2 ? "::bigint" : ""}`).join(", ")}, false)`).join(", ");
      await tx.unsafe(`INSERT INTO archive (room, id, at, nick, stanza, occupant_id, sender, retracted) VALUES ${values}`, rows.slice(at * ROW_PARAMS, (at + n) * ROW_PARAMS));
    }
    const added = new Map<string, number>();
    for (let i = 0; i < rows.length; i += ROW_PARAMS) added.set(rows[i] as string, (added.get(rows[i] as string) ?? 0) + 1);
    const rooms = [...added.keys()].sort();
    for (let i = 0; i < rooms.length; i += CHUNK) {
      const chunk = rooms.slice(i, i + CHUNK);
      const values = chunk.map((_, k) => `($${2 * k + 1}, $${2 * k + 2}::integer)`).join(", ");
      const counted = (await tx.unsafe(
        `INSERT INTO archive_counts (room, n) VALUES ${values} ON CONFLICT (room) DO UPDATE SET n = archive_counts.n + excluded.n RETURNING room, n`,
        chunk.flatMap((room) => [room, added.get(room)!]),
      )) as { room: string; n: number }[];
      for (const { room, n } of counted) {
        const cap = caps.get(room)!;
        if (n <= cap) continue;
        await tx.unsafe("DELETE FROM archive WHERE seq IN (SELECT seq FROM archive WHERE room = $1 ORDER BY seq LIMIT $2::integer)", [room, n - cap]);
        await tx.unsafe("UPDATE archive_counts SET n = $1::integer WHERE room = $2", [cap, room]);
      }
    }
  }

  async function loadRoom(c: Client, jid: string, history: number): Promise<LoadedRoom | null> {
    const [row] = (await c.unsafe("SELECT data FROM rooms WHERE jid = $1", [jid])) as { data: string }[];
    if (!row) return null;
    const last = history > 0 ? ((await c.unsafe("SELECT * FROM (SELECT * FROM archive WHERE room = $1 ORDER BY seq DESC LIMIT $2::integer) AS last ORDER BY seq", [jid, history])) as Row[]) : [];
    const occupants = (await c.unsafe("SELECT key, data FROM occupants WHERE room = $1", [jid])) as { key: string; data: string }[];
    return {
      room: JSON.parse(row.data) as StoredRoom,
      history: last.map(toMessage),
      occupants: occupants.map((o) => ({ key: o.key, occupant: JSON.parse(o.data) as StoredOccupant })),
    };
  }

  async function archiveQuery(c: Client, query: ArchiveQuery): Promise<ArchivePage> {
    const args: (string | number)[] = [];
    const arg = (value: string | number, cast = "") => (args.push(value), `$${args.length}${cast}`);
    const seqOf = async (id: string) => ((await c.unsafe("SELECT seq FROM archive WHERE room = $1 AND id = $2", [query.room, id])) as { seq: string }[])[0]?.seq;
    const where = [`room = ${arg(query.room)}`];
    if (query.start !== undefined) where.push(`at >= ${arg(query.start, "::bigint")}`);
    if (query.end !== undefined) where.push(`at <= ${arg(query.end, "::bigint")}`);
    if (query.nick !== undefined) where.push(`nick = ${arg(query.nick)}`);
    for (const [id, op] of [[query.afterId, ">"], [query.beforeId, "<"]] as const) {
      if (id === undefined) continue;
      const seq = await seqOf(id);
      if (seq === undefined) return { rows: [], count: 0, unknownId: true };
      where.push(`seq ${op} ${arg(seq, "::bigint")}`);
    }
    if (query.ids) where.push(query.ids.length ? `id IN (${query.ids.map((id) => arg(id)).join(", ")})` : "false");
    const filter = where.join(" AND ");
    const [{ n }] = (await c.unsafe(`SELECT COUNT(*) AS n FROM archive WHERE ${filter}`, args)) as [{ n: string }];
    const count = Number(n);
    const cursor: string[] = [];
    for (const [id, op] of [[query.after, ">"], [query.before || undefined, "<"]] as const) {
      if (id === undefined) continue;
      const seq = await seqOf(id);
      if (seq === undefined) return { rows: [], count, unknownId: true };
      cursor.push(`seq ${op} ${arg(seq, "::bigint")}`);
    }
    const all = [filter, ...cursor].join(" AND ");
    const order = query.backwards ? "DESC" : "ASC";
    const rows = [...((await c.unsafe(`SELECT * FROM archive WHERE ${all} ORDER BY seq ${order} LIMIT ${arg(query.limit, "::integer")}`, args)) as Row[])];
    if (query.backwards) rows.reverse();
    return { rows: rows.map(toMessage), count, unknownId: false };
  }

  async function answer<R extends Read>(c: Client, r: R): Promise<ReadResult<R>> {
    switch (r.op) {
      case "load-room":
        return (await loadRoom(c, r.jid, r.history)) as ReadResult<R>;
      case "archive-query":
        return (await archiveQuery(c, r.query)) as ReadResult<R>;
      case "archive-lookup": {
        const [row] = (await c.unsafe("SELECT * FROM archive WHERE room = $1 AND id = $2", [r.room, r.id])) as Row[];
        return (row ? toMessage(row) : null) as ReadResult<R>;
      }
      case "archive-metadata": {
        const [first] = (await c.unsafe("SELECT * FROM archive WHERE room = $1 ORDER BY seq LIMIT 1", [r.room])) as Row[];
        const [last] = (await c.unsafe("SELECT * FROM archive WHERE room = $1 ORDER BY seq DESC LIMIT 1", [r.room])) as Row[];
        return { ...(first ? { first: toMessage(first) } : {}), ...(last ? { last: toMessage(last) } : {}) } as ReadResult<R>;
      }
      case "directory": {
        const rooms = (await c.unsafe("SELECT jid, name FROM rooms WHERE public AND jid > $1 ORDER BY jid LIMIT $2::integer", [r.after ?? "", r.limit])) as { jid: string; name: string }[];
        return { rooms: rooms.map(({ jid, name }) => ({ jid, name })) } as ReadResult<R>;
      }
      case "room-list": {
        const rooms = (await c.unsafe(
          "SELECT jid, name, (SELECT COUNT(*) FROM occupants WHERE occupants.room = rooms.jid) AS occupants FROM rooms ORDER BY jid LIMIT $1::integer",
          [r.limit],
        )) as { jid: string; name: string; occupants: string | number }[];
        return { rooms: rooms.map(({ jid, name, occupants }) => ({ jid, name, occupants: Number(occupants) })) } as ReadResult<R>;
      }
    }
    throw new Error(`unknown read ${(r as Read).op}`);
  }

  /** Send the pending writes into the batch's transaction (opening it); a failure rolls the batch back. */
  async function applyPending(): Promise<NonNullable<typeof session>> {
    session ??= await openSession();
    const writes = pending;
    pending = [];
    try {
      await apply(session.tx, writes);
    } catch (error) {
      const failed = session;
      session = undefined;
      failed.abort(error);
      await failed.done.catch(() => {});
      throw error;
    }
    return session;
  }

  /** Commit everything queued: in the open transaction, or in one of its own. */
  async function commit(): Promise<void> {
    if (failure !== undefined) {
      const error = failure;
      failure = undefined;
      pending = [];
      throw error;
    }
    if (!session) {
      if (pending.length === 0) return;
      const writes = pending;
      pending = [];
      await sql.begin((tx) => apply(tx, writes));
      return;
    }
    const open = await applyPending();
    session = undefined;
    open.commit();
    await open.done;
  }

  let closed = false;
  return {
    sql,
    schemaVersion: () => serial(() => version(sql)),
    read<R extends Read>(r: R): Promise<ReadResult<R>> {
      return serial(async () => {
        if (pending.length === 0 && !session) return answer(sql, r);
        if (failure !== undefined) throw failure; // the batch is lost already: this read cannot see its writes
        let open;
        try {
          open = await applyPending();
        } catch (error) {
          failure = error; // and flush() says so
          throw error;
        }
        return (await open.tx.savepoint((sp) => answer(sp, r))) as ReadResult<R>;
      });
    },
    write(writes: readonly Write[]) {
      if (closed) throw new Error("the store is closed");
      for (const w of writes) pending.push(w);
    },
    flush: () => serial(commit),
    /** Whether the database takes writes now: a real write that changes nothing. */
    probe: () =>
      serial(async () => {
        try {
          await sql.unsafe("UPDATE schema_version SET version = version");
          return undefined;
        } catch (error) {
          return `a test write failed: ${(error as Error).message}`;
        }
      }),
    async close() {
      closed = true;
      try {
        await serial(commit);
      } finally {
        await sql.close();
      }
    },
  };
}

async function version(sql: Client): Promise<number> {
  const [row] = (await sql.unsafe("SELECT version FROM schema_version")) as { version: number }[];
  return row?.version ?? 0;
}

/**
 * Bring the schema up to date in one transaction, holding an advisory lock: a second
 * process opening the database meanwhile waits, then finds the schema current.
 */
export async function migrate(sql: SQL, upTo = PG_MIGRATIONS.length): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.unsafe("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    let current = await version(tx);
    if (current > PG_MIGRATIONS.length) throw new Error(`the database's schema (version ${current}) is newer than this service (${PG_MIGRATIONS.length})`);
    if (current === 0 && ((await tx.unsafe("SELECT 1 FROM schema_version")) as unknown[]).length === 0) await tx.unsafe("INSERT INTO schema_version (version) VALUES (0)");
    while (current < upTo) {
      await tx.unsafe(PG_MIGRATIONS[current]!);
      current++;
      await tx.unsafe("UPDATE schema_version SET version = $1::integer", [current]);
    }
  });
}
