// A bug in the core costs one stanza (lib/shell/runtime.ts): the input the core threw on is
// answered with internal-server-error (unless it was an error or a result), reported with
// the input that caused it (the shell logs it: lib/shell/observe.ts, tested in
// ops-observe.test.ts), and the state stays as it was before that input.
import { describe, expect, test } from "bun:test";
import { defaultConfig, type ServiceConfig } from "../lib/context.ts";
import { handle, type Input } from "../lib/service.ts";
import { createRuntime } from "../lib/shell/runtime.ts";
import { openSqliteStore } from "../lib/shell/sqlite.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, configure, DOMAIN, groupchat, join, JULIET, ROMEO, ROOM, Sim, T0 } from "./helpers.ts";

const config: ServiceConfig = { ...defaultConfig, domain: DOMAIN };

/** A runtime whose core throws on any stanza with id "boom", and the crashes it reported. */
function buggy(store = openSqliteStore(":memory:")) {
  const crashes: [Input, unknown][] = [];
  let n = 0;
  const runtime = createRuntime({
    store,
    config,
    clock: () => T0,
    nonce: () => `n${++n}`,
    onCrash: (input, error) => crashes.push([input, error]),
    handle: (state, input, ctx) => {
      if (input.kind === "stanza" && input.stanza.attrs.id === "boom") {
        // Half-way through, as a real bug would be: whatever the core did so far must not stick.
        handle(state, input, ctx);
        throw new Error("a bug");
      }
      return handle(state, input, ctx);
    },
  });
  const send = (stanza: Element) => {
    const out = runtime.step({ kind: "stanza", stanza });
    runtime.flush();
    return out;
  };
  return { runtime, crashes, send, store };
}

describe("an exception in the core", () => {
  test("answers the stanza with internal-server-error, reports it with its input, and keeps the state", () => {
    const { runtime, crashes, send } = buggy();
    send(join(ROMEO, "romeo"));
    const before = runtime.state();
    const out = send(xml("message", { from: ROMEO, to: ROOM, type: "groupchat", id: "boom" }, xml("body", {}, "crash?")));
    expect(out.map((s) => [s.attrs.type, s.attrs.from, s.attrs.to, s.attrs.id, condition(s)])).toEqual([["error", ROOM, ROMEO, "boom", "internal-server-error"]]);
    expect(runtime.state()).toBe(before);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]![0]).toMatchObject({ kind: "stanza", stanza: { attrs: { id: "boom" } } });
    // The service goes on: the next stanza is handled as usual.
    expect(send(groupchat(ROMEO, "after", "ok")).map((s) => s.attrs.to)).toEqual([ROMEO]);
  });

  test("an IQ gets its error from our canonical address, whatever case it was sent to", () => {
    const { send } = buggy();
    const out = send(xml("iq", { from: "Romeo@Example.NET/orchard", to: `ROOM@${DOMAIN.toUpperCase()}`, type: "get", id: "boom" }, xml("query", { xmlns: NS.discoInfo })));
    expect(out.map((s) => [s.attrs.type, s.attrs.from, s.attrs.to, condition(s)])).toEqual([["error", ROOM, ROMEO, "internal-server-error"]]);
  });

  test("never an error in reply to an error or a result, nor to a stanza with no address", () => {
    const { send, crashes } = buggy();
    expect(send(xml("message", { from: ROMEO, to: ROOM, type: "error", id: "boom" }))).toEqual([]);
    expect(send(xml("iq", { from: ROMEO, to: ROOM, type: "result", id: "boom" }))).toEqual([]);
    expect(send(xml("iq", { from: "@@@", to: ROOM, type: "get", id: "boom" }))).toEqual([]);
    expect(send(xml("iq", { from: ROMEO, to: "room@elsewhere.example", type: "get", id: "boom" }))).toEqual([]);
    expect(crashes).toHaveLength(4);
  });

  test("nothing the crashed input would have written reaches the store", () => {
    const { send, store } = buggy();
    send(join(ROMEO, "romeo"));
    send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c1"));
    send(groupchat(ROMEO, "kept", "m1"));
    send(groupchat(ROMEO, "lost", "boom"));
    store.settle();
    const rows = store.db.query<{ stanza: string }, []>("SELECT stanza FROM archive").all();
    expect(rows.map((r) => r.stanza.includes("kept"))).toEqual([true]);
  });
});

describe("a record in storage that makes the core throw", () => {
  /** A persistent room with one archived message, then the service gone; its store. */
  function storedRoom() {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c1"));
    sim.send(groupchat(ROMEO, "hello", "m1"));
    sim.store.settle(); // the row in the archive proper, where the test changes it
    return sim.store;
  }

  test("costs the stanzas waiting for the room an internal-server-error; the room is not stuck, and loads once it is readable", () => {
    const store = storedRoom();
    store.db.exec("UPDATE archive SET stanza = '<message><unclosed>'"); // history that does not parse
    const { send, crashes, runtime } = buggy(store);
    const out = send(join(JULIET, "juliet"));
    expect(out.map((s) => [s.name, s.attrs.type, s.attrs.to, condition(s)])).toEqual([["presence", "error", JULIET, "internal-server-error"]]);
    expect(crashes.map(([input]) => (input.kind === "read" ? `${input.read.op} ${input.read.op === "load-room" ? input.read.jid : ""}` : input.kind))).toEqual([`load-room ${ROOM}`]);
    expect(runtime.state().loading.size).toBe(0);
    expect(runtime.state().rooms.size).toBe(0);

    // Asked again, storage is read again (nothing was left waiting for good).
    expect(send(join(JULIET, "juliet")).map((s) => condition(s))).toEqual(["internal-server-error"]);
    store.db.exec(`UPDATE archive SET stanza = '<message from="${ROOM}/romeo" type="groupchat"><body>hello</body></message>'`);
    const joined = send(join(JULIET, "juliet"));
    expect(joined.some((s) => s.getChildText("body") === "hello")).toBe(true);
    expect([...runtime.state().rooms.get(ROOM)!.occupants.keys()].sort()).toEqual(["juliet", "romeo"]); // romeo restored from storage
  });
});

describe("a read the store cannot answer (lib/shell/runtime.ts)", () => {
  test("a synchronous store that throws: the read is answered as failed at once; what waited gets internal-server-error, and nothing is stuck", () => {
    const store = openSqliteStore(":memory:");
    let broken = true;
    const runtime = createRuntime({
      store: {
        read: ((r: Parameters<typeof store.read>[0]) => {
          if (broken) throw new Error("disk I/O error");
          return store.read(r);
        }) as typeof store.read,
        write: (w) => store.write(w),
        flush: () => store.flush(),
        close: () => store.close(),
      },
      config,
      clock: () => T0,
      nonce: () => crypto.randomUUID(),
    });
    const out = runtime.step({ kind: "stanza", stanza: join(JULIET, "juliet") });
    expect(out.map((s) => [s.name, s.attrs.type, condition(s)])).toEqual([["presence", "error", "internal-server-error"]]);
    expect(runtime.state().loading.size).toBe(0);
    broken = false;
    expect(runtime.step({ kind: "stanza", stanza: join(JULIET, "juliet") }).some((p) => p.name === "presence" && p.attrs.type === undefined)).toBe(true);
  });
});
