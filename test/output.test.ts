// The shell's way out (lib/shell/output.ts): the one-write serialiser gives exactly ltx's
// toString() (every snapshot test checks it too, through Sim), a batch leaves in one write,
// debug goes stanza by stanza, a failed write is one log line, and reading pauses while the
// socket's buffer is over the bound.
import { describe, expect, test } from "bun:test";
import { createServer, createConnection, type Socket } from "node:net";
import { createOutput, serialise, serialiseAll, type Connection } from "../lib/shell/output.ts";
import { heapStats } from "bun:jsc";
import { renderOnce, renderedChildren, serialisedLength, serialiseShared } from "../lib/serialise.ts";
import { attrOf, readdressed, readdressing, xml, type Element } from "../lib/stanza.ts";

describe("serialise", () => {
  const cases: [string, Element][] = [
    ["empty", xml("presence", { from: "a@b/c", to: "d@e/f" })],
    ["escaped attributes", xml("message", { to: `x"y'z<&>`, id: 5 as unknown as string, gone: undefined, nil: null })],
    ["escaped text, numbers", xml("body", {}, "a < b && c > d \"'", 42 as unknown as string)],
    ["nested", xml("iq", { type: "get" }, xml("query", { xmlns: "urn:x" }, xml("item", { jid: "a&b" }), "t"), xml("e"))],
    ["namespace prefix", xml("stream:features", { "xmlns:stream": "http://etherx.jabber.org/streams" }, xml("x"))],
    ["unicode", xml("body", { nick: "🤖 é" }, "Ünïcödé 🤖")],
  ];
  for (const [name, element] of cases)
    test(name, () => {
      expect(serialise(element)).toBe(element.toString());
      expect(serialisedLength(element)).toBe(element.toString().length);
      expect(serialisedLength(element, 3)).toBeGreaterThan(3);
      expect(serialiseAll([element, element])).toBe(element.toString() + element.toString());
    });

  test("copies sharing one children array: rendered once, each copy as its own toString()", () => {
    const base = xml("message", { from: "room@muc/a", type: "groupchat" }, xml("body", {}, "hi & bye"));
    const copies = ["x@y/1", "x@y/2", "z@y/3"].map((to) => readdressed(base, to));
    expect(copies[0]!.children).toBe(base.children);
    expect(serialiseAll(copies)).toBe(copies.map(String).join(""));
    expect(copies[2]!.toString()).toBe(`<message from="room@muc/a" type="groupchat" to="z@y/3"><body>hi &amp; bye</body></message>`);
  });

  test("a broadcast's copies build no attributes to be sent; once read or changed, their own are used", () => {
    const base = xml("presence", { from: "room@muc/a", to: "first@y/1" });
    const copies = ["x@y/1", "x&y@z/2"].map((to) => readdressed(base, to));
    const expected = [`<presence from="room@muc/a" to="x@y/1"/>`, `<presence from="room@muc/a" to="x&amp;y@z/2"/>`].join("");
    expect(serialiseAll(copies)).toBe(expected);
    expect(copies.map((c) => attrOf(c, "to"))).toEqual(["x@y/1", "x&y@z/2"]);
    expect(attrOf(copies[0]!, "from")).toBe("room@muc/a");
    expect(copies.every((c) => readdressing(c) !== undefined)).toBe(true); // nothing above built them
    expect(copies.map(String).join("")).toBe(expected);
    expect(copies[0]!.attrs).toEqual({ from: "room@muc/a", to: "x@y/1" });
    copies[1]!.attrs.type = "unavailable";
    expect(serialiseAll(copies)).toBe(`<presence from="room@muc/a" to="x@y/1"/><presence from="room@muc/a" to="x&amp;y@z/2" type="unavailable"/>`);
    expect(base.attrs).toEqual({ from: "room@muc/a", to: "first@y/1" });
  });

  test("shared children under different attributes: each stanza still gets its own", () => {
    const base = xml("presence", { from: "room@muc/a", to: "first@y/1" }, xml("show", {}, "away"));
    const variants = [
      base,
      readdressed(base, `q"uote@y/2`),
      Object.assign(readdressed(base, "x@y/3"), { attrs: { from: "room@muc/b", to: "x@y/3" } }),
      Object.assign(readdressed(base, "x@y/4"), { attrs: { to: "x@y/4", from: "room@muc/a" } }),
      Object.assign(readdressed(base, "x@y/5"), { attrs: { from: "room@muc/a", to: "x@y/5", type: "unavailable" } }),
      Object.assign(readdressed(base, "x@y/6"), { attrs: { from: "room@muc/a" } }),
      Object.assign(readdressed(base, "x@y/7"), { attrs: { from: "room@muc/a", to: null } }),
    ];
    expect(serialiseAll(variants)).toBe(variants.map(String).join(""));
    const noTo = xml("message", { from: "room@muc/a" }, xml("body", {}, "b"));
    const withTo = [noTo, readdressed(noTo, "a@b/c"), noTo];
    expect(serialiseAll(withTo)).toBe(withTo.map(String).join(""));
  });
});

test("a rendering kept with its children is one flat string, not the rope of its pieces", () => {
  // A history entry keeps its rendering for as long as it is in the history (renderOnce), and a
  // reflection's for as long as the entry holds it (serialiseShared): thousands in a service.
  const N = 5000;
  const messages = Array.from({ length: N }, (_, i) =>
    xml("message", { from: `r${i}@muc/n${i}`, type: "groupchat", id: `h${i}` }, xml("body", {}, `message ${i} to room ${i}`), xml("occupant-id", { xmlns: "urn:xmpp:occupant-id:0", id: `o${i}` }), xml("stanza-id", { xmlns: "urn:xmpp:sid:0", by: `r${i}@muc`, id: `s${i}` })),
  );
  Bun.gc(true);
  const before = heapStats().objectTypeCounts.string ?? 0;
  for (let i = 0; i < N; i++) {
    if (i % 2 === 0) serialiseShared(messages[i]!);
    else renderedChildren(renderOnce(messages[i]!.children));
  }
  Bun.gc(true);
  const perKept = ((heapStats().objectTypeCounts.string ?? 0) - before) / N;
  expect(perKept).toBeLessThan(3); // a rope of this rendering is ~26 strings
  expect(renderedChildren(messages[1]!.children)).toBe(messages[1]!.children.map(String).join(""));
});

/** A fake connection that records what was written. */
function recorder(fail?: string) {
  const writes: string[] = [];
  const sent: Element[] = [];
  const conn: Connection = {
    socket: null,
    write: (data) => (fail ? Promise.reject(new Error(fail)) : (writes.push(data), Promise.resolve())),
    send: (stanza) => (sent.push(stanza), Promise.resolve()),
  };
  return { conn, writes, sent };
}

describe("createOutput", () => {
  const batch = [xml("presence", { to: "a@b/c" }), xml("message", { to: "a@b/c" }, xml("body", {}, "x"))];

  test("a batch leaves in one write", () => {
    const { conn, writes, sent } = recorder();
    createOutput(conn, { log: () => {} }).send(batch);
    expect(writes).toEqual([batch.map(String).join("")]);
    expect(sent).toEqual([]);
  });

  test("with debug on, stanza by stanza through send (which @xmpp/debug prints)", () => {
    const { conn, writes, sent } = recorder();
    createOutput(conn, { log: () => {}, debug: true }).send(batch);
    expect(writes).toEqual([]);
    expect(sent).toEqual(batch);
  });

  test("a failed write logs one line", async () => {
    const { conn } = recorder("socket closed");
    const lines: string[] = [];
    createOutput(conn, { log: (l) => lines.push(l) }).send(batch);
    await Bun.sleep(1);
    expect(lines).toEqual(["could not send 2 stanzas: socket closed"]);
  });

  test("nothing to send, nothing written", () => {
    const { conn, writes } = recorder();
    createOutput(conn, { log: () => {} }).send([]);
    expect(writes).toEqual([]);
  });

  test("over the bound, reading pauses until the peer has read what was written", async () => {
    let peer: Socket | undefined;
    const server = createServer((s) => {
      peer = s;
      s.pause(); // a server that does not read
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const socket = createConnection({ port, host: "127.0.0.1" });
    await new Promise((r) => socket.once("connect", r));
    try {
      const conn: Connection = { socket, write: (d) => new Promise((r) => socket.write(d, () => r())), send: () => Promise.resolve() };
      const output = createOutput(conn, { log: () => {}, highWaterMark: 64 * 1024 });
      expect(output.ready()).toBeUndefined();
      const big = xml("message", { to: "a@b/c" }, xml("body", {}, "x".repeat(1 << 20)));
      for (let i = 0; i < 16 && output.ready() === undefined; i++) output.send([big]);
      const waiting = output.ready();
      expect(waiting).toBeInstanceOf(Promise);
      expect(socket.isPaused()).toBe(true);
      let resolved = false;
      void waiting!.then(() => (resolved = true));
      await Bun.sleep(50);
      expect(resolved).toBe(false);
      peer!.resume(); // the server reads again: the buffer drains, reading resumes
      peer!.on("data", () => {});
      await waiting;
      expect(socket.isPaused()).toBe(false);
      expect(output.ready()).toBeUndefined();
    } finally {
      socket.destroy();
      server.close();
    }
  });
});
