// The command line: the service takes its settings from the environment, so
// the only arguments are --help, --version and --replay FILE (the replay of a
// recording, for a machine that has only the compiled executable). Anything
// else is refused, so a typo never starts a service with settings it did not mean.
import { defaultConfig } from "../context.ts";
import { VERSION } from "../disco.ts";

export type Command =
  | { action: "run" }
  | { action: "help" }
  | { action: "version" }
  | { action: "replay"; file: string; reads: boolean }
  | { action: "refuse"; message: string };

export function parseArgs(args: readonly string[]): Command {
  if (args.length === 0) return { action: "run" };
  const [first, ...rest] = args;
  if ((first === "--help" || first === "-h") && rest.length === 0) return { action: "help" };
  if ((first === "--version" || first === "-v") && rest.length === 0) return { action: "version" };
  if (first === "--replay") {
    const reads = rest.includes("--reads");
    const files = rest.filter((a) => a !== "--reads");
    if (files.length === 1 && !files[0]!.startsWith("-")) return { action: "replay", file: files[0]!, reads };
    return { action: "refuse", message: "--replay takes one file (and optionally --reads)" };
  }
  const unknown = args.find((a) => !["--help", "-h", "--version", "-v"].includes(a));
  if (unknown === undefined) return { action: "refuse", message: `${args.join(" ")}: give one of --help, --version, --replay FILE` };
  return { action: "refuse", message: `unknown argument ${JSON.stringify(unknown)}; settings come from the environment (see --help)` };
}

/** Every environment variable the service reads: name, default ("" for none), meaning. .env.example lists the same. */
export const VARIABLES: readonly [name: string, fallback: string, meaning: string][] = [
  ["XMPP_SERVICE", "xmpp://127.0.0.1:5347", "the server's component port"],
  ["XMPP_DOMAIN", "", "the component's domain, e.g. muc.example.org (required)"],
  ["XMPP_PASSWORD", "", "the component secret shared with the server (required)"],
  ["XMPP_DEBUG", "false", "print every stanza in and out"],
  ["MUC_DATABASE", "muc.sqlite", "the SQLite file for rooms and archives, or a postgres:// URL"],
  ["MUC_NAME", defaultConfig.name, "the service's name in service discovery"],
  ["MUC_ADMINS", "", "comma-separated bare JIDs that administer every room"],
  ["MUC_LOCK_ROOMS", String(defaultConfig.lockRooms), "lock a new room until its owner configures it"],
  ["MUC_HISTORY_LENGTH", String(defaultConfig.historyLength), "messages a room keeps for history on join"],
  ["MUC_MAX_HISTORY_LENGTH", String(defaultConfig.maxHistoryLength), "the most an owner may configure"],
  ["MUC_MAX_NICK_LENGTH", String(defaultConfig.maxNickLength), "longest nickname, in characters"],
  ["MUC_MAX_OCCUPANTS", String(defaultConfig.maxOccupants), "occupants per room (0: no limit)"],
  ["MUC_MAX_STANZA_CHARS", String(defaultConfig.maxStanzaChars), "larger stanzas from clients are refused"],
  ["MUC_ROOM_CACHE_SIZE", String(defaultConfig.roomCacheSize), "empty persistent rooms kept in memory"],
  ["MUC_MAX_WAITING_STANZAS", String(defaultConfig.maxWaitingStanzas), "stanzas held per room while it loads"],
  ["MUC_MAX_LOADING_ROOMS", String(defaultConfig.maxLoadingRooms), "rooms read from storage at once; a stanza for one more is refused"],
  ["MUC_MAX_ROOMS", String(defaultConfig.maxRooms), "rooms in memory at once; creating one more is refused"],
  ["MUC_MAX_ROOMS_PER_USER", String(defaultConfig.maxRoomsPerUser), "rooms one account may be in at once"],
  ["MUC_ROOM_CREATIONS_PER_MINUTE", String(defaultConfig.roomCreationsPerMinute), "rooms one account may create per minute"],
  ["MUC_RATE_GROUPCHAT_BURST", String(defaultConfig.groupchatBurst), "groupchat messages an occupant may send at once"],
  ["MUC_RATE_GROUPCHAT_PER_MINUTE", String(defaultConfig.groupchatPerMinute), "groupchat messages per minute after the burst"],
  ["MUC_RATE_PRIVATE_BURST", String(defaultConfig.privateBurst), "private messages, invitations and declines at once"],
  ["MUC_RATE_PRIVATE_PER_MINUTE", String(defaultConfig.privatePerMinute), "private messages, invitations and declines per minute after the burst"],
  ["MUC_RATE_PRESENCE_BURST", String(defaultConfig.presenceBurst), "presence changes (joins included) at once"],
  ["MUC_RATE_PRESENCE_PER_MINUTE", String(defaultConfig.presencePerMinute), "presence changes per minute after the burst"],
  ["MUC_RATE_NICK_CHANGE_BURST", String(defaultConfig.nickChangeBurst), "nick changes at once"],
  ["MUC_RATE_NICK_CHANGES_PER_MINUTE", String(defaultConfig.nickChangesPerMinute), "nick changes per minute after the burst"],
  ["MUC_RATE_EXEMPT", defaultConfig.rateExempt, "none, or the least affiliation (member, admin, owner) exempt from the rates"],
  ["MUC_ARCHIVE_PAGE_SIZE", String(defaultConfig.archivePageSize), "MAM page size when a query names none"],
  ["MUC_ARCHIVE_MAX_PAGE_SIZE", String(defaultConfig.archiveMaxPageSize), "the largest MAM page a query may ask for"],
  ["MUC_ARCHIVE_MAX_MESSAGES", String(defaultConfig.archiveMaxMessages), "archived messages kept per room"],
  ["MUC_ARCHIVE_EXPIRY_DAYS", String(defaultConfig.archiveExpiryDays), "archived messages older than this are deleted (0: never)"],
  ["MUC_DIRECTORY_PAGE_SIZE", String(defaultConfig.directoryPageSize), "rooms per disco#items page"],
  ["MUC_MAX_VCARD_CHARS", String(defaultConfig.maxVcardChars), "largest room avatar vCard, in characters"],
  ["MUC_OPEN_REGISTRATION", String(defaultConfig.openRegistration), "let someone with no affiliation register a nick, becoming a member"],
  ["MUC_INVITE_FROM", defaultConfig.inviteFrom, "invitations name the inviter by real or occupant JID"],
  ["MUC_ON_STOP", "stay", "on SIGTERM: stay (occupants restored at the next start) or leave (332 to everyone)"],
  ["MUC_VERIFY_BATCH", String(defaultConfig.verifyBatch), "sessions checked per second after a restart or a reconnect"],
  ["MUC_VERIFY_TIMEOUT", String(defaultConfig.verifyTimeout), "seconds a session check may go unanswered before the session counts as gone"],
  ["MUC_CLUSTER", String(defaultConfig.cluster), "one of several processes for the domain behind ejabberd (set by `bun run cluster`)"],
  ["MUC_HTTP", "", "host:port for /metrics and /health, e.g. 127.0.0.1:9090 (off when empty)"],
  ["MUC_LOG_LEVEL", "info", "debug, info, warn or error"],
  ["MUC_LOG_FORMAT", "text", "text, or json for one JSON object per line"],
  ["MUC_RECORD", "", "append every input of the core to this file, for `--replay` (off when empty)"],
];

export function helpText(): string {
  const width = Math.max(...VARIABLES.map(([n]) => n.length));
  return `bun-muc ${VERSION}: an XMPP Multi-User Chat service (XEP-0045), run as an external component (XEP-0114)

usage:
  muc                       run the service, configured by the environment (and ./.env)
  muc --replay FILE [--reads]
                            replay a MUC_RECORD file through a fresh core and print the transcript
  muc --version             print the version
  muc --help                print this

environment (default in brackets):
${VARIABLES.map(([name, fallback, meaning]) => `  ${name.padEnd(width)}  ${meaning}${fallback ? ` [${fallback}]` : ""}`).join("\n")}
`;
}
