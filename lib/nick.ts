// XEP-0045 §7.2.1 occupant nicknames, enforced and compared with the PRECIS Nickname profile (RFC 8266, formerly RFC 7700).
//
// Simplified but principled: the enforcement rules are those of RFC 8266 §2.2
// (map non-ASCII spaces to U+0020, trim, collapse runs of spaces, NFKC), and the
// comparison key is that of §2.4 (enforce, then toLowerCase, then NFKC). The
// FreeformClass repertoire check (RFC 8264 §4.3) is approximated with Unicode
// general categories and properties the JS regex engine knows about: anything
// invisible, unassigned, private or control-like is refused, everything else
// (letters in any script, symbols, punctuation, emoji) is accepted.
// Pure: no clock, no I/O.

export type NickResult =
  | { ok: true; nick: string; key: string }
  | { ok: false; condition: "jid-malformed" | "not-acceptable"; text: string };

/** RFC 7622 §3.4: a resourcepart (which an occupant nick is) is at most 1023 octets of UTF-8. */
const MAX_RESOURCE_BYTES = 1023;

/** Space separators other than U+0020 (RFC 8266 §2.1 "additional mapping rule"). */
const NON_ASCII_SPACE = /[^\P{Zs} ]/gu;
const SPACE_RUNS = / {2,}/g;

/**
 * Variation selectors are default-ignorable, but emoji pickers insert VS16
 * (U+FE0F) after many emoji ("❤️"), so they are allowed in a nick and dropped
 * from its comparison key: "❤" and "❤️" are the same nick.
 */
const VARIATION_SELECTORS = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;

const INVISIBLE = "Nicknames cannot contain invisible or formatting characters";

/** What is refused, in the order checked, each with the text the occupant sees. */
const DISALLOWED: readonly { pattern: RegExp; text: string }[] = [
  { pattern: /\p{Cc}/u, text: "Nicknames cannot contain control characters such as tabs or line breaks" },
  { pattern: /[\p{Zl}\p{Zp}]/u, text: "Nicknames cannot contain line or paragraph separators" },
  { pattern: /\p{Cs}/u, text: "Nicknames cannot contain unpaired surrogate code points" },
  { pattern: /\p{Co}/u, text: "Nicknames cannot contain private-use characters" },
  // Noncharacters such as U+FFFE and U+FDD0 are general category Cn too.
  { pattern: /\p{Cn}/u, text: "Nicknames cannot contain unassigned code points or noncharacters" },
  {
    // Zero-width joiners and spaces, bidi overrides, soft hyphens, Hangul fillers…:
    // they make nicks that look empty or identical to someone else's.
    // (Variation selectors are removed before this check, see VARIATION_SELECTORS.)
    pattern: /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u,
    text: INVISIBLE,
  },
];

function utf8Length(s: string): number {
  let bytes = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    // A lone surrogate would be encoded as U+FFFD: 3 bytes, the same as the else branch.
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** One pass of the RFC 8266 §2.2 enforcement rules. */
function enforceOnce(s: string): string {
  return s
    .replace(NON_ASCII_SPACE, " ")
    .normalize("NFKC")
    .replace(SPACE_RUNS, " ")
    .replace(/^ | $/g, ""); // only U+0020: a leading tab is refused, not trimmed
}

/**
 * RFC 8264 §7 asks for the rules to be reapplied until the output is stable.
 * One pass is stable for every input tried; the loop is a safety net, and a
 * string that never settles is refused by the caller.
 */
function enforce(s: string): string | undefined {
  let current = s;
  for (let i = 0; i < 4; i++) {
    const next = enforceOnce(current);
    if (next === current) return current;
    current = next;
  }
  return undefined;
}

/** RFC 8266 §2.4 comparison form of an already enforced nick. */
function comparisonKey(nick: string): string {
  return nick.replace(VARIATION_SELECTORS, "").toLowerCase().normalize("NFKC");
}

/**
 * Enforce the nickname profile on `raw` (the resourcepart of the occupant JID a
 * client asked for). On success `nick` is what the room uses and shows, and
 * `key` is what it compares: two nicks with equal keys conflict.
 * `maxLength` is the room's limit in code points, counted after enforcement.
 */
export function normalizeNick(raw: string | undefined, maxLength = 64): NickResult {
  if (raw === undefined || raw === "") {
    return { ok: false, condition: "jid-malformed", text: "A nickname is required" };
  }
  // The address the client used is itself malformed (RFC 7622 §3.4), whatever enforcement would make of it.
  if (utf8Length(raw) > MAX_RESOURCE_BYTES) {
    return { ok: false, condition: "jid-malformed", text: `Nicknames are limited to ${MAX_RESOURCE_BYTES} bytes` };
  }
  const nick = enforce(raw);
  if (nick === undefined) {
    return { ok: false, condition: "not-acceptable", text: "This nickname cannot be normalized" };
  }
  if (nick === "") {
    return { ok: false, condition: "jid-malformed", text: "A nickname cannot consist only of spaces" };
  }
  // Variation selectors are general category Mn, so removing them hides nothing the checks look for.
  const checked = nick.replace(VARIATION_SELECTORS, "");
  if (checked === "") return { ok: false, condition: "not-acceptable", text: INVISIBLE };
  for (const { pattern, text } of DISALLOWED) {
    if (pattern.test(checked)) return { ok: false, condition: "not-acceptable", text };
  }
  // NFKC can expand a string (U+FDFA becomes 18 code points), so the occupant JID may now be too long.
  if (utf8Length(nick) > MAX_RESOURCE_BYTES) {
    return { ok: false, condition: "jid-malformed", text: `Nicknames are limited to ${MAX_RESOURCE_BYTES} bytes` };
  }
  if (codePointLength(nick) > maxLength) {
    return { ok: false, condition: "not-acceptable", text: `Nicknames are limited to ${maxLength} characters` };
  }
  return { ok: true, nick, key: comparisonKey(nick) };
}

/**
 * The comparison key of `raw`, or undefined if it is not a valid nick. For
 * looking occupants up by nick; it applies no length policy beyond the JID limit,
 * so it finds whoever holds a nick whatever the room's current maximum.
 */
export function nickKey(raw: string): string | undefined {
  const result = normalizeNick(raw, Number.POSITIVE_INFINITY);
  return result.ok ? result.key : undefined;
}
