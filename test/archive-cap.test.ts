// The per-room archive cap (MUC_ARCHIVE_MAX_MESSAGES) in the SQLite store: the newest `cap`
// messages stay, whatever the store held before it was opened, and after retention ran.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import type { Write } from "../lib/storage.ts";

const archive = (room: string, n: number, cap: number, at = n): Write => ({
  op: "archive",
  room,
  cap,
  message: { id: `${room}-${n}`, at, stanza: "<message/>", nick: "n", occupantId: "o", sender: "s@example.org", retracted: false },
});
const ids = (store: ReturnType<typeof openSqliteStore>, room: string) => {
  store.settle(); // the staged rows in the archive proper
  return store.db.query<{ id: string }, [string]>("SELECT id FROM archive WHERE room = ? ORDER BY seq").all(room).map((r) => r.id);
};

test("each room keeps its newest `cap` messages; other rooms are untouched", () => {
  const store = openSqliteStore(":memory:");
  for (let n = 1; n <= 5; n++) store.write([archive("a", n, 3), archive("b", n, 10)]);
  store.flush();
  expect(ids(store, "a")).toEqual(["a-3", "a-4", "a-5"]);
  expect(ids(store, "b")).toHaveLength(5);
  store.write([archive("a", 6, 2)]); // a smaller cap from now on
  store.flush();
  expect(ids(store, "a")).toEqual(["a-5", "a-6"]);
  store.close();
});

test("the count survives a restart (read from the file) and retention", () => {
  const dir = mkdtempSync(join(tmpdir(), "muc-cap-"));
  try {
    const path = join(dir, "muc.sqlite");
    let store = openSqliteStore(path);
    for (let n = 1; n <= 4; n++) store.write([archive("a", n, 10)]);
    store.flush();
    store.close();
    store = openSqliteStore(path);
    store.write([archive("a", 5, 3)]);
    store.flush();
    expect(ids(store, "a")).toEqual(["a-3", "a-4", "a-5"]);
    store.write([{ op: "expire", before: 5 }]);
    store.write([archive("a", 6, 2), archive("a", 7, 2)]);
    store.flush();
    expect(ids(store, "a")).toEqual(["a-6", "a-7"]);
    store.write([{ op: "delete-room", jid: "a", archive: true }, archive("a", 8, 2)]);
    store.flush();
    expect(ids(store, "a")).toEqual(["a-8"]);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
