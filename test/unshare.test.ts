// lib/shell/unshare.ts: a received stanza gets strings of its own, so that what the room keeps
// of it (a session's address, a history entry) does not keep the parser's whole read buffer.
import { describe, expect, test } from "bun:test";
import { dropStreamText, internedCount, ownString, unshareStrings } from "../lib/shell/unshare.ts";
import { serialise } from "../lib/serialise.ts";
import { parseXml, xml, type Element } from "../lib/stanza.ts";

describe("ownString and unshareStrings", () => {
  test("the same characters", () => {
    for (const s of ["", "a", "ab", "romeo@example.net/orchard", "Ünïcödé 🤖 & <x>", "y".repeat(70_000)]) expect(ownString(s)).toBe(s);
  });

  test("a stanza keeps its names, attributes, text and order", () => {
    const text = `<message from="romeo@example.net/orchard" to="room@muc.example.org" type="groupchat" id="m&amp;1" xml:lang="en"><body>hi &lt;there&gt; &amp; 🤖</body><x xmlns="urn:x"><item a="1"/>tail</x></message>`;
    const stanza = parseXml(text);
    const before = serialise(stanza);
    expect(unshareStrings(stanza)).toBe(stanza);
    expect(serialise(stanza)).toBe(before);
    expect(stanza.getChild("x", "urn:x")?.getChild("item")?.attrs.a).toBe("1");
  });

  test("built elements with numbers and empty children pass unchanged", () => {
    const built = xml("iq", { type: "get", id: "7" }, xml("query", { xmlns: "urn:q" }), "text");
    const before = serialise(built);
    expect(serialise(unshareStrings(built))).toBe(before);
  });
});

/**
 * Parse `chunks` read buffers as the connection does (one stream, one write per buffer), each
 * holding one small message and one of 64 KiB, and keep only the small messages (what a room
 * keeps of a stream: a few short strings per stanza). Returns the JS heap's growth in MiB.
 */
function heapKeptBy(chunks: number, unshare: boolean): number {
  const parser = new xml.Parser();
  const kept: Element[] = [];
  parser.on("element", (el: Element) => {
    el.parent = null;
    if (el.getChildText("body")!.length < 100) kept.push(unshare ? unshareStrings(el) : el);
  });
  parser.write(`<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams">`);
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const filler = "y".repeat(64 * 1024);
  for (let i = 0; i < chunks; i++)
    parser.write(
      // A fresh string per buffer, as a socket gives (not a rope of shared pieces).
      Buffer.from(`<message from="u${i}@example.net/r" to="room@muc.example.org" type="groupchat" id="s${i}"><body>hello ${i}</body></message>` + `<message from="u${i}@example.net/r" to="room@muc.example.org" type="groupchat"><body>${filler}</body></message>`).toString(),
    );
  Bun.gc(true);
  const grown = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  expect(kept).toHaveLength(chunks);
  expect(kept[chunks - 1]!.attrs.from).toBe(`u${chunks - 1}@example.net/r`);
  return grown;
}

test("kept stanzas do not keep their read buffers (and without unsharing they would)", () => {
  // 500 buffers of 64 KiB are 32 MiB: with their own strings, the 500 small messages kept take
  // well under 2 MiB. The same without unsharing shows what is guarded against.
  const unshared = heapKeptBy(500, true);
  const shared = heapKeptBy(500, false);
  expect(unshared).toBeLessThan(2);
  expect(shared).toBeGreaterThan(20);
});

test("the whitespace between stanzas is not kept on the stream's root", () => {
  const parser = new xml.Parser();
  const stanzas: Element[] = [];
  let root: Element | undefined;
  parser.on("start", (el: Element) => (root = el));
  parser.on("element", (el: Element) => {
    dropStreamText(root); // as the shell does for every stanza
    stanzas.push(el);
  });
  parser.write(`<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams">`);
  for (let i = 0; i < 1000; i++) parser.write(` <message from="a@b/c" to="r@muc" id="${i}"><body>x</body></message>\n`);
  expect(stanzas).toHaveLength(1000);
  expect(root!.children.length).toBeLessThanOrEqual(1); // at most the gap since the last stanza
  // Without it the parser keeps every gap: what this guards against.
  const plain = new xml.Parser();
  plain.write(`<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams">`);
  for (let i = 0; i < 1000; i++) plain.write(` <message from="a@b/c" to="r@muc"><body>x</body></message>\n`);
  expect((plain as unknown as { root: Element }).root.children.length).toBe(1000);
});

test("names and namespaces are shared between stanzas; the table of them is bounded", () => {
  const a = unshareStrings(parseXml(`<message type="groupchat"><body xmlns="jabber:client">a</body></message>`));
  const b = unshareStrings(parseXml(`<message type="groupchat"><body xmlns="jabber:client">b</body></message>`));
  expect(a.name).toBe("message");
  expect(a.getChild("body")!.attrs.xmlns).toBe(b.getChild("body")!.attrs.xmlns);
  // Endless new names: each still comes out right, and the table of shared ones stops growing.
  for (let i = 0; i < 10_000; i++) expect(unshareStrings(parseXml(`<n${i} xmlns="urn:x:${i}"/>`)).name).toBe(`n${i}`);
  expect(internedCount()).toBe(4096);
});
