// XEP-0045 §7.2.15 discussion history: what a room keeps, what a joining occupant asked for, and how it is sent (XEP-0203 delay).
//
// Modelled on Prosody's mod_muc history.lib.lua: the room keeps the last N
// historic messages with the time it received them; a join may narrow what it
// gets with maxstanzas, maxchars, seconds and since (all limits combine), and
// each message is sent with a <delay/> stamped by the room.
// Pure: the current time comes in as an argument; inputs are never mutated.
import { renderOnce, serialise } from "./serialise.ts";
import { clone, NS, xml, type Element } from "./stanza.ts";

export interface HistoryEntry {
  /** The reflected message (from room@service/nick), stored without a `to`. */
  stanza: Element;
  /** When the room received it, in ms since the epoch. */
  at: number;
  /** Length of `stanza.toString()`, what maxchars counts. */
  chars: number;
  /** Its XEP-0359 stanza-id, when it was archived. */
  id?: string;
}

export interface HistoryRequest {
  maxstanzas?: number;
  maxchars?: number;
  seconds?: number;
  /** ms since the epoch */
  since?: number;
}

/** A non-negative integer as XML Schema writes it (xs:int: optional +, digits), else undefined. */
function parseCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*\+?(\d+)\s*$/.exec(value);
  if (!match) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD, TZD being Z or ±hh:mm)
 * as ms since the epoch, or undefined if it is not one. Fractions beyond
 * milliseconds are truncated.
 */
export function parseDateTime(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/.exec(value.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month < 1 || month > 12) return undefined;
  if (day < 1 || day > DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && !leap)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (!m[8]) {
    const [hours, minutes] = [Number(m[10]), Number(m[11])];
    if (hours > 14 || minutes > 59) return undefined;
    offset = (m[9] === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  // Date.UTC reads years 0–99 as 1900–1999; setUTCFullYear does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime() - offset;
}

/**
 * The limits a join asked for, from the <history/> child of its
 * <x xmlns='http://jabber.org/protocol/muc'/>. Attributes that are missing,
 * negative, fractional or otherwise malformed are ignored, as if absent.
 */
export function parseHistoryRequest(join: Element): HistoryRequest {
  const history = join
    .getChildElements()
    .find((child) => child.name === "history" && (child.attrs.xmlns === undefined || child.attrs.xmlns === NS.muc));
  if (!history) return {};
  const request: HistoryRequest = {};
  const maxstanzas = parseCount(history.attrs.maxstanzas);
  if (maxstanzas !== undefined) request.maxstanzas = maxstanzas;
  const maxchars = parseCount(history.attrs.maxchars);
  if (maxchars !== undefined) request.maxchars = maxchars;
  const seconds = parseCount(history.attrs.seconds);
  if (seconds !== undefined) request.seconds = seconds;
  const since = typeof history.attrs.since === "string" ? parseDateTime(history.attrs.since) : undefined;
  if (since !== undefined) request.since = since;
  return request;
}

/**
 * `history` with `stanza` (received at `at`) appended, keeping only the newest
 * `maxLength` entries. The stored copy has no `to`: the same entry is later sent
 * to every joining occupant, see delayed().
 */
export function addToHistory(
  history: readonly HistoryEntry[],
  stanza: Element,
  at: number,
  maxLength: number,
  id?: string,
  /** serialise(stanza), when the caller has it already. */
  text?: string,
): HistoryEntry[] {
  const keep = Math.floor(maxLength);
  if (!(keep > 0)) return [];
  // Elements are never changed once built: one without `to` is kept as it is, not copied.
  let stored = stanza;
  if (stanza.attrs.to !== undefined) {
    stored = clone(stanza);
    delete stored.attrs.to;
    text = undefined;
  }
  const entry: HistoryEntry = { stanza: stored, at, chars: (text ?? serialise(stored)).length, ...(id ? { id } : {}) };
  return [...history.slice(Math.max(0, history.length - (keep - 1))), entry];
}

/**
 * The entries to send a joining occupant, oldest first. Walking back from the
 * newest, it stops at the first entry that breaks any limit:
 * - maxstanzas: at most that many (never more than `defaultMax`);
 * - maxchars: the total of their `chars` must not exceed it;
 * - seconds: only entries received less than that many seconds before `now`;
 * - since: only entries received strictly after it.
 * Without a request, the newest `defaultMax` entries. A zero limit sends nothing.
 */
export function selectHistory(
  history: readonly HistoryEntry[],
  request: HistoryRequest,
  now: number,
  defaultMax: number,
): HistoryEntry[] {
  const maxstanzas = Math.max(0, Math.min(request.maxstanzas ?? defaultMax, defaultMax));
  const after = Math.max(
    request.since ?? Number.NEGATIVE_INFINITY,
    request.seconds !== undefined ? now - request.seconds * 1000 : Number.NEGATIVE_INFINITY,
  );
  let chars = 0;
  let start = history.length;
  while (start > 0 && history.length - start < maxstanzas) {
    const entry = history[start - 1]!;
    if (entry.at <= after) break;
    chars += entry.chars;
    if (request.maxchars !== undefined && chars > request.maxchars) break;
    start--;
  }
  return history.slice(start);
}

/** XEP-0082 DateTime in UTC, with milliseconds only when there are some. */
export function stamp(at: number): string {
  return new Date(at).toISOString().replace(".000Z", "Z");
}

/**
 * The history entry as sent to `to`: a copy of the stored message addressed to
 * `to`, with a XEP-0203 <delay/> from the room saying when the room received it.
 * A delay the room itself added earlier is replaced; delays from others stay.
 */
export function delayed(entry: HistoryEntry, roomJid: string, to: string): Element {
  const { from, to: _stored, ...rest } = entry.stanza.attrs;
  const message = xml(entry.stanza.name, { ...(from !== undefined ? { from } : {}), to, ...rest });
  // Every joiner gets the same payload: built once per entry (and rendered once, serialise.ts),
  // shared by the copies as a groupchat message's are; never changed afterwards.
  let payload = payloads.get(entry);
  if (payload === undefined || payload.room !== roomJid) {
    const kept = entry.stanza.children.filter(
      (child) => typeof child === "string" || !(child.name === "delay" && child.attrs.xmlns === NS.delay && child.attrs.from === roomJid),
    );
    payload = { room: roomJid, children: renderOnce([...kept, xml("delay", { xmlns: NS.delay, from: roomJid, stamp: stamp(entry.at) })]) };
    payloads.set(entry, payload);
  }
  message.children = payload.children;
  return message;
}
const payloads = new WeakMap<HistoryEntry, { room: string; children: Element["children"] }>();
