// The XML text of an element, exactly as ltx's Element#toString() writes it (same attribute
// order, same escaping, same self-closing of empty elements), without its per-piece writer
// callback: several times faster. Pure; used by the core where it measures or stores a
// stanza's text, and by the shell's output (lib/shell/output.ts) for everything it sends.
import type { Element } from "./stanza.ts";

/** One element as ltx's Element#toString() writes it. */
export function serialise(element: Element): string {
  const open = openTag(element);
  return element.children.length === 0 ? open + "/>" : open + ">" + renderChildren(element.children) + "</" + element.name + ">";
}

/**
 * serialise(element), also keeping the rendering of its children for renderedChildren():
 * for an element whose children array its copies share (a groupchat reflection, which is
 * rendered once for the archive anyway), so that the shell does not render it a second
 * time. The array must never change afterwards (what the core returns never does).
 */
export function serialiseShared(element: Element): string {
  const children = element.children;
  if (children.length === 0) return openTag(element) + "/>";
  let inner = shared.get(children);
  if (inner === undefined) shared.set(children, (inner = flat(renderChildren(children))));
  return openTag(element) + ">" + inner + "</" + element.name + ">";
}
const shared = new WeakMap<readonly unknown[], string>();
/**
 * `s` made one flat string before it is kept: a rendering is built by concatenation, which
 * JavaScriptCore keeps as a rope, every piece a string of its own (26 of them, 860 bytes, for
 * a short groupchat message, against one of 230 bytes flat). Reading a character resolves the
 * rope in place; the read goes into `sink` so that the JIT cannot drop it.
 */
export function flat(s: string): string {
  sink = (sink + s.charCodeAt(s.length >> 1)) | 0;
  return s;
}
let sink = 0;
const lasting = new WeakSet<readonly unknown[]>();

/**
 * Mark a children array that outlives a batch and is sent again and again (a history entry as
 * joiners get it: at most the room's history length of them per room): its rendering is kept
 * with it the first time it is rendered. Same rule as serialiseShared: the array never changes
 * afterwards. (Not for something kept per occupant: a newcomer's view of each occupant, kept
 * rendered, cost 1.3 KiB of heap per occupant.)
 */
export function renderOnce<T extends readonly unknown[]>(children: T): T {
  lasting.add(children);
  return children;
}

/** renderChildren(children), from a kept rendering when there is one (serialiseShared, renderOnce). */
export function renderedChildren(children: readonly unknown[]): string {
  let inner = shared.get(children);
  if (inner === undefined) {
    inner = renderChildren(children);
    if (lasting.has(children)) shared.set(children, (inner = flat(inner)));
  }
  return inner;
}

const ATTR_SPECIAL = /["&'<>]/;
const TEXT_SPECIAL = /[&<>]/;
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const escapeChar = (c: string) => ESCAPES[c]!;
export const escapeAttr = (s: string) => (ATTR_SPECIAL.test(s) ? s.replace(/["&'<>]/g, escapeChar) : s);
export const escapeText = (s: string) => (TEXT_SPECIAL.test(s) ? s.replace(/[&<>]/g, escapeChar) : s);

export function openTag(element: Element): string {
  let s = "<" + element.name;
  const attrs = element.attrs;
  for (const k in attrs) {
    const v = attrs[k];
    if (v != null) s += " " + k + '="' + escapeAttr(typeof v === "string" ? v : v.toString(10)) + '"';
  }
  return s;
}

export function renderChildren(children: readonly unknown[]): string {
  let s = "";
  for (const child of children) {
    if (child == null) continue;
    if (typeof child === "string") s += escapeText(child);
    else if (typeof (child as { write?: unknown }).write === "function") s += serialise(child as Element);
    else s += escapeText((child as { toString(radix?: number): string }).toString(10));
  }
  return s;
}

/**
 * serialise(element).length, or any number above `limit` once it is clear the text is longer:
 * counted without building the text.
 */
export function serialisedLength(element: Element, limit = Infinity): number {
  let n = 1 + element.name.length;
  const attrs = element.attrs;
  for (const k in attrs) {
    const v = attrs[k];
    if (v != null) n += k.length + 4 + escapedLength(typeof v === "string" ? v : v.toString(10), ATTR_SPECIAL, ATTR_EXTRA);
  }
  const children = element.children;
  if (children.length === 0) return n + 2;
  n += 4 + element.name.length; // ">" and "</name>"
  for (const child of children) {
    if (n > limit) return n;
    if (child == null) continue;
    if (typeof child === "string") n += escapedLength(child, TEXT_SPECIAL, TEXT_EXTRA);
    else if (typeof (child as { write?: unknown }).write === "function") n += serialisedLength(child as Element, limit - n);
    else n += escapedLength((child as { toString(radix?: number): string }).toString(10), TEXT_SPECIAL, TEXT_EXTRA);
  }
  return n;
}

const ATTR_EXTRA: Record<string, number> = { "&": 4, "<": 3, ">": 3, '"': 5, "'": 5 };
const TEXT_EXTRA: Record<string, number> = { "&": 4, "<": 3, ">": 3 };
function escapedLength(s: string, special: RegExp, extra: Record<string, number>): number {
  if (!special.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) n += extra[s[i]!] ?? 0;
  return n;
}
