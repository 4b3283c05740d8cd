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
    expect(config.maxOccupants).toBe(0);
    expect(config.maxStanzaChars).toBe(100_000);
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
      maxStanzaChars: 65536,
      forwardKey: "",
      roomCacheSize: 100,
      maxWaitingStanzas: 100,
      archivePageSize: 20,
      archiveMaxPageSize: 50,
      archiveMaxMessages: 100_000,
      archiveExpiryDays: 365,
      directoryPageSize: 100,
      maxVcardChars: 65536,
      openRegistration: false,
      inviteFrom: "real",
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
  ];
  for (const [variable, values] of cases)
    test(variable, () => {
      for (const value of values) {
        const error = errorNaming({ ...MINIMAL, [variable]: value }, variable);
        // The error shows what was wrong (the bad value, or the part of it that is).
        if (variable !== "MUC_ADMINS") expect(error).toContain(value.trim());
      }
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
