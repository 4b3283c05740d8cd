// Stanza helpers shared by every reducer: namespaces, building replies and
// errors (RFC 6120 §8.3), and reading the few attributes every reducer needs.
// Everything here is pure: it builds new elements and never mutates its input.
import ltx from "@xmpp/xml";
import type { Element } from "@xmpp/xml";

export type { Element };

/**
 * @xmpp/xml's xml() (ltx's createElement), the same element built without its costs: it
 * deletes two keys from the attributes it is given (which turns the object into a slow
 * dictionary), walks them with Object.entries, then copies them again in the constructor.
 * Here: absent (null or undefined) attributes are left out, the others converted with
 * toString(10), in their order; a string for attrs is the xmlns; children are appended as
 * createElement appends them (arrays flattened; "", null, undefined, true, false skipped).
 * The function carries xml's properties (xml.Element, xml.Parser, …).
 */
function build(name: string, attrs?: Record<string, unknown> | string | null, ...children: unknown[]): Element {
  const element = new ltx.Element(name);
  if (typeof attrs === "string") element.attrs.xmlns = attrs;
  else if (typeof attrs === "object" && attrs !== null) {
    const own = element.attrs;
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value != null) own[key] = typeof value === "string" ? value : (value as { toString(radix?: number): string }).toString(10);
    }
  }
  for (let i = 0; i < children.length; i++) appendChild(element, children[i]);
  return element;
}
function appendChild(element: Element, child: unknown): void {
  if (Array.isArray(child)) {
    for (const c of child) appendChild(element, c);
    return;
  }
  if (child === "" || child == null || child === true || child === false) return;
  element.children.push(child as Element); // Element#cnode
  if (typeof child === "object") (child as Element).parent = element;
}
export const xml: typeof ltx = Object.assign(build as unknown as typeof ltx, ltx);

export const NS = {
  stanzas: "urn:ietf:params:xml:ns:xmpp-stanzas",
  muc: "http://jabber.org/protocol/muc",
  mucUser: "http://jabber.org/protocol/muc#user",
  mucAdmin: "http://jabber.org/protocol/muc#admin",
  mucOwner: "http://jabber.org/protocol/muc#owner",
  mucStableId: "http://jabber.org/protocol/muc#stable_id",
  discoInfo: "http://jabber.org/protocol/disco#info",
  discoItems: "http://jabber.org/protocol/disco#items",
  ping: "urn:xmpp:ping",
  delay: "urn:xmpp:delay",
  hints: "urn:xmpp:hints",
  data: "jabber:x:data",
  selfPing: "http://jabber.org/protocol/muc#self-ping-optimization",
  version: "jabber:iq:version",
  stanzaId: "urn:xmpp:sid:0",
  occupantId: "urn:xmpp:occupant-id:0",
  mam: "urn:xmpp:mam:2",
  mamExtended: "urn:xmpp:mam:2#extended",
  rsm: "http://jabber.org/protocol/rsm",
  forward: "urn:xmpp:forward:0",
  retract: "urn:xmpp:message-retract:1",
  moderate: "urn:xmpp:message-moderate:1",
  moderate0: "urn:xmpp:message-moderate:0",
  retract0: "urn:xmpp:message-retract:0",
  fasten: "urn:xmpp:fasten:0",
  vcard: "vcard-temp",
  vcardUpdate: "vcard-temp:x:update",
  register: "jabber:iq:register",
  commands: "http://jabber.org/protocol/commands",
} as const;

/** The element a serialised stanza describes (what storage hands back). Throws on malformed XML. */
export function parseXml(text: string): Element {
  const parser = new xml.Parser();
  let wrapper: Element | undefined;
  let found: Element | undefined;
  let failure: Error | undefined;
  parser.on("start", (el: Element) => (wrapper = el));
  parser.on("element", (el: Element) => {
    el.parent = null;
    found ??= el;
  });
  parser.on("error", (err: Error) => (failure = err));
  parser.write(`<w>${text}</w>`);
  if (failure || !found) throw failure ?? new Error("no element");
  void wrapper;
  return found;
}

/** A deep copy of an element (ltx 3 has no Element#clone). */
export function clone(element: Element): Element {
  // Straight to the constructor: xml() (createElement) deletes keys from and re-stringifies the
  // attributes it is given, which costs more than the copy itself.
  const copy = new xml.Element(element.name);
  copy.attrs = { ...element.attrs };
  const children = element.children;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (typeof child === "string") copy.children.push(child);
    else {
      const inner = clone(child);
      inner.parent = copy;
      copy.children.push(inner);
    }
  }
  return copy;
}

/**
 * `element` addressed to `to`: a new top-level element (same name, same attributes in the same
 * order, `to` set), whose children are the *same* array as the original's. Cheap (no deep copy);
 * both must then stay unchanged, which every reducer's output does. The shell serialises such a
 * shared array once per batch (lib/shell/output.ts).
 *
 * A broadcast makes one of these per recipient, so even its attributes are not copied: the
 * copy keeps the original and its own `to`, and builds its `attrs` object only when something
 * reads it (a test, @xmpp/debug's toString()). The shell's serialiser reads neither: it renders
 * the original's tag once around each copy's `to` (see readdressing()).
 */
export function readdressed(element: Element, to: string): Element {
  const copy: Readdressed = Object.create(READDRESSED);
  copy.name = element.name;
  copy.parent = null;
  copy.children = element.children;
  copy.original = element;
  copy.to = to;
  copy.own = undefined;
  return copy;
}

interface Readdressed extends Element {
  original: Element;
  to: string;
  /** The attributes, once read (or set). */
  own: Element["attrs"] | undefined;
}

const READDRESSED: Readdressed = Object.create(ltx.Element.prototype, {
  attrs: {
    get(this: Readdressed) {
      return (this.own ??= { ...this.original.attrs, to: this.to });
    },
    set(this: Readdressed, attrs: Element["attrs"]) {
      this.own = attrs;
    },
  },
});

/** `element.attrs[name]`, without making a readdressed() copy build its attributes. */
export function attrOf(element: Element, name: string): string | undefined {
  const copy = readdressing(element);
  if (copy) return name === "to" ? copy.to : copy.original.attrs[name];
  return element.attrs[name];
}

/**
 * For the serialiser: the original and the address of a copy made by readdressed() whose
 * attributes nobody has read or replaced (so they are the original's, with `to`), else undefined.
 */
export function readdressing(element: Element): { original: Element; to: string } | undefined {
  const copy = element as Readdressed;
  return Object.getPrototypeOf(copy) === READDRESSED && copy.own === undefined ? copy : undefined;
}

export type ErrorType = "cancel" | "modify" | "auth" | "wait" | "continue";

/** The RFC 6120 §8.3.3 conditions this service uses, with their default error type. */
export const CONDITIONS = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  "registration-required": "auth",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "internal-server-error": "cancel",
} as const satisfies Record<string, ErrorType>;

export type Condition = keyof typeof CONDITIONS;

/** True for a stanza that must never be answered with an error (RFC 6120 §8.3.1). */
export function isError(stanza: Element): boolean {
  return stanza.attrs.type === "error";
}

/**
 * The error reply to `stanza`: addressed back to its sender, from the address it
 * was sent to, same id, the original payload kept for messages and presences
 * (so the sender sees what failed), and `<error/>` with the condition.
 * Returns [] for a stanza of type error: nothing ever answers an error with an error.
 */
export function errorReply(
  stanza: Element,
  condition: Condition,
  text?: string,
  opts: { by?: string; type?: ErrorType } = {},
): Element[] {
  if (isError(stanza)) return [];
  const { from, to, id } = stanza.attrs;
  const reply = xml(stanza.name, { from: to, to: from, type: "error", ...(id ? { id } : {}) });
  if (stanza.name !== "iq") for (const child of stanza.getChildElements()) reply.append(clone(child));
  const error = xml(
    "error",
    { type: opts.type ?? CONDITIONS[condition], by: opts.by ?? bareOf(to) },
    xml(condition, { xmlns: NS.stanzas }),
  );
  if (text) error.append(xml("text", { xmlns: NS.stanzas, "xml:lang": "en" }, text));
  reply.append(error);
  return [reply];
}

/** The bare form of a JID: who generated an error (RFC 6120 §8.3.2 'by') is the room or the service. */
function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
}

/** An IQ result answering `iq`, optionally with a payload. */
export function iqResult(iq: Element, payload?: Element): Element {
  const { from, to, id } = iq.attrs;
  return xml("iq", { type: "result", from: to, to: from, id }, ...(payload ? [payload] : []));
}

/** The condition name of an error stanza (`recipient-unavailable`, …), if any. */
export function errorCondition(stanza: Element): { type?: string; condition?: string } {
  const error = stanza.getChild("error");
  if (!error) return {};
  const condition = error.getChildElements().find((c) => c.attrs.xmlns === NS.stanzas && c.name !== "text");
  return { type: error.attrs.type, condition: condition?.name };
}

/** The single payload child of an IQ get/set, if it has exactly one. */
export function iqPayload(iq: Element): Element | undefined {
  const children = iq.getChildElements();
  return children.length === 1 ? children[0] : undefined;
}
