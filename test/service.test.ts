// The service's own domain (XEP-0045 §6.1–§6.3, XEP-0030, XEP-0199), the
// shutdown input (status 332), and the core's determinism.
import { describe, expect, test } from "bun:test";
import type { Context } from "../lib/context.ts";
import { handle, type Effect, type Input, type ServiceState } from "../lib/service.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to } from "./helpers.ts";

const GARDEN = `garden@${DOMAIN}`;

function iq(type: string, id: string, payload?: Element, toJid = DOMAIN, from = ROMEO): Element {
  return xml("iq", { from, to: toJid, type, id }, ...(payload ? [payload] : []));
}

function errorOf(stanza: Element): Element {
  return stanza.getChild("error")!;
}

describe("the service domain", () => {
  test("a message to the service: service-unavailable, addressed back to the sender", () => {
    const sim = new Sim();
    const out = sim.send(xml("message", { from: ROMEO, to: DOMAIN, id: "hello", type: "chat" }, xml("body", {}, "hello?")));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    expect(out[0]!.name).toBe("message");
    expect(out[0]!.attrs).toMatchObject({ from: DOMAIN, to: ROMEO, type: "error", id: "hello" });
    expect(condition(out[0]!)).toBe("service-unavailable");
    expect(errorOf(out[0]!).attrs.type).toBe("cancel");
  });

  test("a groupchat or normal message to the service: service-unavailable too", () => {
    const sim = new Sim();
    for (const type of ["groupchat", "normal", undefined]) {
      const out = sim.send(xml("message", { from: ROMEO, to: DOMAIN, ...(type ? { type } : {}) }, xml("body", {}, "x")));
      expect(out).toHaveLength(1);
      expect(condition(out[0]!)).toBe("service-unavailable");
    }
  });

  test("a message of type error to the service: nothing (never an error to an error)", () => {
    const sim = new Sim();
    const error = xml("message", { from: ROMEO, to: DOMAIN, type: "error", id: "e" }, xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas })));
    expect(sim.send(error)).toEqual([]);
    expect(sim.send(xml("message", { from: ROMEO, to: DOMAIN, type: "error" }))).toEqual([]);
  });

  test("disco#info: a conference/text identity, and the disco#info and muc features (§6.2)", () => {
    const sim = new Sim();
    const out = sim.send(iq("get", "info1", xml("query", { xmlns: NS.discoInfo })));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    const result = out[0]!;
    expect(result.attrs).toMatchObject({ type: "result", from: DOMAIN, to: ROMEO, id: "info1" });
    const query = result.getChild("query", NS.discoInfo)!;
    expect(query).toBeDefined();
    const identities = query.getChildren("identity");
    expect(identities.some((i) => i.attrs.category === "conference" && i.attrs.type === "text")).toBe(true);
    const features = query.getChildren("feature").map((f) => f.attrs.var);
    expect(features).toContain(NS.discoInfo);
    expect(features).toContain(NS.muc);
    expect(new Set(features).size).toBe(features.length);
  });

  test("disco#info names the service as configured", () => {
    const sim = new Sim({ name: "Verona Chatrooms" });
    const [result] = sim.send(iq("get", "info2", xml("query", { xmlns: NS.discoInfo })));
    const identity = result!.getChild("query", NS.discoInfo)!.getChild("identity")!;
    expect(identity.attrs.name).toBe("Verona Chatrooms");
  });

  test("disco#items: no rooms, then the public rooms (§6.3)", () => {
    const sim = new Sim();
    const [empty] = sim.send(iq("get", "items1", xml("query", { xmlns: NS.discoItems })));
    expect(empty!.attrs).toMatchObject({ type: "result", from: DOMAIN, to: ROMEO, id: "items1" });
    expect(empty!.getChild("query", NS.discoItems)!.getChildren("item")).toEqual([]);

    sim.send(join(ROMEO, "romeo"));
    sim.send(join(JULIET, "juliet", GARDEN));
    sim.take();
    const [result] = sim.send(iq("get", "items2", xml("query", { xmlns: NS.discoItems }), DOMAIN, MERCUTIO));
    expect(sim.take()).toMatchSnapshot();

    expect(result!.attrs).toMatchObject({ type: "result", from: DOMAIN, to: MERCUTIO, id: "items2" });
    const items = result!.getChild("query", NS.discoItems)!.getChildren("item");
    expect(items.map((i) => i.attrs.jid).sort()).toEqual([GARDEN, ROOM].sort());
    expect(Object.fromEntries(items.map((i) => [i.attrs.jid, i.attrs.name]))).toEqual({ [ROOM]: "room", [GARDEN]: "garden" });
  });

  test("ping: an empty result (XEP-0199)", () => {
    const sim = new Sim();
    const out = sim.send(iq("get", "ping1", xml("ping", { xmlns: NS.ping })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "result", from: DOMAIN, to: ROMEO, id: "ping1" });
    expect(out[0]!.getChildElements()).toEqual([]);
  });

  test("an unknown IQ get or set: service-unavailable, with the same id", () => {
    const sim = new Sim();
    const get = sim.send(iq("get", "u1", xml("query", { xmlns: "jabber:iq:last" })));
    const set = sim.send(iq("set", "u2", xml("query", { xmlns: "jabber:iq:register" })));
    // A set of a query only ever read is unknown too.
    const setInfo = sim.send(iq("set", "u3", xml("query", { xmlns: NS.discoInfo })));
    expect(sim.take()).toMatchSnapshot();
    for (const [out, id] of [[get, "u1"], [set, "u2"], [setInfo, "u3"]] as const) {
      expect(out).toHaveLength(1);
      expect(out[0]!.name).toBe("iq");
      expect(out[0]!.attrs).toMatchObject({ type: "error", from: DOMAIN, to: ROMEO, id });
      expect(condition(out[0]!)).toBe("service-unavailable");
      expect(errorOf(out[0]!).attrs.type).toBe("cancel");
    }
  });

  test("an IQ get or set to a resource of the service: service-unavailable (RFC 6120 §8.2.3, §10.4.3)", () => {
    const sim = new Sim();
    const get = sim.send(iq("get", "f1", xml("ping", { xmlns: NS.ping }), `${DOMAIN}/anything`));
    const set = sim.send(iq("set", "f2", xml("query", { xmlns: "jabber:iq:register" }), `${DOMAIN}/anything`));
    for (const [out, id] of [[get, "f1"], [set, "f2"]] as const) {
      expect(out).toHaveLength(1);
      expect(out[0]!.attrs).toMatchObject({ type: "error", from: `${DOMAIN}/anything`, to: ROMEO, id });
      expect(condition(out[0]!)).toBe("service-unavailable");
    }
    // Answers and errors still get nothing back.
    expect(sim.send(iq("result", "f3", undefined, `${DOMAIN}/anything`))).toEqual([]);
    expect(sim.send(iq("error", "f4", undefined, `${DOMAIN}/anything`))).toEqual([]);
  });

  test("an IQ result or error to the service: nothing", () => {
    const sim = new Sim();
    expect(sim.send(iq("result", "r1"))).toEqual([]);
    expect(sim.send(iq("result", "r2", xml("query", { xmlns: NS.discoInfo })))).toEqual([]);
    expect(sim.send(iq("error", "r3", xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas }))))).toEqual([]);
  });

  test("the service's answers do not touch the rooms", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    const before = sim.state;
    sim.send(iq("get", "a", xml("query", { xmlns: NS.discoInfo })));
    sim.send(iq("get", "b", xml("query", { xmlns: NS.discoItems })));
    sim.send(iq("get", "c", xml("ping", { xmlns: NS.ping })));
    sim.send(xml("message", { from: ROMEO, to: DOMAIN }, xml("body", {}, "x")));
    expect(sim.state).toBe(before);
  });
});

describe("shutdown", () => {
  test("each session gets its own unavailable presence with 332 and 110; every room ends", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.send(join(JULIET, "juliet"));
    sim.send(join(ROMEO2, "romeo"));
    sim.send(join(MERCUTIO, "mercutio", GARDEN));
    sim.take();
    const out = sim.input({ kind: "shutdown" });
    expect(sim.take()).toMatchSnapshot();

    const sessions: [string, string][] = [
      [ROMEO, `${ROOM}/romeo`],
      [ROMEO2, `${ROOM}/romeo`],
      [JULIET, `${ROOM}/juliet`],
      [MERCUTIO, `${GARDEN}/mercutio`],
    ];
    for (const [session, occupantJid] of sessions) {
      const own = to(out, session).filter((p) => p.attrs.from === occupantJid);
      expect(own).toHaveLength(1);
      const p = own[0]!;
      expect(p.name).toBe("presence");
      expect(p.attrs.type).toBe("unavailable");
      expect([...codes(p)].sort()).toEqual(["110", "332"]);
      const item = p.getChild("x", NS.mucUser)!.getChild("item")!;
      expect(item.attrs.role).toBe("none");
      expect(item.attrs.jid).toBe(session);
    }
    for (const p of out) {
      expect(p.name).toBe("presence");
      expect(p.attrs.type).toBe("unavailable");
      expect(codes(p)).toContain("332");
    }
    expect(sim.state.rooms.size).toBe(0);
    expect(sim.room()).toBeUndefined();
    expect(sim.room(GARDEN)).toBeUndefined();
  });

  test("with no rooms: nothing", () => {
    const sim = new Sim();
    expect(sim.input({ kind: "shutdown" })).toEqual([]);
  });
});

/** A session exercising joins, merges, messages, errors, bounces, leaves and disco. */
function script(sim: Sim): void {
  sim.send(join(ROMEO, "romeo"));
  sim.send(join(JULIET, "juliet"));
  sim.send(join(ROMEO2, "montague"));
  sim.send(join(MERCUTIO, "juliet"));
  sim.send(join(MERCUTIO, "mercutio", GARDEN));
  sim.send(groupchat(JULIET, "Wherefore art thou?", "m1"));
  sim.send(groupchat(MERCUTIO, "not here", "m2"));
  sim.send(xml("message", { from: JULIET, to: ROOM, type: "groupchat", id: "cs" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" })));
  sim.send(iq("get", "items", xml("query", { xmlns: NS.discoItems })));
  sim.send(leave(ROMEO2, "romeo"));
  sim.send(xml("message", { from: JULIET, to: ROOM, type: "error" }, xml("error", { type: "cancel" }, xml("recipient-unavailable", { xmlns: NS.stanzas }))));
  sim.send(join(JULIET, "juliet"));
  sim.now += 60_000;
  sim.send(groupchat(ROMEO, "Here", "m3"));
  sim.send(leave(MERCUTIO, "mercutio", GARDEN));
  sim.input({ kind: "shutdown" });
}

describe("determinism", () => {
  test("the same inputs in two simulators give identical transcripts", () => {
    const a = new Sim();
    const b = new Sim();
    script(a);
    script(b);
    const transcript = a.take();
    expect(transcript).toBe(b.take());
    expect(transcript.split("\n").filter((l) => l.startsWith("<<")).length).toBeGreaterThan(20);
  });

  test("an old state is never changed by later inputs: replaying an input on it gives the same answer", () => {
    const sim = new Sim();
    const inputs: Input[] = [
      { kind: "stanza", stanza: join(ROMEO, "romeo") },
      { kind: "stanza", stanza: join(JULIET, "juliet") },
      { kind: "stanza", stanza: join(ROMEO2, "romeo") },
      { kind: "stanza", stanza: groupchat(JULIET, "one", "m1") },
      { kind: "stanza", stanza: leave(ROMEO2, "romeo") },
      { kind: "stanza", stanza: leave(JULIET, "juliet") },
      { kind: "stanza", stanza: leave(ROMEO, "romeo") },
    ];
    // Every room is new: storage answers each load with "no such room", as an input of its own.
    const answered = (effects: Effect[]): Input[] =>
      effects.flatMap((e) => (e.op === "load-room" ? [{ kind: "read", read: e, result: null } as Input] : []));
    const steps: { state: ServiceState; input: Input; ctx: Context; out: string }[] = [];
    let state = sim.state;
    const queue = [...inputs];
    while (queue.length > 0) {
      const input = queue.shift()!;
      const ctx = sim.ctx();
      const [next, out, effects] = handle(state, input, ctx);
      steps.push({ state, input, ctx, out: out.join("\n") });
      state = next;
      queue.unshift(...answered(effects));
    }
    expect(state.rooms.size).toBe(0);
    expect(steps.length).toBeGreaterThan(inputs.length); // the loads were answered
    for (const { state: before, input, ctx, out } of steps) {
      const [, again] = handle(before, input, ctx);
      expect(again.join("\n")).toBe(out);
    }
  });

  test("the core does not mutate the stanzas it is given, even when it reflects or echoes them", () => {
    const sim = new Sim();
    const stanzas = [
      join(ROMEO, "romeo", ROOM, xml("history", { maxstanzas: "5" })),
      join(JULIET, "juliet"),
      groupchat(JULIET, "hi", "m1", ROOM, xml("stanza-id", { xmlns: NS.stanzaId, by: ROOM, id: "forged" })),
      groupchat(MERCUTIO, "hi", "m2"),
      xml("message", { from: ROMEO, to: DOMAIN }, xml("body", {}, "x")),
      leave(JULIET, "juliet"),
    ];
    for (const stanza of stanzas) {
      const before = stanza.toString();
      sim.send(stanza);
      expect(stanza.toString()).toBe(before);
    }
  });
});
