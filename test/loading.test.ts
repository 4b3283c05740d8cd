// A room read from storage while stanzas for it keep coming (lib/service.ts, `loading`), as
// with an asynchronous store (PostgreSQL): the core is fed inputs, and the read's answer only
// later, as its own input. The stanzas wait, in order, and are handled in that order once the
// room is there, each as if it had just arrived; the wait is bounded per room and in all
// (resource-constraint, type wait; never an answer to a result or an error).
import { describe, expect, test } from "bun:test";
import { defaultConfig, type Context, type ServiceConfig } from "../lib/context.ts";
import { handle, initialState, isRead, type Effect, type Input, type ServiceState } from "../lib/service.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import type { LoadedRoom, Read } from "../lib/storage.ts";
import { condition, DOMAIN, groupchat, join, JULIET, MERCUTIO, ROMEO, ROOM, T0 } from "./helpers.ts";

const presence = `<presence from="${ROMEO}" to="${ROOM}/Romeo"><x xmlns="${NS.muc}"/></presence>`;
const stored: LoadedRoom = {
  room: { jid: ROOM, config: { ...({} as LoadedRoom["room"]["config"]), persistent: true, name: "Verona" }, affiliations: [["romeo@example.net", "owner"]], salt: "salt" },
  history: [],
  occupants: [{ key: "romeo", occupant: { nick: "Romeo", bareJid: "romeo@example.net", role: "moderator", sessions: [{ jid: ROMEO, presence }] } }],
};

/** The core alone, fed one input at a time; reads are kept, not answered, until the test answers them. */
function core(config: Partial<ServiceConfig> = {}) {
  let state: ServiceState = initialState();
  let n = 0;
  const reads: Read[] = [];
  const effects: Effect[] = [];
  const feed = (input: Input): Element[] => {
    const ctx: Context = { config: { ...defaultConfig, domain: DOMAIN, ...config }, now: T0, nonce: `n${++n}` };
    const [next, out, more] = handle(state, input, ctx);
    state = next;
    for (const effect of more) (isRead(effect) ? reads : effects).push(effect);
    return out;
  };
  return { feed, send: (stanza: Element) => feed({ kind: "stanza", stanza }), reads, effects, state: () => state };
}

const describeOut = (out: Element[]) => out.map((s) => `${s.name} ${s.attrs.type ?? ""} ${s.attrs.to}${s.getChildText("body") ? ` "${s.getChildText("body")}"` : ""}`.trim());

describe("stanzas for a room being read", () => {
  test("wait, in arrival order, and go through in that order once the answer comes; one read for all of them", () => {
    const c = core();
    const waiting = [groupchat(ROMEO, "first", "m1"), join(JULIET, "Juliet"), groupchat(JULIET, "second", "m2"), groupchat(ROMEO, "third", "m3")];
    for (const stanza of waiting) expect(c.send(stanza)).toEqual([]);
    expect(c.reads).toEqual([{ op: "load-room", jid: ROOM, history: defaultConfig.maxHistoryLength }]);
    expect(c.state().loading.get(ROOM)).toEqual(waiting);
    // Meanwhile, other rooms and the service are not held up.
    expect(c.send(xml("iq", { from: JULIET, to: DOMAIN, type: "get", id: "p" }, xml("ping", { xmlns: NS.ping }))).map((s) => s.attrs.type)).toEqual(["result"]);

    const out = c.feed({ kind: "read", read: c.reads[0] as Extract<Read, { op: "load-room" }>, result: stored });
    const messages = out.filter((s) => s.name === "message" && s.getChildText("body"));
    // Romeo's first message reaches only Romeo (Juliet is not in yet, she gets it as history); then both see the rest.
    expect(describeOut(messages)).toEqual([
      `message groupchat ${ROMEO} "first"`,
      `message groupchat ${JULIET} "first"`, // as history on joining: it came before her
      `message groupchat ${ROMEO} "second"`,
      `message groupchat ${JULIET} "second"`,
      `message groupchat ${ROMEO} "third"`,
      `message groupchat ${JULIET} "third"`,
    ]);
    expect(messages.map((m) => m.getChild("delay", "urn:xmpp:delay") !== undefined)).toEqual([false, true, false, false, false, false]);
    const juliet = out.findIndex((s) => s.name === "presence" && s.attrs.to === JULIET);
    expect(juliet).toBeGreaterThan(out.findIndex((s) => s.getChildText("body") === "first"));
    expect(juliet).toBeLessThan(out.findIndex((s) => s.getChildText("body") === "second"));
    expect(c.state().loading.size).toBe(0);
    // Each was handled as if it had just arrived: stanza-ids (and archive rows) of their own.
    const archived = c.effects.filter((e) => e.op === "archive").map((e) => (e.op === "archive" ? e.message.id : ""));
    expect(archived.length).toBe(3);
    expect(new Set(archived).size).toBe(3);
  });

  test("a room that is not stored: the waiting stanzas meet a new room, in order (the first join creates it)", () => {
    const c = core();
    c.send(join(JULIET, "Juliet"));
    c.send(groupchat(JULIET, "hello", "m1"));
    c.send(join(MERCUTIO, "Mercutio"));
    const out = c.feed({ kind: "read", read: c.reads[0] as Extract<Read, { op: "load-room" }>, result: null });
    // Juliet's message came before Mercutio's join: she has it live, he as history.
    expect(out.filter((s) => s.getChildText("body")).map((s) => [s.attrs.to, s.getChild("delay", "urn:xmpp:delay") !== undefined])).toEqual([[JULIET, false], [MERCUTIO, true]]);
    expect([...c.state().rooms.get(ROOM)!.occupants.keys()]).toEqual(["juliet", "mercutio"]);
  });

  test("at most maxWaitingStanzas per room: beyond, resource-constraint (wait); a result is dropped, an error never answered", () => {
    const c = core({ maxWaitingStanzas: 2 });
    c.send(groupchat(ROMEO, "1", "a"));
    c.send(groupchat(ROMEO, "2", "b"));
    const refused = c.send(groupchat(ROMEO, "3", "c"));
    expect(refused.map((s) => [s.attrs.id, s.attrs.type, s.getChild("error")?.attrs.type, condition(s)])).toEqual([["c", "error", "wait", "resource-constraint"]]);
    expect(c.send(xml("iq", { from: ROMEO, to: ROOM, type: "result", id: "r" }))).toEqual([]);
    expect(c.send(xml("message", { from: ROMEO, to: ROOM, type: "error", id: "e" }, xml("error", { type: "cancel" })))).toEqual([]);
    expect(c.state().loading.get(ROOM)!.map((s) => s.attrs.id)).toEqual(["a", "b"]);
  });

  test("at most maxLoadingRooms rooms read at once: a stanza for one more gets resource-constraint (wait); once one is answered, another may load", () => {
    const c = core({ maxLoadingRooms: 2 });
    const room = (name: string) => `${name}@${DOMAIN}`;
    c.send(groupchat(ROMEO, "a", "a", room("a")));
    c.send(groupchat(ROMEO, "b", "b", room("b")));
    c.send(groupchat(ROMEO, "b again", "b2", room("b"))); // a room already loading still takes stanzas
    const refused = c.send(groupchat(ROMEO, "c", "c", room("c")));
    expect(refused.map((s) => [s.attrs.id, s.getChild("error")?.attrs.type, condition(s)])).toEqual([["c", "wait", "resource-constraint"]]);
    expect(c.send(xml("iq", { from: ROMEO, to: room("c"), type: "result", id: "r" }))).toEqual([]);
    expect(c.reads.map((r) => (r.op === "load-room" ? r.jid : ""))).toEqual([room("a"), room("b")]);
    c.feed({ kind: "read", read: c.reads[0] as Extract<Read, { op: "load-room" }>, result: null });
    expect(c.send(groupchat(ROMEO, "c", "c", room("c")))).toEqual([]);
    expect(c.reads.map((r) => (r.op === "load-room" ? r.jid : ""))).toEqual([room("a"), room("b"), room("c")]);
  });
});
