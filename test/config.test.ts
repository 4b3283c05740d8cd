// parseEnv: the environment as the shell reads it, defaults, and one error
// naming the variable for each missing or malformed value.
import { describe, expect, test } from "bun:test";
import { parseEnv, type Env, type Settings } from "../lib/config.ts";
import { defaultConfig } from "../lib/context.ts";

const MINIMAL: Env = { XMPP_DOMAIN: "muc.example.org", XMPP_PASSWORD: "s3cret" };

const VARIABLES = [
  "XMPP_SERVICE",
  "XMPP_DOMAIN",
  "XMPP_PASSWORD",
  "XMPP_DEBUG",
  "MUC_ADMINS",
  "MUC_NAME",
  "MUC_LOCK_ROOMS",
  "MUC_HISTORY_LENGTH",
  "MUC_MAX_HISTORY_LENGTH",
  "MUC_MAX_NICK_LENGTH",
  "MUC_MAX_OCCUPANTS",
  "MUC_MAX_STANZA_CHARS",
  "MUC_MAX_ROOMS",
  "MUC_MAX_ROOMS_PER_USER",
  "MUC_ROOM_CREATIONS_PER_MINUTE",
  "MUC_RATE_GROUPCHAT_BURST",
  "MUC_RATE_GROUPCHAT_PER_MINUTE",
  "MUC_RATE_PRIVATE_BURST",
  "MUC_RATE_PRIVATE_PER_MINUTE",
  "MUC_RATE_PRESENCE_BURST",
  "MUC_RATE_PRESENCE_PER_MINUTE",
  "MUC_RATE_NICK_CHANGE_BURST",
  "MUC_RATE_NICK_CHANGES_PER_MINUTE",
  "MUC_RATE_EXEMPT",
  "MUC_DATABASE",
  "MUC_MAX_LOADING_ROOMS",
];

function settings(env: Env): Settings {
  const result = parseEnv(env);
  if (!result.ok) throw new Error(`expected the environment to be accepted, got: ${result.error}`);
  return result.settings;
}

/** The error for `env`, checked to name `variable` and no other variable. */
function errorNaming(env: Env, variable: string): string {
  const result = parseEnv(env);
  if (result.ok) throw new Error(`expected ${variable}=${JSON.stringify(env[variable])} to be refused`);
  expect(typeof result.error).toBe("string");
  expect(result.error).not.toContain("\n");
  const named = VARIABLES.filter((name) => new RegExp(`\\b${name}\\b`).test(result.error));
  expect(named).toEqual([variable]);
  return result.error;
}

describe("defaults", () => {
  test("with only the domain and the secret, everything else is the default", () => {
    const s = settings(MINIMAL);
    expect(s.service).toBe("xmpp://127.0.0.1:5347");
    expect(s.password).toBe("s3cret");
    expect(s.debug).toBe(false);
    expect(s.config).toEqual({ ...defaultConfig, domain: "muc.example.org" });
  });

  test("the documented defaults", () => {
    const { config } = settings(MINIMAL);
    expect(config.admins).toEqual([]);
    expect(config.lockRooms).toBe(false);
    expect(config.name).toBe("Chatrooms");
    expect(config.historyLength).toBe(20);
    expect(config.maxHistoryLength).toBe(100);
    expect(config.maxNickLength).toBe(64);
    expect(config.maxStanzaChars).toBe(100_000);
  });

  test("every limit is finite by default (README, Limits)", () => {
    const { config } = settings(MINIMAL);
    expect(config.maxOccupants).toBe(200);
    expect(config.maxRooms).toBe(10_000);
    expect(config.maxRoomsPerUser).toBe(100);
    expect(config.roomCreationsPerMinute).toBe(10);
    expect([config.groupchatBurst, config.groupchatPerMinute]).toEqual([10, 60]);
    expect([config.privateBurst, config.privatePerMinute]).toEqual([10, 60]);
    expect([config.presenceBurst, config.presencePerMinute]).toEqual([10, 6]);
    expect([config.nickChangeBurst, config.nickChangesPerMinute]).toEqual([3, 2]);
    expect(config.rateExempt).toBe("none");
    for (const [name, value] of Object.entries(config)) if (typeof value === "number" && name !== "archiveExpiryDays") expect([name, Number.isFinite(value) && value > 0]).toEqual([name, true]);
  });

  test("empty optional variables mean their defaults", () => {
    const env: Env = { ...MINIMAL };
    for (const name of VARIABLES) if (!(name in env)) env[name] = "";
    const s = settings(env);
    expect(s.service).toBe("xmpp://127.0.0.1:5347");
    expect(s.debug).toBe(false);
    expect(s.config).toEqual({ ...defaultConfig, domain: "muc.example.org" });
  });

  test("parseEnv does not change the environment it is given", () => {
    const env: Env = { ...MINIMAL, MUC_ADMINS: " Romeo@Example.net " };
    const copy = { ...env };
    parseEnv(env);
    expect(env).toEqual(copy);
  });
});

describe("every variable set", () => {
  test("is read", () => {
    const s = settings({
      XMPP_SERVICE: "xmpp://prosody.internal:5275",
      XMPP_DOMAIN: "Chat.Example.ORG",
      XMPP_PASSWORD: "pw",
      XMPP_DEBUG: "true",
      MUC_ADMINS: "romeo@example.net, Juliet@Example.com ,example.org",
      MUC_NAME: "Verona",
      MUC_LOCK_ROOMS: "yes",
      MUC_HISTORY_LENGTH: "50",
      MUC_MAX_HISTORY_LENGTH: "500",
      MUC_MAX_NICK_LENGTH: "32",
      MUC_MAX_OCCUPANTS: "200",
      MUC_MAX_STANZA_CHARS: "65536",
      MUC_MAX_ROOMS: "500",
      MUC_MAX_ROOMS_PER_USER: "20",
      MUC_ROOM_CREATIONS_PER_MINUTE: "3",
      MUC_RATE_GROUPCHAT_BURST: "5",
      MUC_RATE_GROUPCHAT_PER_MINUTE: "30",
      MUC_RATE_PRIVATE_BURST: "4",
      MUC_RATE_PRIVATE_PER_MINUTE: "20",
      MUC_RATE_PRESENCE_BURST: "6",
      MUC_RATE_PRESENCE_PER_MINUTE: "12",
      MUC_RATE_NICK_CHANGE_BURST: "2",
      MUC_RATE_NICK_CHANGES_PER_MINUTE: "1",
      MUC_RATE_EXEMPT: "Admin",
      MUC_CLUSTER: "on",
    });
    expect(s.service).toBe("xmpp://prosody.internal:5275");
    expect(s.password).toBe("pw");
    expect(s.debug).toBe(true);
    expect(s.config).toEqual({
      domain: "chat.example.org",
      admins: ["romeo@example.net", "juliet@example.com", "example.org"],
      name: "Verona",
      lockRooms: true,
      historyLength: 50,
      maxHistoryLength: 500,
      maxNickLength: 32,
      maxOccupants: 200,
      maxRooms: 500,
      maxRoomsPerUser: 20,
      roomCreationsPerMinute: 3,
      groupchatBurst: 5,
      groupchatPerMinute: 30,
      privateBurst: 4,
      privatePerMinute: 20,
      presenceBurst: 6,
      presencePerMinute: 12,
      nickChangeBurst: 2,
      nickChangesPerMinute: 1,
      rateExempt: "admin",
      maxStanzaChars: 65536,
      forwardKey: "",
      roomCacheSize: 100,
      maxWaitingStanzas: 100,
      maxLoadingRooms: 1000,
      archivePageSize: 20,
      archiveMaxPageSize: 50,
      archiveMaxMessages: 100_000,
      archiveExpiryDays: 365,
      directoryPageSize: 100,
      maxVcardChars: 65536,
      openRegistration: false,
      inviteFrom: "real",
      verifyBatch: 50,
      verifyTimeout: 60,
      cluster: true,
    });
  });

  test("flags accept the usual spellings", () => {
    for (const yes of ["1", "true", "TRUE", "yes", "on"]) expect(settings({ ...MINIMAL, MUC_LOCK_ROOMS: yes }).config.lockRooms).toBe(true);
    for (const no of ["0", "false", "False", "no", "off"]) expect(settings({ ...MINIMAL, MUC_LOCK_ROOMS: no }).config.lockRooms).toBe(false);
  });

  test("bounds are inclusive", () => {
    expect(settings({ ...MINIMAL, MUC_HISTORY_LENGTH: "0" }).config.historyLength).toBe(0);
    expect(settings({ ...MINIMAL, MUC_HISTORY_LENGTH: "100" }).config.historyLength).toBe(100);
    expect(settings({ ...MINIMAL, MUC_MAX_NICK_LENGTH: "1" }).config.maxNickLength).toBe(1);
    expect(settings({ ...MINIMAL, MUC_MAX_NICK_LENGTH: "1023" }).config.maxNickLength).toBe(1023);
    expect(settings({ ...MINIMAL, MUC_MAX_STANZA_CHARS: "1024" }).config.maxStanzaChars).toBe(1024);
    expect(settings({ ...MINIMAL, MUC_MAX_STANZA_CHARS: String(512 * 1024) }).config.maxStanzaChars).toBe(512 * 1024);
  });
});

describe("missing variables", () => {
  test("XMPP_DOMAIN", () => {
    errorNaming({ XMPP_PASSWORD: "pw" }, "XMPP_DOMAIN");
    errorNaming({ XMPP_PASSWORD: "pw", XMPP_DOMAIN: "" }, "XMPP_DOMAIN");
    errorNaming({ XMPP_PASSWORD: "pw", XMPP_DOMAIN: "   " }, "XMPP_DOMAIN");
  });

  test("XMPP_PASSWORD", () => {
    errorNaming({ XMPP_DOMAIN: "muc.example.org" }, "XMPP_PASSWORD");
    errorNaming({ XMPP_DOMAIN: "muc.example.org", XMPP_PASSWORD: "" }, "XMPP_PASSWORD");
  });

  test("nothing set at all: one error", () => {
    const result = parseEnv({});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).not.toContain("\n");
  });
});

describe("malformed variables", () => {
  const cases: [string, string[]][] = [
    ["XMPP_SERVICE", ["127.0.0.1:5347", "not a url", "http://127.0.0.1:5347", "xmpp://"]],
    ["XMPP_DOMAIN", ["muc example org", "muc_example.org", "-muc.example.org", "muc..example.org", "muc.example.org/room", "room@muc.example.org"]],
    ["XMPP_DEBUG", ["maybe", "2", "enabled"]],
    ["MUC_ADMINS", ["romeo@example.net/orchard", "romeo@juliet@example.net", "romeo@", "romeo@example.net bad@example.net"]],
    ["MUC_LOCK_ROOMS", ["maybe", "2", "y"]],
    ["MUC_HISTORY_LENGTH", ["abc", "-1", "1.5", "101", "12abc"]],
    ["MUC_MAX_HISTORY_LENGTH", ["abc", "-1", "2.5", "10001"]],
    ["MUC_MAX_NICK_LENGTH", ["0", "1024", "x"]],
    ["MUC_MAX_OCCUPANTS", ["-1", "many", "1000001"]],
    ["MUC_MAX_STANZA_CHARS", ["1023", String(512 * 1024 + 1), "big"]],
    ["MUC_MAX_ROOMS", ["0", "-5", "lots", "10000001"]],
    ["MUC_MAX_ROOMS_PER_USER", ["0", "1.5", "100001"]],
    ["MUC_ROOM_CREATIONS_PER_MINUTE", ["0", "x", "100001"]],
    ["MUC_RATE_GROUPCHAT_BURST", ["0", "-1", "ten"]],
    ["MUC_RATE_GROUPCHAT_PER_MINUTE", ["0", "0.5", "1000001"]],
    ["MUC_RATE_PRIVATE_BURST", ["0", "100001"]],
    ["MUC_RATE_PRIVATE_PER_MINUTE", ["0", "fast"]],
    ["MUC_RATE_PRESENCE_BURST", ["0", "2.5"]],
    ["MUC_RATE_PRESENCE_PER_MINUTE", ["0", "-6"]],
    ["MUC_RATE_NICK_CHANGE_BURST", ["0", "many"]],
    ["MUC_RATE_NICK_CHANGES_PER_MINUTE", ["0", "1e9"]],
    ["MUC_RATE_EXEMPT", ["everyone", "admins", "1"]],
    ["MUC_MAX_LOADING_ROOMS", ["0", "1000001", "many"]],
  ];
  for (const [variable, values] of cases)
    test(variable, () => {
      for (const value of values) {
        const error = errorNaming({ ...MINIMAL, [variable]: value }, variable);
        // The error shows what was wrong (the bad value, or the part of it that is).
        if (variable !== "MUC_ADMINS") expect(error).toContain(value.trim());
      }
    });

  test("MUC_DATABASE: a path, or a postgres:// URL; another scheme or a URL without a host is refused, and a URL is never echoed (it may hold a password)", () => {
    for (const database of ["muc.sqlite", "/var/lib/muc/muc.sqlite", ":memory:", "postgres://muc:s3cret@db.internal:5432/muc", "postgresql://db.internal/muc?sslmode=require"])
      expect(settings({ ...MINIMAL, MUC_DATABASE: database }).database).toBe(database);
    expect(errorNaming({ ...MINIMAL, MUC_DATABASE: "mysql://muc:s3cret@db/muc" }, "MUC_DATABASE")).toContain("mysql://");
    for (const bad of ["postgres://muc:s3cret@/muc", "postgres://muc:s3cret@[bad/muc"]) expect(errorNaming({ ...MINIMAL, MUC_DATABASE: bad }, "MUC_DATABASE")).not.toContain("s3cret");
  });

  test("MUC_HISTORY_LENGTH is bounded by MUC_MAX_HISTORY_LENGTH", () => {
    expect(settings({ ...MINIMAL, MUC_MAX_HISTORY_LENGTH: "10", MUC_HISTORY_LENGTH: "10" }).config.historyLength).toBe(10);
    errorNaming({ ...MINIMAL, MUC_MAX_HISTORY_LENGTH: "10", MUC_HISTORY_LENGTH: "11" }, "MUC_HISTORY_LENGTH");
  });

  test("the default history length above a lowered MUC_MAX_HISTORY_LENGTH", () => {
    // 20 by default, but the operator only allows 10: the history length is at most the maximum.
    const result = parseEnv({ ...MINIMAL, MUC_MAX_HISTORY_LENGTH: "10" });
    if (result.ok) expect(result.settings.config.historyLength).toBeLessThanOrEqual(10);
    else expect(result.error).toMatch(/\bMUC_(MAX_)?HISTORY_LENGTH\b/);
  });
});
