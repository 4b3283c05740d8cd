// The way out: from the stanzas one batch of inputs produced to the socket.
//
// - One socket write per batch: the batch's stanzas are serialised into one
//   string and handed to the connection once (one syscall, one promise),
//   instead of one `xmpp.send` and one write per stanza.
// - The copies of one broadcast share their payload: the core builds each copy
//   with readdressed() (stanza.ts), a top-level element whose `children` is the
//   *same array* as the others' and whose attributes are its original's plus
//   its own `to`, not built unless read (groupchat.ts, presence.ts).
//   serialiseAll() renders the original's tag and children once per batch and
//   each copy as that text around its `to`; the XML is byte for byte what ltx's
//   toString() gives (the snapshot tests compare the two).
// - Back-pressure: when more than `highWaterMark` bytes wait in the socket's
//   buffer (the server reads slower than we write), reading from the server is
//   paused and ready() returns a promise that the drain loop awaits before it
//   handles the next batch; both resume once the buffer has drained. So the
//   process never holds more than about one batch of output beyond the bound.
// - With @xmpp/debug on, each stanza goes through `xmpp.send` (which emits the
//   "send" event debug prints): slower, same bytes.
import { escapeAttr, openTag, renderedChildren } from "../serialise.ts";
import { readdressing, type Element } from "../stanza.ts";

export { serialise } from "../serialise.ts";

/** What output.ts needs of the @xmpp connection (index.ts's `component()`). */
export interface Connection {
  /** The current TCP socket (replaced on every reconnect); null while offline. */
  socket?: Socket | null;
  write(data: string): Promise<void>;
  send(stanza: Element): Promise<void>;
}

/** The parts of node:net's Socket the back-pressure uses. */
export interface Socket {
  writableLength: number;
  pause(): unknown;
  resume(): unknown;
  once(event: "drain" | "close", listener: () => void): unknown;
  removeListener(event: "drain" | "close", listener: () => void): unknown;
}

export interface OutputOptions {
  log: (line: string) => void;
  /** Send stanza by stanza through xmpp.send, so @xmpp/debug sees each one. */
  debug?: boolean;
  /** Bytes waiting in the socket's buffer above which reading pauses (default 1 MiB). */
  highWaterMark?: number;
}

export interface Output {
  /** Write `stanzas`, in order, in one socket write; a failure is logged as one line. */
  send(stanzas: readonly Element[]): void;
  /**
   * undefined when the socket can take more; otherwise a promise that resolves once it has
   * drained (or closed). Reading from the server is paused in the meantime.
   */
  ready(): Promise<void> | undefined;
}

export const DEFAULT_HIGH_WATER_MARK = 1 << 20;

export function createOutput(xmpp: Connection, options: OutputOptions): Output {
  const { log } = options;
  const high = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  let waiting: Promise<void> | undefined;

  const failed = (what: string) => (err: Error) => log(`could not send ${what}: ${err.message}`);

  return {
    send(stanzas) {
      if (stanzas.length === 0) return;
      if (options.debug) {
        for (const stanza of stanzas) xmpp.send(stanza).catch(failed(`a ${stanza.name}`));
        return;
      }
      let text: string;
      try {
        text = serialiseAll(stanzas);
      } catch (err) {
        failed(`${stanzas.length} stanzas`)(err as Error);
        return;
      }
      xmpp.write(text).catch(failed(stanzas.length === 1 ? `a ${stanzas[0]!.name}` : `${stanzas.length} stanzas`));
    },
    ready() {
      if (waiting) return waiting;
      const socket = xmpp.socket;
      if (!socket || socket.writableLength <= high) return undefined;
      socket.pause();
      waiting = new Promise<void>((resolve) => {
        const done = () => {
          socket.removeListener("drain", done);
          socket.removeListener("close", done);
          waiting = undefined;
          socket.resume();
          resolve();
        };
        socket.once("drain", done);
        socket.once("close", done);
      });
      return waiting;
    },
  };
}

/** The stanzas as one string: what ltx's toString() gives for each, concatenated. */
export function serialiseAll(stanzas: readonly Element[]): string {
  // Shared children arrays, rendered once for this call. The core never changes an element
  // it has returned, so within one batch an array stands for one fixed string.
  const inners = new Map<readonly unknown[], string>();
  const innerOf = (children: readonly unknown[]) => {
    let inner = inners.get(children);
    if (inner === undefined) inners.set(children, (inner = renderedChildren(children)));
    return inner;
  };
  // Templates: the stanza's XML around the value of its `to`. A readdressed() copy uses its
  // original's (its attributes are the original's but for `to`, and it has no attrs object of
  // its own to read); any other stanza uses the template of the first stanza seen with its
  // children array when its attributes are that one's but for `to`.
  const templates = new Map<object, Template>();
  let text = "";
  for (const stanza of stanzas) {
    const children = stanza.children;
    const copy = readdressing(stanza);
    if (copy !== undefined) {
      let template = templates.get(copy.original);
      if (template === undefined) {
        const original = copy.original;
        template = makeTemplate(original.name, { ...original.attrs, to: copy.to }, children.length === 0 ? undefined : innerOf(children));
        templates.set(original, template);
      }
      text += template.before + escapeAttr(copy.to) + template.after;
      continue;
    }
    if (children.length === 0) {
      text += openTag(stanza) + "/>";
      continue;
    }
    const template = templates.get(children);
    if (template === undefined) {
      const t = makeTemplate(stanza.name, stanza.attrs, innerOf(children));
      templates.set(children, t);
      text += t.before + (t.to === undefined ? "" : escapedTo(stanza)) + t.after;
    } else if (sameButTo(template, stanza.attrs)) {
      text += template.before + (template.to === undefined ? "" : escapedTo(stanza)) + template.after;
    } else text += openTag(stanza) + ">" + template.inner + "</" + stanza.name + ">";
  }
  return text;
}

interface Template {
  attrs: Record<string, unknown>;
  keys: string[];
  inner: string;
  /** The stanza's XML before and after the value of its `to` attribute (undefined: no `to`; all in before). */
  before: string;
  after: string;
  to: string | undefined;
}

const escapedTo = (stanza: Element) => {
  const v = stanza.attrs.to;
  return escapeAttr(typeof v === "string" ? v : v.toString(10));
};

/** `inner` undefined: an element without children (self-closed). */
function makeTemplate(name: string, attrs: Record<string, unknown>, inner: string | undefined): Template {
  let before = "<" + name;
  let after = "";
  let to: string | undefined;
  for (const k in attrs) {
    const v = attrs[k];
    if (v == null) continue;
    const value = escapeAttr(typeof v === "string" ? v : (v as number).toString(10));
    if (k === "to") {
      to = value;
      before += ' to="';
      after = '"';
      continue;
    }
    if (to === undefined) before += " " + k + '="' + value + '"';
    else after += " " + k + '="' + value + '"';
  }
  const close = inner === undefined ? "/>" : ">" + inner + "</" + name + ">";
  if (to === undefined) before += close;
  else after += close;
  return { attrs, keys: Object.keys(attrs), inner: inner ?? "", before, after, to };
}

/** Whether `b` has the template's attributes in the same order, with the same values but for `to`. */
function sameButTo(t: Template, b: Record<string, unknown>): boolean {
  const a = t.attrs;
  if (a === b) return true;
  const keys = t.keys;
  let i = 0;
  for (const k in b) {
    if (k !== keys[i++]) return false;
    if (k === "to") {
      if ((a[k] == null) !== (b[k] == null)) return false;
    } else if (a[k] !== b[k]) return false;
  }
  return i === keys.length;
}
