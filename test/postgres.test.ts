// The PostgreSQL store (lib/shell/postgres.ts), what is its own: the schema created on first
// open and versioned (a newer one refused), several processes opening one database at once,
// MUC_DATABASE choosing it (lib/shell/store.ts) without a password in any message; and the
// core on it through the real runtime: reads answered later, as inputs, stanzas for a room
// being read waiting in order, a failed read answered, a restart finding everything. What
// every store does is in store.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { defaultConfig, type ServiceConfig } from "../lib/context.ts";
import type { Input } from "../lib/service.ts";
import { openPostgresStore, PG_MIGRATIONS, type PostgresStore } from "../lib/shell/postgres.ts";
import { createRuntime, type Runtime } from "../lib/shell/runtime.ts";
import { describeDatabase, openStore, storeKind } from "../lib/shell/store.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import type { Read, Store } from "../lib/storage.ts";
import { codes, condition, configure, DOMAIN, groupchat, join, JULIET, ROMEO, ROOM, T0 } from "./helpers.ts";
import { postgresAvailable, startPostgres, type Postgres } from "./support/postgres.ts";

const available = postgresAvailable();
let pg: Postgres;
beforeAll(async () => {
  if (available) pg = await startPostgres();
}, 30_000);
afterAll(async () => {
  await pg?.stop();
});

describe("choosing the store (MUC_DATABASE)", () => {
  test("a postgres:// or postgresql:// URL is PostgreSQL, anything else an SQLite path; a URL's password is never shown", () => {
    expect(["postgres://h/db", "postgresql://u:p@h:5433/db", "POSTGRES://h/db", "muc.sqlite", ":memory:", "/var/lib/muc/postgres.sqlite"].map(storeKind)).toEqual([
      "postgres",
      "postgres",
      "postgres",
      "sqlite",
      "sqlite",
      "sqlite",
    ]);
    expect(describeDatabase("postgres://muc:s3cret@db.example.org:5432/muc")).toBe("postgres://muc:***@db.example.org:5432/muc");
    expect(describeDatabase("muc.sqlite")).toBe("muc.sqlite");
  });
});

describe.skipIf(!available)("the PostgreSQL store", () => {
  test("a new database gets the schema at the newest version; a newer one is refused, not damaged", async () => {
    const url = await pg.database();
    const store = await openPostgresStore(url);
    expect(await store.schemaVersion()).toBe(PG_MIGRATIONS.length);
    const tables = (await store.sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`) as { tablename: string }[];
    expect(tables.map((t) => t.tablename)).toEqual(["archive", "archive_counts", "occupants", "rooms", "schema_version"]);
    await store.sql`UPDATE schema_version SET version = ${PG_MIGRATIONS.length + 1}`;
    await store.close();
    await expect(openPostgresStore(url)).rejects.toThrow(/newer than this service/);
  });

  test("processes opening a new database at once: the migrations run once (an advisory lock), every one of them opens", async () => {
    const url = await pg.database();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url)));
    for (const store of stores) expect(await store.schemaVersion()).toBe(PG_MIGRATIONS.length);
    const [{ n }] = (await stores[0]!.sql`SELECT COUNT(*)::integer AS n FROM schema_version`) as [{ n: number }];
    expect(n).toBe(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  test("opening an unreachable database says which, without its password", async () => {
    const url = `postgres://postgres:hunter2@127.0.0.1:${pg.port}/no_such_database`;
    const error = await openStore(url).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`postgres://postgres:***@127.0.0.1:${pg.port}/no_such_database`);
    expect(error?.message).not.toContain("hunter2");
  });

  test("the health probe: a write that changes nothing goes through; once the database is gone, it says so", async () => {
    const url = await pg.database();
    const store = await openPostgresStore(url);
    expect(await store.probe()).toBeUndefined();
    await store.sql`DROP TABLE schema_version`;
    expect(await store.probe()).toStartWith("a test write failed:");
    await store.close();
  });
});

/**
 * The core on an asynchronous store through the real runtime, as index.ts drives it: a batch
 * of inputs, then flush(); answers come back through onAnswer and are the next batch.
 */
class Driver {
  now = T0;
  private sequence = 0;
  private answers: Input[] = [];
  private inflight = 0;
  readonly runtime: Runtime;
  constructor(
    readonly store: Store,
    config: Partial<ServiceConfig> = {},
    prefix = "n",
  ) {
    const counting: Store = {
      read: <R extends Read>(r: R) => {
        const answer = store.read(r);
        if (answer instanceof Promise) {
          this.inflight++;
          void answer.then(
            () => this.inflight--,
            () => this.inflight--,
          );
        }
        return answer;
      },
      write: (w) => store.write(w),
      flush: () => store.flush(),
      close: () => store.close(),
    };
    this.runtime = createRuntime({
      store: counting,
      config: { ...defaultConfig, domain: DOMAIN, ...config },
      clock: () => this.now,
      nonce: () => `${prefix}${++this.sequence}`,
      onAnswer: (input) => this.answers.push(input),
      onCrash: (_input, error) => {
        throw error;
      },
    });
  }

  /** Every stanza as one batch; then each batch of answers, until no read is left: all that went out, in order. */
  async send(...stanzas: Element[]): Promise<Element[]> {
    const out: Element[] = [];
    let batch: Input[] = stanzas.map((stanza) => ({ kind: "stanza", stanza }));
    while (batch.length > 0 || this.inflight > 0) {
      for (const input of batch) out.push(...this.runtime.step(input));
      await this.runtime.flush();
      while (this.answers.length === 0 && this.inflight > 0) await new Promise((resolve) => setTimeout(resolve, 1));
      batch = this.answers.splice(0);
    }
    return out;
  }
}

const mamQuery = (from: string, id: string) => xml("iq", { from, to: ROOM, type: "set", id }, xml("query", { xmlns: NS.mam, queryid: id }));
const bodies = (out: Element[], to: string) => out.filter((s) => s.attrs.to === to && s.name === "message").map((m) => m.getChildText("body") ?? m.getChild("result", NS.mam)?.getChild("forwarded")?.getChild("message")?.getChildText("body"));

describe.skipIf(!available)("the core on PostgreSQL (the runtime, reads answered later)", () => {
  let url: string;
  let first: PostgresStore;

  test("a persistent room with messages; a MAM query is answered from the database", async () => {
    url = await pg.database();
    first = await openPostgresStore(url);
    const service = new Driver(first);
    const created = await service.send(join(ROMEO, "Romeo"));
    expect(codes(created.find((p) => p.attrs.to === ROMEO && p.name === "presence")!)).toContain("201");
    expect((await service.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Verona" }, "c1")))[0]!.attrs.type).toBe("result");
    await service.send(join(JULIET, "Juliet"));
    await service.send(groupchat(ROMEO, "one", "m1"), groupchat(JULIET, "two", "m2"), groupchat(ROMEO, "three", "m3"));
    const mam = await service.send(mamQuery(ROMEO, "q1"));
    expect(bodies(mam, ROMEO)).toEqual(["one", "two", "three"]);
    expect(mam.at(-1)!.getChild("fin", NS.mam)?.attrs.complete).toBe("true");
    // The service is killed: nothing more is written, the connection goes.
    await first.close();
  });

  test("after a restart: stanzas for the room wait while it is read, in order; room, archive and occupants are intact", async () => {
    const store = await openPostgresStore(url);
    const service = new Driver(store, {}, "r");
    expect(service.runtime.state().rooms.size).toBe(0);
    // One batch: a restored occupant's message, a newcomer's join, her message; the room is read once, then all three in order.
    const out = await service.send(groupchat(ROMEO, "four", "m4"), join("mercutio@example.org/street", "Mercutio"), groupchat("mercutio@example.org/street", "five", "m5"));
    expect(out.filter((s) => s.name === "message" && s.attrs.to === JULIET).map((m) => m.getChildText("body"))).toEqual(["four", "five"]);
    const toMercutio = out.filter((s) => s.attrs.to === "mercutio@example.org/street");
    expect(toMercutio.filter((s) => s.getChildText("body")).map((m) => m.getChildText("body"))).toEqual(["one", "two", "three", "four", "five"]); // history (with "four", handled before her join), then her own
    expect(codes(toMercutio.find((p) => p.name === "presence" && codes(p).includes("110"))!)).not.toContain("201"); // not a new room
    const room = service.runtime.state().rooms.get(ROOM)!;
    expect(room.config).toMatchObject({ persistent: true, name: "Verona" });
    expect(room.affiliations.get("romeo@example.net")).toBe("owner");
    expect([...room.occupants.keys()].sort()).toEqual(["juliet", "mercutio", "romeo"]);
    expect(bodies(await service.send(mamQuery(JULIET, "q2")), JULIET)).toEqual(["one", "two", "three", "four", "five"]);
    await store.close();
  });

  test("a read that fails is answered: the stanzas waiting for the room get internal-server-error, and the next one reads again", async () => {
    const store = await openPostgresStore(url);
    let broken = true;
    const flaky: Store = {
      read: ((r: Read) => (broken && r.op === "load-room" ? Promise.reject(new Error("connection lost")) : store.read(r))) as unknown as Store["read"],
      write: (w) => store.write(w),
      flush: () => store.flush(),
      close: () => store.close(),
    };
    const service = new Driver(flaky, {}, "f");
    const failed = await service.send(join(JULIET, "Juliet"), xml("iq", { from: JULIET, to: ROOM, type: "get", id: "d" }, xml("query", { xmlns: NS.discoInfo })));
    expect(failed.map((s) => [s.name, s.attrs.type, condition(s)])).toEqual([
      ["presence", "error", "internal-server-error"],
      ["iq", "error", "internal-server-error"],
    ]);
    expect(service.runtime.state().loading.size).toBe(0);
    broken = false;
    const info = await service.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "d2" }, xml("query", { xmlns: NS.discoInfo })));
    expect(info.map((s) => s.attrs.type)).toEqual(["result"]);
    await store.close();
  });
});
