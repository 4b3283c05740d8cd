// Strings that do not hold on to the socket's buffer.
//
// The XML parser cuts every name, attribute value and text out of the chunk it was given
// (String#slice), and JavaScriptCore's substrings share their base string: a 20-character JID
// kept from a 64 KiB chunk keeps all 64 KiB alive. The room keeps some of what it receives for
// a long time (a session's address and presence, a history entry's payload, a subject), so
// without this, each of those could pin a whole read buffer: 500 small messages kept from 500
// reads of 64 KiB held 32 MiB (test/unshare.test.ts). The shell gives each received stanza strings of their
// own before the core sees it; it is the only place that knows where stanzas come from.
//
// The parser keeps one more thing it should not: text between stanzas (whitespace keepalives,
// newlines) is appended to the stream's root element, one string per gap, for as long as the
// connection lasts, each a substring of its read buffer. dropStreamText() empties it.
import type { Element } from "../stanza.ts";

/**
 * `s` as a string of its own (same characters): padEnd builds a new string, and the slice of
 * it shares only that one, one character longer than `s`.
 */
export const ownString = (s: string): string => (s.length < 2 ? s : s.padEnd(s.length + 1).slice(0, -1));

/**
 * Names, namespaces, types, languages and caps repeat from stanza to stanza: each is copied once and
 * then shared. At most INTERNED of them (short ones only), so a peer sending endless new names
 * costs a copy each, never an unbounded table.
 */
const INTERNED = 4096;
const interned = new Map<string, string>();
function shared(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  const own = ownString(s);
  if (interned.size < INTERNED && s.length <= 64) interned.set(own, own);
  return own;
}
/** The attributes whose values repeat (node, ver and hash: every session of one client version sends the same XEP-0115 caps). */
const REPEATED = new Set(["xmlns", "type", "xml:lang", "node", "ver", "hash"]);
/** How many strings are shared so far (at most INTERNED). */
export const internedCount = () => interned.size;

/** Give `element` (fresh from the parser, not yet seen by anyone else) and all below it strings of their own, in place. */
export function unshareStrings(element: Element): Element {
  element.name = shared(element.name);
  const attrs = element.attrs;
  for (const key in attrs) {
    const value = attrs[key];
    if (typeof value === "string") attrs[key] = REPEATED.has(key) ? shared(value) : ownString(value);
  }
  const children = element.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i];
    if (typeof child === "string") children[i] = ownString(child);
    else if (child != null && typeof child === "object") unshareStrings(child as Element);
  }
  return element;
}

/**
 * Forget the text the parser has put on the stream's root element (the root's children are
 * only ever that text: stanzas are handed out, not appended). Called for every stanza received.
 */
export function dropStreamText(root: Element | null | undefined): void {
  if (root && root.children.length > 0) root.children.length = 0;
}
