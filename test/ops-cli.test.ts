// The command line, the operator's settings, the log formats, and the promise
// that .env.example and --help list every variable the service reads, with its
// real default (read from the sources, so a new variable fails here until documented).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseEnv } from "../lib/config.ts";
import { helpText, parseArgs, VARIABLES } from "../lib/shell/cli.ts";
import { createLogger, type Level } from "../lib/shell/log.ts";
import { parseHostPort, parseOpsEnv } from "../lib/shell/ops-config.ts";

const root = `${import.meta.dir}/..`;

describe("arguments", () => {
  test("none runs the service; --help, --version; --replay FILE", () => {
    expect(parseArgs([])).toEqual({ action: "run" });
    expect(parseArgs(["--help"])).toEqual({ action: "help" });
    expect(parseArgs(["-h"])).toEqual({ action: "help" });
    expect(parseArgs(["--version"])).toEqual({ action: "version" });
    expect(parseArgs(["--replay", "x.jsonl"])).toEqual({ action: "replay", file: "x.jsonl", reads: false });
    expect(parseArgs(["--replay", "x.jsonl", "--reads"])).toEqual({ action: "replay", file: "x.jsonl", reads: true });
  });

  test("anything else is refused, naming it", () => {
    expect(parseArgs(["--verbose"])).toEqual({ action: "refuse", message: 'unknown argument "--verbose"; settings come from the environment (see --help)' });
    expect(parseArgs(["--version", "--port=5"])).toMatchObject({ action: "refuse", message: expect.stringContaining('"--port=5"') });
    expect(parseArgs(["--help", "--version"])).toMatchObject({ action: "refuse" });
    expect(parseArgs(["--replay"])).toMatchObject({ action: "refuse" });
    expect(parseArgs(["--replay", "a", "b"])).toMatchObject({ action: "refuse" });
  });
});

/** The environment variables a source file reads (env.NAME, env["NAME"], env, "NAME"). */
function readIn(file: string): string[] {
  const text = readFileSync(`${root}/${file}`, "utf8");
  return [...text.matchAll(/env(?:\.|\[")([A-Z][A-Z0-9_]+)|env, "([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? m[2]!);
}

describe("every variable is documented with its default", () => {
  const names = VARIABLES.map(([n]) => n);

  test("the list covers what lib/config.ts and lib/shell/ops-config.ts read, and nothing else", () => {
    const read = new Set([...readIn("lib/config.ts"), ...readIn("lib/shell/ops-config.ts")]);
    expect(read.size).toBeGreaterThan(20);
    expect([...read].sort()).toEqual([...names].sort());
  });

  test("the defaults listed are the ones the parsers apply", () => {
    const parsed = parseEnv({ XMPP_DOMAIN: "muc.example.org", XMPP_PASSWORD: "s" });
    if (!parsed.ok) throw new Error(parsed.error);
    const { settings } = parsed;
    const ops = parseOpsEnv({});
    if (!ops.ok) throw new Error(ops.error);
    const actual: Record<string, string> = {
      XMPP_SERVICE: settings.service,
      XMPP_DEBUG: String(settings.debug),
      MUC_DATABASE: settings.database,
      MUC_NAME: settings.config.name,
      MUC_ADMINS: settings.config.admins.join(","),
      MUC_LOCK_ROOMS: String(settings.config.lockRooms),
      MUC_HISTORY_LENGTH: String(settings.config.historyLength),
      MUC_MAX_HISTORY_LENGTH: String(settings.config.maxHistoryLength),
      MUC_MAX_NICK_LENGTH: String(settings.config.maxNickLength),
      MUC_MAX_OCCUPANTS: String(settings.config.maxOccupants),
      MUC_MAX_STANZA_CHARS: String(settings.config.maxStanzaChars),
      MUC_MAX_ROOMS: String(settings.config.maxRooms),
      MUC_MAX_ROOMS_PER_USER: String(settings.config.maxRoomsPerUser),
      MUC_ROOM_CREATIONS_PER_MINUTE: String(settings.config.roomCreationsPerMinute),
      MUC_RATE_GROUPCHAT_BURST: String(settings.config.groupchatBurst),
      MUC_RATE_GROUPCHAT_PER_MINUTE: String(settings.config.groupchatPerMinute),
      MUC_RATE_PRIVATE_BURST: String(settings.config.privateBurst),
      MUC_RATE_PRIVATE_PER_MINUTE: String(settings.config.privatePerMinute),
      MUC_RATE_PRESENCE_BURST: String(settings.config.presenceBurst),
      MUC_RATE_PRESENCE_PER_MINUTE: String(settings.config.presencePerMinute),
      MUC_RATE_NICK_CHANGE_BURST: String(settings.config.nickChangeBurst),
      MUC_RATE_NICK_CHANGES_PER_MINUTE: String(settings.config.nickChangesPerMinute),
      MUC_RATE_EXEMPT: String(settings.config.rateExempt),
      MUC_ROOM_CACHE_SIZE: String(settings.config.roomCacheSize),
      MUC_MAX_WAITING_STANZAS: String(settings.config.maxWaitingStanzas),
      MUC_MAX_LOADING_ROOMS: String(settings.config.maxLoadingRooms),
      MUC_ARCHIVE_PAGE_SIZE: String(settings.config.archivePageSize),
      MUC_ARCHIVE_MAX_PAGE_SIZE: String(settings.config.archiveMaxPageSize),
      MUC_ARCHIVE_MAX_MESSAGES: String(settings.config.archiveMaxMessages),
      MUC_ARCHIVE_EXPIRY_DAYS: String(settings.config.archiveExpiryDays),
      MUC_DIRECTORY_PAGE_SIZE: String(settings.config.directoryPageSize),
      MUC_MAX_VCARD_CHARS: String(settings.config.maxVcardChars),
      MUC_OPEN_REGISTRATION: String(settings.config.openRegistration),
      MUC_INVITE_FROM: settings.config.inviteFrom,
      MUC_ON_STOP: settings.onStop,
      MUC_VERIFY_BATCH: String(settings.config.verifyBatch),
      MUC_VERIFY_TIMEOUT: String(settings.config.verifyTimeout),
      MUC_CLUSTER: String(settings.config.cluster),
      MUC_HTTP: ops.ops.http ? "set" : "",
      MUC_LOG_LEVEL: ops.ops.logLevel,
      MUC_LOG_FORMAT: ops.ops.logFormat,
      MUC_RECORD: ops.ops.record ?? "",
    };
    for (const [name, fallback] of VARIABLES) if (name !== "XMPP_DOMAIN" && name !== "XMPP_PASSWORD") expect([name, fallback]).toEqual([name, actual[name]!]);
  });

  test(".env.example lists the same variables with the same defaults, each with a comment", () => {
    const lines = readFileSync(`${root}/.env.example`, "utf8").split("\n");
    const listed: [string, string][] = [];
    lines.forEach((line, i) => {
      const m = /^#?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
      if (!m) return;
      listed.push([m[1]!, m[2]!]);
      expect(lines[i - 1]!.startsWith("# ")).toBe(true);
    });
    expect(listed).toEqual(VARIABLES.map(([n, d]) => [n, d]));
  });

  test("--help names every variable", () => {
    const help = helpText();
    for (const name of names) expect(help).toContain(name);
    expect(help).toContain("--replay FILE");
  });
});

describe("operator settings", () => {
  test("MUC_HTTP is host:port", () => {
    expect(parseHostPort("127.0.0.1:9090")).toEqual({ hostname: "127.0.0.1", port: 9090 });
    expect(parseHostPort("[::1]:0")).toEqual({ hostname: "::1", port: 0 });
    expect(parseHostPort("localhost:9090")).toEqual({ hostname: "localhost", port: 9090 });
    for (const bad of ["9090", "127.0.0.1", "127.0.0.1:99999", "http://x:1", "::1:9090"]) expect(parseHostPort(bad)).toBeUndefined();
    expect(parseOpsEnv({ MUC_HTTP: "9090" })).toEqual({ ok: false, error: 'MUC_HTTP must be host:port, e.g. 127.0.0.1:9090, got "9090"' });
  });

  test("levels and formats are checked", () => {
    expect(parseOpsEnv({ MUC_LOG_LEVEL: "WARN", MUC_LOG_FORMAT: "json", MUC_RECORD: "/tmp/r" })).toEqual({
      ok: true,
      ops: { logLevel: "warn", logFormat: "json", record: "/tmp/r" },
    });
    expect(parseOpsEnv({ MUC_LOG_LEVEL: "loud" })).toEqual({ ok: false, error: 'MUC_LOG_LEVEL must be one of debug, info, warn, error, got "loud"' });
    expect(parseOpsEnv({ MUC_LOG_FORMAT: "xml" })).toEqual({ ok: false, error: 'MUC_LOG_FORMAT must be text or json, got "xml"' });
  });
});

describe("logs", () => {
  const capture = (level: Level, format: "text" | "json") => {
    const lines: string[] = [];
    return { lines, log: createLogger({ level, format, sink: (l) => lines.push(l), clock: () => Date.UTC(2026, 0, 1) }) };
  };

  test("the level filters; warn lets warnings and errors through", () => {
    const { lines, log } = capture("warn", "text");
    log.debug("a", "debug line");
    log.info("b", "info line");
    log.warn("c", "warn line");
    log.error("d", "error line");
    expect(lines).toEqual(["warn line", "error line"]);
    expect(log.enabled("info")).toBe(false);
  });

  test("json: one object per line with time, level, event, message and fields", () => {
    const { lines, log } = capture("debug", "json");
    log.info("online", "online as muc.example.org", { domain: "muc.example.org", retry: 0.5, absent: undefined });
    log.error("internal-error", "it broke\nbadly", { stack: "Error: x\n    at y" });
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ time: "2026-01-01T00:00:00.000Z", level: "info", event: "online", msg: "online as muc.example.org", domain: "muc.example.org", retry: 0.5 });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: "error", msg: "it broke\nbadly", stack: "Error: x\n    at y" });
  });

  test("text: a stack stays on the one line", () => {
    const { lines, log } = capture("info", "text");
    log.error("internal-error", "internal error on a message", { stack: "TypeError: boom\n    at f (a.ts:1)\n    at g (b.ts:2)" });
    expect(lines).toEqual(["internal error on a message | TypeError: boom | at f (a.ts:1) | at g (b.ts:2)"]);
  });
});
