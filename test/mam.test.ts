// XEP-0313 Message Archive Management on a room (lib/mam.ts, lib/archive.ts,
// the archive in lib/shell/sqlite.ts): what is archived, the query form,
// queries with RSM paging both ways, urn:xmpp:mam:2#extended, who may query,
// retention, and paging over more than ten thousand messages.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, configure, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, T0 } from "./helpers.ts";

type Fields = Record<string, string | string[]>;

function mam(from: string, id: string, fields: Fields = {}, rsm: Record<string, string> = {}, queryid?: string): Element {
  const form = Object.keys(fields).length
    ? [
        xml(
          "x",
          { xmlns: NS.data, type: "submit" },
          xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.mam)),
          ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, ...(Array.isArray(value) ? value : [value]).map((x) => xml("value", {}, x)))),
        ),
      ]
    : [];
  const set = Object.keys(rsm).length ? [xml("set", { xmlns: NS.rsm }, ...Object.entries(rsm).map(([k, v]) => xml(k, {}, v)))] : [];
  return xml("iq", { from, to: ROOM, type: "set", id }, xml("query", { xmlns: NS.mam, ...(queryid ? { queryid } : {}) }, ...form, ...set));
}

/** The bodies of the results, and the <fin/>. */
function page(out: Element[]) {
  const results = out.filter((s) => s.name === "message");
  const fin = out.find((s) => s.name === "iq")!;
  const set = fin.getChild("fin", NS.mam)?.getChild("set", NS.rsm);
  return {
    bodies: results.map((m) => m.getChild("result", NS.mam)!.getChild("forwarded", NS.forward)!.getChild("message")!.getChildText("body")),
    ids: results.map((m) => m.getChild("result", NS.mam)!.attrs.id as string),
    complete: fin.getChild("fin", NS.mam)?.attrs.complete === "true",
    first: set?.getChildText("first") ?? undefined,
    last: set?.getChildText("last") ?? undefined,
    count: set?.getChildText("count") ? Number(set.getChildText("count")) : undefined,
    fin,
  };
}

/** A room where Romeo (owner) and Juliet said `n` numbered things, a second apart. */
function chatted(n: number, config = {}): Sim {
  const sim = new Sim(config);
  sim.send(join(ROMEO, "Romeo"));
  sim.send(join(JULIET, "Juliet"));
  for (let i = 1; i <= n; i++) {
    sim.now = T0 + i * 1000;
    sim.send(groupchat(i % 2 ? ROMEO : JULIET, `message ${i}`, `m${i}`));
  }
  sim.take();
  return sim;
}

describe("what is archived", () => {
  test("bodies, <store/>, encrypted payloads and markers; never chat states alone, no-store, subjects or private messages", () => {
    const sim = chatted(0);
    const send = (...children: Element[]) => sim.send(xml("message", { from: ROMEO, to: ROOM, type: "groupchat", id: `x${sim.sequence}` }, ...children));
    send(xml("body", {}, "kept"));
    send(xml("reaction", { xmlns: "urn:xmpp:reactions:0" }), xml("store", { xmlns: NS.hints }));
    send(xml("encryption", { xmlns: "urn:xmpp:eme:0", namespace: "eu.siacs.conversations.axolotl" }), xml("encrypted", { xmlns: "eu.siacs.conversations.axolotl" }));
    send(xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "x" }));
    send(xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }));
    send(xml("body", {}, "off the record"), xml("no-store", { xmlns: NS.hints }));
    send(xml("body", {}, "not for the archive"), xml("no-permanent-store", { xmlns: NS.hints }));
    send(xml("subject", {}, "A subject"));
    sim.send(xml("message", { from: ROMEO, to: `${ROOM}/Juliet`, type: "chat", id: "pm" }, xml("body", {}, "private")));
    sim.store.settle(); // every row in the archive proper
    const rows = sim.store.db.query("SELECT stanza FROM archive ORDER BY seq").all() as { stanza: string }[];
    expect(rows.map((r) => /<(body|reaction|encrypted|displayed)[ >]/.exec(r.stanza)?.[1])).toEqual(["body", "reaction", "encrypted", "displayed"]);
  });

  test("every reflected copy of an archived message carries the room's stanza-id; the same id is its MAM result id", () => {
    const sim = chatted(0);
    const out = sim.send(groupchat(JULIET, "hello", "m1"));
    const ids = out.map((m) => m.getChild("stanza-id", NS.stanzaId)!.attrs);
    expect(ids).toEqual([{ xmlns: NS.stanzaId, by: ROOM, id: ids[0]!.id }, { xmlns: NS.stanzaId, by: ROOM, id: ids[0]!.id }]);
    expect(page(sim.send(mam(ROMEO, "q"))).ids).toEqual([ids[0]!.id]);
  });

  test("a room with archiving off archives nothing, adds no stanza-id, and does not offer MAM", () => {
    const sim = chatted(0);
    sim.send(configure(ROMEO, { "muc#roomconfig_enablearchiving": "0" }, "c"));
    const out = sim.send(groupchat(JULIET, "hello", "m1"));
    expect(out[0]!.getChild("stanza-id", NS.stanzaId)).toBeUndefined();
    sim.store.settle();
    expect(sim.store.db.query("SELECT COUNT(*) AS n FROM archive").get()).toEqual({ n: 0 });
    expect(condition(sim.send(mam(ROMEO, "q"))[0]!)).toBe("service-unavailable");
    const info = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "i" }, xml("query", { xmlns: NS.discoInfo })));
    const features = info[0]!.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    expect(features).not.toContain(NS.mam);
    expect(features).toContain(NS.stanzaId);
  });
});

describe("queries (§4)", () => {
  test("the whole archive: results from the room's bare JID, forwarded with a delay, the message from the occupant JID without 'to'; then fin with RSM", () => {
    const sim = chatted(3);
    sim.send(mam(MERCUTIO, "q1", {}, {}, "f27"));
    expect(sim.take()).toMatchSnapshot();
  });

  test("the query form (§4.1.1) lists the fields, extended ones included", () => {
    const sim = chatted(0);
    const out = sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "form" }, xml("query", { xmlns: NS.mam })));
    const vars = out[0]!.getChild("query", NS.mam)!.getChild("x", NS.data)!.getChildren("field").map((f) => f.attrs.var);
    expect(vars).toEqual(["FORM_TYPE", "with", "start", "end", "before-id", "after-id", "ids"]);
  });

  test("default page of 20, complete only on the last page; <max/> is capped at 50", () => {
    const sim = chatted(60);
    const first = page(sim.send(mam(ROMEO, "q")));
    expect(first.bodies).toHaveLength(20);
    expect(first.bodies[0]).toBe("message 1");
    expect(first.complete).toBe(false);
    expect(first.count).toBe(60);
    const big = page(sim.send(mam(ROMEO, "q", {}, { max: "1000" })));
    expect(big.bodies).toHaveLength(50);
    const rest = page(sim.send(mam(ROMEO, "q", {}, { max: "50", after: big.last! })));
    expect(rest.bodies).toEqual(Array.from({ length: 10 }, (_, i) => `message ${51 + i}`));
    expect(rest.complete).toBe(true);
  });

  test("an empty <before/> is the last page; <before>id</before> the page before it; complete when it reaches the start", () => {
    const sim = chatted(25);
    const last = page(sim.send(mam(ROMEO, "q", {}, { max: "10", before: "" })));
    expect(last.bodies).toEqual(Array.from({ length: 10 }, (_, i) => `message ${16 + i}`));
    expect(last.complete).toBe(false);
    const middle = page(sim.send(mam(ROMEO, "q", {}, { max: "10", before: last.first! })));
    expect(middle.bodies[0]).toBe("message 6");
    const start = page(sim.send(mam(ROMEO, "q", {}, { max: "10", before: middle.first! })));
    expect(start.bodies).toEqual(["message 1", "message 2", "message 3", "message 4", "message 5"]);
    expect(start.complete).toBe(true);
  });

  test("start, end and with narrow the results", () => {
    const sim = chatted(10);
    const iso = (i: number) => new Date(T0 + i * 1000).toISOString();
    expect(page(sim.send(mam(ROMEO, "q", { start: iso(3), end: iso(5) }))).bodies).toEqual(["message 3", "message 4", "message 5"]);
    expect(page(sim.send(mam(ROMEO, "q", { with: `${ROOM}/juliet` }))).bodies).toEqual(["message 2", "message 4", "message 6", "message 8", "message 10"]);
    expect(condition(sim.send(mam(ROMEO, "q", { with: "juliet@example.com" }))[0]!)).toBe("bad-request");
    expect(condition(sim.send(mam(ROMEO, "q", { start: "yesterday" }))[0]!)).toBe("bad-request");
    expect(condition(sim.send(mam(ROMEO, "q", { color: "red" }))[0]!)).toBe("bad-request");
  });

  test("an unknown id in after or before is item-not-found", () => {
    const sim = chatted(3);
    expect(condition(sim.send(mam(ROMEO, "q", {}, { after: "nope" }))[0]!)).toBe("item-not-found");
    expect(condition(sim.send(mam(ROMEO, "q", {}, { before: "nope" }))[0]!)).toBe("item-not-found");
    expect(condition(sim.send(mam(ROMEO, "q", { "after-id": "nope" }))[0]!)).toBe("item-not-found");
  });

  test("an empty archive: no results, fin complete with a count of 0", () => {
    const sim = chatted(0);
    const result = page(sim.send(mam(ROMEO, "q")));
    expect(result.bodies).toEqual([]);
    expect(result.complete).toBe(true);
    expect(result.count).toBe(0);
    expect(result.first).toBeUndefined();
  });
});

describe("urn:xmpp:mam:2#extended", () => {
  test("after-id and before-id bound the range; ids fetches exactly those messages", () => {
    const sim = chatted(10);
    const all = page(sim.send(mam(ROMEO, "q", {}, { max: "50" })));
    expect(page(sim.send(mam(ROMEO, "q", { "after-id": all.ids[2]!, "before-id": all.ids[6]! }))).bodies).toEqual(["message 4", "message 5", "message 6"]);
    const picked = page(sim.send(mam(ROMEO, "q", { ids: [all.ids[8]!, all.ids[1]!] })));
    expect(picked.bodies).toEqual(["message 2", "message 9"]);
    expect(picked.complete).toBe(true);
  });

  test("metadata: the first and last archived message, or nothing", () => {
    const empty = chatted(0);
    expect(empty.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "md" }, xml("metadata", { xmlns: NS.mam })))[0]!.toString()).toBe(
      `<iq type="result" from="${ROOM}" to="${ROMEO}" id="md"><metadata xmlns="urn:xmpp:mam:2"/></iq>`,
    );
    const sim = chatted(3);
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "get", id: "md" }, xml("metadata", { xmlns: NS.mam })));
    expect(sim.take()).toMatchSnapshot();
  });
});

describe("who may query", () => {
  test("an outcast is forbidden; in a members-only room, only the affiliated; anyone else in an open room", () => {
    const sim = chatted(2);
    expect(page(sim.send(mam(MERCUTIO, "q"))).bodies).toHaveLength(2); // not even an occupant: an open room's archive is open
    sim.send(xml("iq", { from: ROMEO, to: ROOM, type: "set", id: "ban" }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { jid: "mercutio@example.org", affiliation: "outcast" }))));
    expect(condition(sim.send(mam(MERCUTIO, "q"))[0]!)).toBe("forbidden");
    sim.send(configure(ROMEO, { "muc#roomconfig_membersonly": "1" }, "c"));
    expect(condition(sim.send(mam("benvolio@example.org/x", "q"))[0]!)).toBe("forbidden");
    expect(page(sim.send(mam(ROMEO, "q"))).bodies).toHaveLength(2);
  });

  test("real JIDs never leave the archive: results carry occupant JIDs and occupant-ids only", () => {
    const sim = chatted(2);
    const out = sim.send(mam(MERCUTIO, "q"));
    const text = out.map(String).join("\n");
    expect(text).not.toContain("juliet@example.com");
    expect(text).not.toContain("romeo@example.net/");
    expect(out[0]!.toString()).toContain("urn:xmpp:occupant-id:0");
  });

  test("a query to a room that does not exist is item-not-found", () => {
    const sim = new Sim();
    expect(condition(sim.send(mam(ROMEO, "q"))[0]!)).toBe("item-not-found");
  });
});

describe("retention", () => {
  test("the oldest messages beyond archiveMaxMessages go", () => {
    const sim = chatted(12, { archiveMaxMessages: 5 });
    expect(page(sim.send(mam(ROMEO, "q"))).bodies).toEqual(["message 8", "message 9", "message 10", "message 11", "message 12"]);
  });

  test("the periodic tick expires messages older than archiveExpiryDays", () => {
    const sim = chatted(3, { archiveExpiryDays: 1 });
    sim.now = T0 + 86_400_000 + 2500; // messages 1 and 2 are now more than a day old
    sim.input({ kind: "tick" });
    expect(page(sim.send(mam(ROMEO, "q"))).bodies).toEqual(["message 3"]);
    const off = chatted(3, { archiveExpiryDays: 0 });
    off.now = T0 + 1000 * 86_400_000;
    expect(off.input({ kind: "tick" })).toEqual([]);
    expect(page(off.send(mam(ROMEO, "q"))).bodies).toHaveLength(3);
  });
});

test("more than ten thousand messages page forward and backward, each exactly once, in order", () => {
  const n = 10_050;
  const sim = chatted(n);
  const expected = Array.from({ length: n }, (_, i) => `message ${i + 1}`);

  const forward: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const p = page(sim.send(mam(ROMEO, `f${pages}`, {}, { max: "50", ...(after ? { after } : {}) })));
    forward.push(...(p.bodies as string[]));
    after = p.last;
    if (p.complete) break;
  }
  expect(forward).toEqual(expected);

  const backward: string[][] = [];
  let before = "";
  for (let pages = 0; pages < 1000; pages++) {
    const p = page(sim.send(mam(ROMEO, `b${pages}`, {}, { max: "50", before })));
    backward.unshift(p.bodies as string[]);
    before = p.first!;
    if (p.complete) break;
  }
  expect(backward.flat()).toEqual(expected);
}, 60_000);
