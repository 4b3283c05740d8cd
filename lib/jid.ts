// XMPP addresses (RFC 7622), parsed, checked and put in the one form they are
// compared in. Every address the service takes from a stanza goes through here:
// the `to` and `from` of everything (service.ts), invitees and declines
// (invite.ts), muc#admin items (affiliations.ts), a destroyed room's
// alternate venue (room-config.ts), MAM's `with`, MUC_ADMINS.
//
// The parts are split as @xmpp/jid's parse() splits them (RFC 7622 §3.1: the
// resourcepart begins at the first '/', the localpart ends at the first '@'
// before it), but not with it: parse() checks nothing (it takes `@@@` for the
// domain "@@") and silently XEP-0106-escapes a localpart it does not like, so
// that `a b@x` becomes the different address `a\20b@x`. Here such input is
// refused (undefined), and the caller answers jid-malformed.
//
// Canonical forms, for comparison and for what the service sends:
// - domainpart: lowercased and NFKC-normalised (IDNA2008's mapping, and Prosody's
//   nameprep), ideographic full stops read as dots, one trailing dot dropped;
// - localpart: NFKC-normalised and lowercased (RFC 8265 UsernameCaseMapped's
//   width and case mapping; Prosody's nodeprep gives the same for what servers
//   hand out), the characters stringprep maps to nothing removed;
// - resourcepart: NFC (the OpaqueString profile), never case-folded.
// What is refused is what Prosody's stringprep profiles refuse (spaces, controls,
// private use, unassigned code points, bidi and tagging controls, and in a
// localpart " & ' / : < > @), plus parts longer than 1023 octets (RFC 7622 §3).
// Pure.
import { xml, type Element } from "./stanza.ts";
/** An address in canonical form; `resource` is absent for a bare JID. */
export interface Jid {
  local: string;
  domain: string;
  resource?: string;
}

const MAX_PART_BYTES = 1023;

/** stringprep B.1: mapped to nothing (soft hyphen, zero-width joiners and spaces, variation selectors, BOM). */
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
/** Refused anywhere in an address: controls, spaces and separators, surrogates, private use, unassigned, C.6–C.9. */
const NEVER = /[\p{Cc}\p{Cs}\p{Co}\p{Cn}\p{Z}\u200E\u200F\u202A-\u202E\u206A-\u206F\uFFF9-\uFFFD\u2FF0-\u2FFB\u{E0001}\u{E0020}-\u{E007F}]/u;
/** Refused in a localpart besides (RFC 7622 §3.3.1). */
const NOT_IN_LOCAL = /["&'/:<>@]/;
/** What an ASCII domain label may hold (letters, digits, hyphens; underscores, which real deployments use). */
const ASCII_LABEL_CHARS = /^[a-z0-9_-]+$/;
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/;

function utf8Bytes(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * Whether every code unit of `s` is printable ASCII (0x21–0x7E; with `space`, 0x20 too). For
 * such a string NFC and NFKC change nothing, nothing is mapped to nothing, and of the classes
 * refused only what the callers check themselves can occur: the fast path of almost every address.
 */
function plainAscii(s: string, space: boolean): boolean {
  const low = space ? 0x20 : 0x21;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < low || c > 0x7e) return false;
  }
  return true;
}

/** The canonical localpart, or undefined if `raw` is not one. */
export function canonicalLocal(raw: string): string | undefined {
  if (raw.length <= MAX_PART_BYTES && raw !== "" && plainAscii(raw, false)) {
    const lower = raw.toLowerCase();
    return NOT_IN_LOCAL.test(lower) ? undefined : lower;
  }
  const local = raw.replace(MAPPED_TO_NOTHING, "").normalize("NFKC").toLowerCase().normalize("NFKC");
  if (local === "" || NEVER.test(local) || NOT_IN_LOCAL.test(local) || utf8Bytes(local) > MAX_PART_BYTES) return undefined;
  return local;
}

/** The canonical domainpart, or undefined if `raw` is not one. */
export function canonicalDomain(raw: string): string | undefined {
  // A service sees few domains, again and again: each is worked out once (a pure function's memo, bounded).
  const known = domains.get(raw);
  if (known !== undefined || domains.has(raw)) return known;
  const domain = domainOf(raw);
  if (domains.size >= 1024) domains.clear();
  domains.set(raw, domain);
  return domain;
}
const domains = new Map<string, string | undefined>();

function domainOf(raw: string): string | undefined {
  let domain = raw.replace(/[\u3002\uFF0E\uFF61]/g, ".").replace(MAPPED_TO_NOTHING, "").normalize("NFKC").toLowerCase();
  if (domain.endsWith(".")) domain = domain.slice(0, -1); // RFC 7622 §3.2: the trailing dot is not part of the name
  if (domain === "" || NEVER.test(domain) || utf8Bytes(domain) > MAX_PART_BYTES) return undefined;
  if (IPV6_LITERAL.test(domain)) return domain;
  for (const label of domain.split(".")) {
    if (label === "" || label.length > 63 || label.startsWith("-") || label.endsWith("-")) return undefined;
    for (const ch of label) if (ch < "\u0080" && !ASCII_LABEL_CHARS.test(ch)) return undefined;
  }
  return domain;
}

/** The canonical resourcepart, or undefined if `raw` is not one. */
export function canonicalResource(raw: string): string | undefined {
  if (raw.length <= MAX_PART_BYTES && raw !== "" && plainAscii(raw, true)) return raw;
  const resource = raw.replace(/[^\P{Zs} ]/gu, " ").normalize("NFC");
  if (resource === "" || /[\p{Cc}\p{Cs}\p{Cn}]/u.test(resource) || utf8Bytes(resource) > MAX_PART_BYTES) return undefined;
  return resource;
}

/** RFC 7622 §3.1: [localpart "@"] domainpart ["/" resourcepart], the raw parts (a part absent is undefined). */
export function splitJid(raw: string): { local?: string; domain: string; resource?: string } {
  const slash = raw.indexOf("/");
  const head = slash === -1 ? raw : raw.slice(0, slash);
  const at = head.indexOf("@");
  return {
    ...(at === -1 ? {} : { local: head.slice(0, at) }),
    domain: at === -1 ? head : head.slice(at + 1),
    ...(slash === -1 ? {} : { resource: raw.slice(slash + 1) }),
  };
}

/** Parse an address into its canonical parts; undefined if it is not an XMPP address. */
export function parseJid(raw: string | undefined): Jid | undefined {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 3 * MAX_PART_BYTES + 2) return undefined;
  const parts = splitJid(raw);
  const domain = canonicalDomain(parts.domain);
  if (domain === undefined) return undefined;
  const local = parts.local === undefined ? "" : canonicalLocal(parts.local);
  if (local === undefined) return undefined;
  if (parts.resource === undefined) return { local, domain };
  const resource = canonicalResource(parts.resource);
  return resource === undefined ? undefined : { local, domain, resource };
}

/** The address as a string (the canonical string, for a Jid from parseJid). */
export function formatJid(jid: Jid): string {
  return `${jid.local ? `${jid.local}@` : ""}${jid.domain}${jid.resource !== undefined ? `/${jid.resource}` : ""}`;
}

export function bareJid(jid: Jid): string {
  return formatJid({ local: jid.local, domain: jid.domain });
}

/** The canonical form of a full or bare address, or undefined. */
export function canonicalJid(raw: string | undefined): string | undefined {
  const jid = parseJid(raw);
  return jid && formatJid(jid);
}

/** The canonical bare form of an address (its resource dropped), or undefined. */
export function canonicalBare(raw: string | undefined): string | undefined {
  const jid = parseJid(raw);
  return jid && bareJid(jid);
}

/** A stanza's `to` and `from`, checked, for the service at `domain`. */
export type Addressing =
  /** Both addresses are good: `stanza` carries them in canonical form (the input itself when they were already). */
  | { ok: true; stanza: Element; local: string; resource: string | undefined }
  /** Not for us (another domain), or from no address anyone can be answered at: dropped. */
  | { ok: false; reason: "not-ours" | "bad-from" }
  /** To a localpart that is not one (a room that cannot exist): `stanza` is addressed to the service, which answers it. */
  | { ok: false; reason: "bad-room"; stanza: Element };

/**
 * Check and canonicalise a stanza's addresses. The resourcepart of `to` (a nick)
 * is kept as sent: nick.ts enforces and compares nicks by their own profile.
 * A `from` in our own domain is dropped too: the service never addresses
 * itself, so that is a stanza of ours coming back, and answering it could loop.
 */
export function addressing(stanza: Element, domain: string): Addressing {
  const { from, to } = stanza.attrs as { from: string; to: string };
  const target = splitJid(to);
  if (canonicalDomain(target.domain) !== domain) return { ok: false, reason: "not-ours" };
  const sender = parseJid(from);
  if (!sender || sender.domain === domain) return { ok: false, reason: "bad-from" };
  const canonicalFrom = formatJid(sender);
  const local = target.local === undefined ? "" : canonicalLocal(target.local);
  if (local === undefined) return { ok: false, reason: "bad-room", stanza: readdressed(stanza, canonicalFrom, domain) };
  const canonicalTo = `${local ? `${local}@` : ""}${domain}${target.resource !== undefined ? `/${target.resource}` : ""}`;
  return { ok: true, stanza: readdressed(stanza, canonicalFrom, canonicalTo), local, resource: target.resource };
}

/** `stanza` with other addresses: a shallow copy (children shared, never re-parented), or the stanza itself if they are the same. */
function readdressed(stanza: Element, from: string, to: string): Element {
  if (stanza.attrs.from === from && stanza.attrs.to === to) return stanza;
  const copy = xml(stanza.name, { ...stanza.attrs, from, to });
  copy.children = stanza.children.slice();
  return copy;
}
