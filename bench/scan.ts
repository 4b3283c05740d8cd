// What comes back from an XMPP stream, scanned, not parsed: the start tag of each stanza
// (message, presence, iq) is found with indexOf and its from/to/id/type read out. That is all
// the benchmark's checks need, and it keeps its own side cheap, so that what it measures is the
// component (bench/peer.ts) or the server and the component (bench/c2s.ts), not itself.
export interface Seen {
  name: "message" | "presence" | "iq";
  from: string;
  to: string;
  id: string;
  type: string;
  /** The start tag and what follows it up to the next stanza's start (enough for a status code or a body). */
  tail: string;
}

const attr = (tag: string, name: string): string => {
  const key = ` ${name}="`;
  let at = tag.indexOf(key);
  let quote = '"';
  if (at === -1) {
    at = tag.indexOf(` ${name}='`);
    quote = "'";
    if (at === -1) return "";
  }
  const start = at + key.length;
  const end = tag.indexOf(quote, start);
  return end === -1 ? "" : tag.slice(start, end);
};

/** A scanner for one stream: feed it each chunk as it arrives; it calls `onStanza` for every stanza. */
export function createScanner(onStanza: (stanza: Seen, at: number) => void): (chunk: string) => void {
  let buffer = "";
  /** Finds each stanza's start tag; an incomplete tag at the end waits for the next chunk. */
  return function scan(chunk: string) {
    const text = buffer + chunk;
    const now = performance.now();
    let pos = 0;
    let pending: { name: Seen["name"]; tag: string; start: number } | undefined;
    const emit = (until: number) => {
      if (!pending) return;
      const { name, tag } = pending;
      onStanza({ name, from: attr(tag, "from"), to: attr(tag, "to"), id: attr(tag, "id"), type: attr(tag, "type"), tail: text.slice(pending.start, until) }, now);
      pending = undefined;
    };
    for (;;) {
      const lt = text.indexOf("<", pos);
      if (lt === -1) {
        pos = text.length;
        break;
      }
      const c = text.charCodeAt(lt + 1);
      let name: Seen["name"] | undefined;
      if (c === 109 /* m */ && text.startsWith("message", lt + 1)) name = "message";
      else if (c === 112 /* p */ && text.startsWith("presence", lt + 1)) name = "presence";
      else if (c === 105 /* i */ && text.startsWith("iq", lt + 1)) name = "iq";
      const after = name ? text.charCodeAt(lt + 1 + name.length) : 0;
      if (name && (after === 32 || after === 62 || after === 47)) {
        const gt = text.indexOf(">", lt);
        if (gt === -1) {
          pos = lt;
          break;
        }
        emit(lt);
        pending = { name, tag: text.slice(lt, gt + 1), start: lt };
        pos = gt + 1;
      } else if (lt + 9 >= text.length) {
        pos = lt; // too short to tell ("<presence" needs the character after it too): wait for more
        break;
      } else pos = lt + 1;
    }
    // The last stanza's tail may go on in the next chunk; its start tag is complete, so report it now.
    emit(pos);
    buffer = text.slice(pos);
  };
}
