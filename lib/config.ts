// Configuration from the environment (Bun loads .env): parsed by a pure
// function so a bad value is reported as one line naming the variable.
import { defaultConfig, type ServiceConfig } from "./context.ts";
import { parseJid, bareJid } from "./jid.ts";

export interface Settings {
  /** Where the server's component port is: xmpp://host:port. */
  service: string;
  /** The shared secret (XEP-0114 handshake). */
  password: string;
  /** Print the XML stream (@xmpp/debug). */
  debug: boolean;
  /** Where rooms and archives live: an SQLite file (":memory:" for none that outlives the process) or a postgres:// URL. */
  database: string;
  /** On SIGTERM/SIGINT: "stay" keeps the occupants for the next start (nobody notices), "leave" says 332. */
  onStop: "stay" | "leave";
  config: ServiceConfig;
}

export type Env = Record<string, string | undefined>;

const DOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

class ConfigError extends Error {}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function choice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (!choices.includes(raw as T)) throw new ConfigError(`${name} must be one of ${choices.join(", ")}, got "${env[name]}"`);
  return raw as T;
}

/** An SQLite file's path, or a postgres:// (postgresql://) URL; another URL scheme is a mistake. Never echoes a URL: it may hold a password. */
function database(raw: string | undefined): string {
  if (!raw) return "muc.sqlite";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) return raw;
  if (scheme !== "postgres" && scheme !== "postgresql") throw new ConfigError(`MUC_DATABASE must be an SQLite file's path or a postgres:// URL, got a ${scheme}:// URL`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("MUC_DATABASE is not a valid postgres:// URL (postgres://user:password@host:port/database)");
  }
  if (!url.hostname) throw new ConfigError("MUC_DATABASE names no host: postgres://user:password@host:port/database");
  return raw;
}

export function parseEnv(env: Env): { ok: true; settings: Settings } | { ok: false; error: string } {
  try {
    const service = env.XMPP_SERVICE || "xmpp://127.0.0.1:5347";
    let url: URL;
    try {
      url = new URL(service);
    } catch {
      throw new ConfigError(`XMPP_SERVICE must be a URL like xmpp://127.0.0.1:5347, got "${service}"`);
    }
    if (url.protocol !== "xmpp:" || !url.hostname) throw new ConfigError(`XMPP_SERVICE must be a URL like xmpp://127.0.0.1:5347, got "${service}"`);
    const domain = env.XMPP_DOMAIN?.trim().toLowerCase();
    if (!domain) throw new ConfigError("XMPP_DOMAIN is not set: the component's domain, e.g. muc.example.org");
    if (!DOMAIN.test(domain)) throw new ConfigError(`XMPP_DOMAIN is not a valid domain name: "${env.XMPP_DOMAIN}"`);
    const password = env.XMPP_PASSWORD;
    if (!password) throw new ConfigError("XMPP_PASSWORD is not set: the component secret shared with the server");
    const admins = (env.MUC_ADMINS ?? "").split(",").map((s) => s.trim()).filter(Boolean).map((admin) => {
      const jid = parseJid(admin);
      if (!jid || jid.resource !== undefined) throw new ConfigError(`MUC_ADMINS must be bare JIDs separated by commas, got "${admin}"`);
      return bareJid(jid); // compared with senders' canonical bare JIDs
    });
    const archiveMaxPageSize = integer(env, "MUC_ARCHIVE_MAX_PAGE_SIZE", defaultConfig.archiveMaxPageSize, 1, 10_000);
    const archivePageSize = integer(env, "MUC_ARCHIVE_PAGE_SIZE", Math.min(defaultConfig.archivePageSize, archiveMaxPageSize), 1, archiveMaxPageSize);
    const maxHistoryLength = integer(env, "MUC_MAX_HISTORY_LENGTH", defaultConfig.maxHistoryLength, 0, 10_000);
    return {
      ok: true,
      settings: {
        service,
        password,
        debug: flag(env, "XMPP_DEBUG", false),
        database: database(env.MUC_DATABASE),
        onStop: choice(env, "MUC_ON_STOP", ["stay", "leave"] as const, "stay"),
        config: {
          domain,
          admins,
          name: env.MUC_NAME || defaultConfig.name,
          lockRooms: flag(env, "MUC_LOCK_ROOMS", defaultConfig.lockRooms),
          historyLength: integer(env, "MUC_HISTORY_LENGTH", Math.min(defaultConfig.historyLength, maxHistoryLength), 0, maxHistoryLength),
          maxHistoryLength,
          maxNickLength: integer(env, "MUC_MAX_NICK_LENGTH", defaultConfig.maxNickLength, 1, 1023),
          maxOccupants: integer(env, "MUC_MAX_OCCUPANTS", defaultConfig.maxOccupants, 0, 1_000_000),
          maxRooms: integer(env, "MUC_MAX_ROOMS", defaultConfig.maxRooms, 1, 10_000_000),
          maxRoomsPerUser: integer(env, "MUC_MAX_ROOMS_PER_USER", defaultConfig.maxRoomsPerUser, 1, 100_000),
          roomCreationsPerMinute: integer(env, "MUC_ROOM_CREATIONS_PER_MINUTE", defaultConfig.roomCreationsPerMinute, 1, 100_000),
          groupchatBurst: integer(env, "MUC_RATE_GROUPCHAT_BURST", defaultConfig.groupchatBurst, 1, 100_000),
          groupchatPerMinute: integer(env, "MUC_RATE_GROUPCHAT_PER_MINUTE", defaultConfig.groupchatPerMinute, 1, 1_000_000),
          privateBurst: integer(env, "MUC_RATE_PRIVATE_BURST", defaultConfig.privateBurst, 1, 100_000),
          privatePerMinute: integer(env, "MUC_RATE_PRIVATE_PER_MINUTE", defaultConfig.privatePerMinute, 1, 1_000_000),
          presenceBurst: integer(env, "MUC_RATE_PRESENCE_BURST", defaultConfig.presenceBurst, 1, 100_000),
          presencePerMinute: integer(env, "MUC_RATE_PRESENCE_PER_MINUTE", defaultConfig.presencePerMinute, 1, 1_000_000),
          nickChangeBurst: integer(env, "MUC_RATE_NICK_CHANGE_BURST", defaultConfig.nickChangeBurst, 1, 100_000),
          nickChangesPerMinute: integer(env, "MUC_RATE_NICK_CHANGES_PER_MINUTE", defaultConfig.nickChangesPerMinute, 1, 1_000_000),
          rateExempt: choice(env, "MUC_RATE_EXEMPT", ["none", "member", "admin", "owner"], defaultConfig.rateExempt),
          forwardKey: "", // made per boot by the shell
          maxStanzaChars: integer(env, "MUC_MAX_STANZA_CHARS", defaultConfig.maxStanzaChars, 1024, 512 * 1024),
          roomCacheSize: integer(env, "MUC_ROOM_CACHE_SIZE", defaultConfig.roomCacheSize, 0, 1_000_000),
          maxWaitingStanzas: integer(env, "MUC_MAX_WAITING_STANZAS", defaultConfig.maxWaitingStanzas, 1, 100_000),
          maxLoadingRooms: integer(env, "MUC_MAX_LOADING_ROOMS", defaultConfig.maxLoadingRooms, 1, 1_000_000),
          archivePageSize,
          archiveMaxPageSize,
          archiveMaxMessages: integer(env, "MUC_ARCHIVE_MAX_MESSAGES", defaultConfig.archiveMaxMessages, 1, 100_000_000),
          archiveExpiryDays: integer(env, "MUC_ARCHIVE_EXPIRY_DAYS", defaultConfig.archiveExpiryDays, 0, 100_000),
          directoryPageSize: integer(env, "MUC_DIRECTORY_PAGE_SIZE", defaultConfig.directoryPageSize, 1, 100_000),
          maxVcardChars: integer(env, "MUC_MAX_VCARD_CHARS", defaultConfig.maxVcardChars, 1024, 512 * 1024),
          openRegistration: flag(env, "MUC_OPEN_REGISTRATION", defaultConfig.openRegistration),
          inviteFrom: choice(env, "MUC_INVITE_FROM", ["real", "occupant"] as const, defaultConfig.inviteFrom),
          verifyBatch: integer(env, "MUC_VERIFY_BATCH", defaultConfig.verifyBatch, 1, 100_000),
          verifyTimeout: integer(env, "MUC_VERIFY_TIMEOUT", defaultConfig.verifyTimeout, 1, 86_400),
          cluster: flag(env, "MUC_CLUSTER", defaultConfig.cluster),
        },
      },
    };
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, error: e.message };
    throw e;
  }
}
