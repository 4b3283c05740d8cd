// Which store MUC_DATABASE names: a postgres:// or postgresql:// URL is PostgreSQL
// (postgres.ts: processes on several hosts share it); anything else is the path of
// an SQLite file (sqlite.ts: processes on one host may share it), ":memory:" for
// one that nothing outlives.
import type { Store } from "../storage.ts";
import { openPostgresStore, redactUrl } from "./postgres.ts";
import { openSqliteStore } from "./sqlite.ts";

export type StoreKind = "sqlite" | "postgres";

export function storeKind(database: string): StoreKind {
  return /^postgres(ql)?:\/\//i.test(database) ? "postgres" : "sqlite";
}

/** The database as it may be logged: a URL's password hidden. */
export function describeDatabase(database: string): string {
  return storeKind(database) === "postgres" ? redactUrl(database) : database;
}

export async function openStore(database: string): Promise<Store> {
  if (storeKind(database) === "sqlite") return openSqliteStore(database);
  try {
    return await openPostgresStore(database);
  } catch (error) {
    // Bun's messages do not repeat the URL, but say which database failed, without its password.
    throw new Error(`cannot open ${describeDatabase(database)}: ${(error as Error).message}`, { cause: error });
  }
}
