// Issue "The full occupant protocol", end to end against a real server (Prosody and ejabberd,
// the same scenarios against each): presence updates, nick changes, private messages, the
// subject, discussion history, room disco#info, XEP-0410 self-ping, IQs forwarded between
// occupants, and kicks.
import { expect, test } from "bun:test";
import {
  codes,
  condition,
  describeEachServer,
  fromRoom,
  isGroupchat,
  isPresence,
  isSubject,
  item,
  join,
  leave,
  mucX,
  NS,
  sharedBed,
  xml,
  type Element,
  type TestClient,
} from "./helpers.ts";

describeEachServer("the full occupant protocol", (kind) => {
  const bed = sharedBed({}, { server: kind });

  /** alice (owner) and bob (participant) in a fresh room, each having seen the other arrive. */
  async function pair(label: string, bobOptions?: { autoReply?: boolean }) {
    const room = bed.room(label);
    const alice = await bed.user("alice", label);
    const bob = await bed.user("bob", label, bobOptions);
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    await alice.waitFor(isPresence(`${room}/Bob`));
    return { room, alice, bob };
  }

  const say = (client: TestClient, room: string, body: string, id?: string) =>
    client.send(xml("message", { to: room, type: "groupchat", ...(id ? { id } : {}) }, xml("body", {}, body)));

  test("a presence update (show away, status) reaches the others; the sender gets its own with 110", async () => {
    const { room, alice, bob } = await pair("away");

    await bob.send(xml("presence", { to: `${room}/Bob` }, xml("show", {}, "away"), xml("status", {}, "brb")));
    const seen = await alice.waitFor(isPresence(`${room}/Bob`));
    expect(seen.getChildText("show")).toBe("away");
    expect(seen.getChildText("status")).toBe("brb");
    expect(codes(seen)).toEqual([]);
    expect(item(seen)!.attrs).toEqual({ affiliation: "none", role: "participant", jid: bob.jid });

    const own = await bob.waitFor(isPresence(`${room}/Bob`));
    expect(own.getChildText("show")).toBe("away");
    expect(codes(own)).toEqual([110]);

    // Back: no <show/> any more.
    await bob.send(xml("presence", { to: `${room}/Bob` }));
    const back = await alice.waitFor(isPresence(`${room}/Bob`));
    expect(back.getChild("show")).toBeUndefined();
    expect(back.getChild("status")).toBeUndefined();
  }, 10_000);

  test("a nick change: 303 with the new nick, then the new nick arrives; 110 on the changer's copies", async () => {
    const { room, alice, bob } = await pair("rename");

    await bob.send(xml("presence", { to: `${room}/Robert` }));

    const oldForAlice = await alice.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(codes(oldForAlice)).toEqual([303]);
    expect(item(oldForAlice)!.attrs).toMatchObject({ nick: "Robert", role: "participant", jid: bob.jid });
    const newForAlice = await alice.waitFor(isPresence(`${room}/Robert`));
    expect(codes(newForAlice)).toEqual([]);
    expect(item(newForAlice)!.attrs).toEqual({ affiliation: "none", role: "participant", jid: bob.jid });
    // unavailable before available, as §7.6 requires
    expect(alice.received.indexOf(oldForAlice)).toBeLessThan(alice.received.indexOf(newForAlice));

    const oldForBob = await bob.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(codes(oldForBob)).toEqual([303, 110]);
    expect(item(oldForBob)!.attrs.nick).toBe("Robert");
    const newForBob = await bob.waitFor(isPresence(`${room}/Robert`));
    expect(codes(newForBob)).toEqual([110]);

    // His messages now come from the new nick.
    await say(bob, room, "I am Robert now", "rob-1");
    const m = await alice.waitFor(isGroupchat("I am Robert now"));
    expect(m.attrs.from).toBe(`${room}/Robert`);
  }, 10_000);

  test("a nick change to a taken nick is a conflict; nobody hears of it", async () => {
    const { room, alice, bob } = await pair("taken");

    await bob.send(xml("presence", { to: `${room}/Alice` }));
    const err = await bob.waitFor(isPresence(`${room}/Alice`, "error"));
    expect(err.attrs.to).toBe(bob.jid);
    expect(condition(err)).toBe("conflict");
    await alice.expectNothing((el) => el.name === "presence", 200);
    await bob.expectNothing((el) => el.name === "presence", 0);

    // bob still has his nick
    await say(bob, room, "still Bob");
    expect((await alice.waitFor(isGroupchat("still Bob"))).attrs.from).toBe(`${room}/Bob`);
  }, 10_000);

  test("a private message between occupants: from the occupant JID, marked with muc#user <x/>", async () => {
    const { room, alice, bob } = await pair("pm");

    await alice.send(xml("message", { to: `${room}/Bob`, type: "chat", id: "pm-1" }, xml("body", {}, "psst, bob")));
    const pm = await bob.waitFor((el) => el.name === "message" && el.getChildText("body") === "psst, bob");
    expect(pm.attrs).toMatchObject({ from: `${room}/Alice`, to: bob.jid, type: "chat", id: "pm-1" });
    expect(mucX(pm)).toBeDefined();
    expect(pm.toString()).not.toContain(alice.jid); // the real JID stays hidden

    await bob.send(xml("message", { to: `${room}/Alice`, type: "chat", id: "pm-2" }, xml("body", {}, "yes?")));
    const reply = await alice.waitFor((el) => el.name === "message" && el.getChildText("body") === "yes?");
    expect(reply.attrs).toMatchObject({ from: `${room}/Bob`, to: alice.jid, type: "chat", id: "pm-2" });
    expect(mucX(reply)).toBeDefined();

    // Private means private: the sender gets no copy, and no groupchat happened.
    await alice.expectNothing((el) => el.name === "message", 150);
    await bob.expectNothing((el) => el.name === "message", 0);

    // To a nick nobody has: item-not-found.
    await alice.send(xml("message", { to: `${room}/Nobody`, type: "chat", id: "pm-3" }, xml("body", {}, "hello?")));
    const err = await alice.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(err.attrs).toMatchObject({ from: `${room}/Nobody`, id: "pm-3" });
    expect(condition(err)).toBe("item-not-found");
  }, 10_000);

  test("the owner sets the subject: everyone gets it; a later joiner gets history first, the subject last", async () => {
    const { room, alice, bob } = await pair("subject");
    // one after the other: two clients' messages race to the room otherwise
    await say(alice, room, "first message", "h1");
    for (const c of [alice, bob]) await c.waitFor(isGroupchat("first message"));
    await say(bob, room, "second message", "h2");
    for (const c of [alice, bob]) await c.waitFor(isGroupchat("second message"));

    await alice.send(xml("message", { to: room, type: "groupchat", id: "subj" }, xml("subject", {}, "Plans for Friday")));
    for (const c of [alice, bob]) {
      const s = await c.waitFor(isSubject(room));
      expect(s.attrs).toMatchObject({ from: `${room}/Alice`, to: c.jid, type: "groupchat" });
      expect(s.getChildText("subject")).toBe("Plans for Friday");
    }

    // A participant may not change it (the default configuration).
    await bob.send(xml("message", { to: room, type: "groupchat", id: "subj-bob" }, xml("subject", {}, "Bob's topic")));
    const err = await bob.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(err.attrs).toMatchObject({ from: room, id: "subj-bob" });
    expect(condition(err)).toBe("forbidden");
    await alice.expectNothing(isSubject(room), 150);

    const carol = await bed.user("carol", "subject");
    const c = await join(carol, room, "Carol");
    const summary = c.stanzas.map((el) =>
      el.name === "presence" ? `presence ${el.attrs.from}` : `message ${el.attrs.from} ${el.getChildText("body") ?? `subject:${el.getChildText("subject")}`}`,
    );
    expect(summary).toEqual([
      `presence ${room}/Alice`,
      `presence ${room}/Bob`,
      `presence ${room}/Carol`,
      `message ${room}/Alice first message`,
      `message ${room}/Bob second message`,
      `message ${room}/Alice subject:Plans for Friday`,
    ]);
    // History is stamped by the room (XEP-0203) and keeps the original id; the subject is not history.
    for (const h of c.stanzas.slice(3, 5)) {
      expect(h.attrs.type).toBe("groupchat");
      expect(h.attrs.to).toBe(carol.jid);
      const delay = h.getChild("delay", NS.delay);
      expect(delay?.attrs.from).toBe(room);
      expect(delay?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(Math.abs(Date.parse(delay!.attrs.stamp) - Date.now())).toBeLessThan(60_000);
    }
    expect(c.stanzas.slice(3, 5).map((h) => h.attrs.id)).toEqual(["h1", "h2"]);
    expect(c.stanzas[5]!.getChild("delay", NS.delay)).toBeUndefined();
  }, 10_000);

  test("history on join: delayed messages by default, only the newest with maxstanzas='1', none with maxstanzas='0'", async () => {
    const { room, alice } = await pair("history");
    for (const n of [1, 2, 3]) await say(alice, room, `message ${n}`, `m${n}`);
    for (const n of [1, 2, 3]) await alice.waitFor(isGroupchat(`message ${n}`));

    const bodies = (stanzas: Element[]) => stanzas.filter((el) => el.name === "message" && el.getChild("body")).map((el) => el.getChildText("body"));

    const carol = await bed.user("carol", "history");
    const all = await join(carol, room, "Carol");
    expect(bodies(all.stanzas)).toEqual(["message 1", "message 2", "message 3"]);
    for (const h of all.stanzas.filter((el) => el.getChild("body")))
      expect(h.getChild("delay", NS.delay)?.attrs.from).toBe(room);

    const dave = await bed.user("dave", "history");
    const one = await join(dave, room, "Dave", xml("history", { maxstanzas: "1" }));
    expect(bodies(one.stanzas)).toEqual(["message 3"]);

    const erin = await bed.user("erin", "history");
    const none = await join(erin, room, "Erin", xml("history", { maxstanzas: "0" }));
    expect(bodies(none.stanzas)).toEqual([]);
    // ...but still the occupants, herself and the (empty) subject
    expect(none.stanzas.at(-1)!.getChildText("subject")).toBe("");
    expect(none.stanzas.filter((el) => el.name === "presence")).toHaveLength(5);
    await erin.expectNothing((el) => el.name === "message", 150);
  }, 10_000);

  test("disco#info on a room: conference identity, muc features of its configuration, the roominfo form", async () => {
    const { room, alice, bob } = await pair("roominfo");
    const localpart = room.slice(0, room.indexOf("@"));
    const res = await bob.iq(xml("iq", { type: "get", to: room, id: "ri" }, xml("query", { xmlns: NS.discoInfo })));
    expect(res.attrs).toMatchObject({ type: "result", from: room, id: "ri" });
    const query = res.getChild("query", NS.discoInfo)!;
    expect(query.getChildren("identity").map((i) => ({ ...i.attrs }))).toEqual([
      { category: "conference", type: "text", name: localpart },
    ]);
    const features = query.getChildren("feature").map((f) => f.attrs.var);
    for (const f of [NS.muc, "muc_semianonymous", "muc_temporary", "muc_public", "muc_open", "muc_unmoderated", "muc_unsecured"])
      expect(features).toContain(f);
    for (const f of ["muc_nonanonymous", "muc_persistent", "muc_hidden", "muc_membersonly", "muc_moderated", "muc_passwordprotected"])
      expect(features).not.toContain(f);

    const form = query.getChild("x", NS.data)!;
    expect(form.attrs.type).toBe("result");
    const fields = Object.fromEntries(form.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
    expect(fields.FORM_TYPE).toBe("http://jabber.org/protocol/muc#roominfo");
    expect(fields["muc#roominfo_occupants"]).toBe("2");
    expect(fields["muc#roominfo_subject"]).toBe("");

    // A room that does not exist: item-not-found.
    const missing = await alice.iq(xml("iq", { type: "get", to: bed.room("nowhere") }, xml("query", { xmlns: NS.discoInfo })));
    expect(missing.attrs.type).toBe("error");
    expect(condition(missing)).toBe("item-not-found");
  }, 10_000);

  test("XEP-0410 self-ping: a result from one's own occupant JID; not-acceptable after leaving", async () => {
    const { room, alice, bob } = await pair("selfping");
    const ping = () => xml("iq", { type: "get", to: `${room}/Bob` }, xml("ping", { xmlns: NS.ping }));

    const ok = await bob.iq(ping());
    expect(ok.attrs).toMatchObject({ type: "result", from: `${room}/Bob`, to: bob.jid });
    expect(ok.getChildElements()).toHaveLength(0);

    await leave(bob, `${room}/Bob`);
    const gone = await bob.iq(ping());
    expect(gone.attrs).toMatchObject({ type: "error", from: `${room}/Bob`, to: bob.jid });
    expect(condition(gone)).toBe("not-acceptable");
    // alice, still in the room, is not pinged on bob's behalf
    await alice.expectNothing((el) => el.name === "iq", 100);
  }, 10_000);

  test("an IQ to another occupant's JID is forwarded to its client; the answer comes back from the occupant JID with the original id", async () => {
    const { room, alice, bob } = await pair("iqfwd", { autoReply: false });

    // alice asks bob's occupant JID for his software version
    await alice.send(xml("iq", { type: "get", to: `${room}/Bob`, id: "ver-1" }, xml("query", { xmlns: NS.version })));
    const forwarded = await bob.waitFor((el) => el.name === "iq" && el.attrs.type === "get");
    expect(forwarded.attrs.from).toBe(`${room}/Alice`);
    expect(forwarded.attrs.to).toBe(bob.jid);
    expect(forwarded.getChild("query", NS.version)).toBeDefined();
    expect(forwarded.attrs.id).toBeString();
    // The room hides alice's real JID from bob, in the id too.
    expect(forwarded.toString()).not.toContain("alice@localhost");
    expect(Buffer.from(forwarded.attrs.id.replace(/^muc-fwd-/, ""), "base64url").toString("latin1")).not.toContain("alice@localhost");

    await bob.send(
      xml(
        "iq",
        { type: "result", to: forwarded.attrs.from, id: forwarded.attrs.id },
        xml("query", { xmlns: NS.version }, xml("name", {}, "TestClient"), xml("version", {}, "1.2.3")),
      ),
    );
    const answer = await alice.waitFor((el) => el.name === "iq" && el.attrs.id === "ver-1");
    expect(answer.attrs).toMatchObject({ type: "result", from: `${room}/Bob`, to: alice.jid, id: "ver-1" });
    expect(answer.getChild("query", NS.version)?.getChildText("name")).toBe("TestClient");
    expect(answer.getChild("query", NS.version)?.getChildText("version")).toBe("1.2.3");

    // An error answer travels back the same way (disco#info this time).
    await alice.send(xml("iq", { type: "get", to: `${room}/Bob`, id: "info-1" }, xml("query", { xmlns: NS.discoInfo })));
    const fwd2 = await bob.waitFor((el) => el.name === "iq" && el.attrs.type === "get" && !!el.getChild("query", NS.discoInfo));
    expect(fwd2.attrs.from).toBe(`${room}/Alice`);
    await bob.send(
      xml(
        "iq",
        { type: "error", to: fwd2.attrs.from, id: fwd2.attrs.id },
        xml("error", { type: "cancel" }, xml("feature-not-implemented", { xmlns: NS.stanzas })),
      ),
    );
    const answer2 = await alice.waitFor((el) => el.name === "iq" && el.attrs.id === "info-1");
    expect(answer2.attrs).toMatchObject({ type: "error", from: `${room}/Bob`, to: alice.jid });
    expect(condition(answer2)).toBe("feature-not-implemented");
    // and a live client's feature-not-implemented does not cost bob his place (no 333)
    await alice.expectNothing(isPresence(`${room}/Bob`, "unavailable"), 150);

    // An IQ to a nick nobody has: item-not-found from the room.
    const missing = await alice.iq(xml("iq", { type: "get", to: `${room}/Nobody` }, xml("query", { xmlns: NS.version })));
    expect(missing.attrs).toMatchObject({ type: "error", from: `${room}/Nobody` });
    expect(condition(missing)).toBe("item-not-found");
  }, 10_000);

  test("the owner kicks bob: bob gets 307 with 110, actor and reason; alice sees 307; bob is out", async () => {
    const { room, alice, bob } = await pair("kick");

    const res = await alice.iq(
      xml(
        "iq",
        { type: "set", to: room, id: "kick-1" },
        xml("query", { xmlns: NS.mucAdmin }, xml("item", { nick: "Bob", role: "none" }, xml("reason", {}, "Be nice"))),
      ),
    );
    expect(res.attrs).toMatchObject({ type: "result", from: room, id: "kick-1" });

    const kicked = await bob.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(kicked.attrs.to).toBe(bob.jid);
    expect(codes(kicked)).toEqual([307, 110]);
    expect(item(kicked)!.attrs).toMatchObject({ affiliation: "none", role: "none" });
    expect(item(kicked)!.getChild("actor")?.attrs.nick).toBe("Alice");
    expect(item(kicked)!.getChildText("reason")).toBe("Be nice");

    const seen = await alice.waitFor(isPresence(`${room}/Bob`, "unavailable"));
    expect(codes(seen)).toEqual([307]);
    expect(item(seen)!.getChildText("reason")).toBe("Be nice");

    // bob is no longer an occupant
    await say(bob, room, "am I still here?", "after-kick");
    const err = await bob.waitFor((el) => el.name === "message" && el.attrs.type === "error");
    expect(condition(err)).toBe("not-acceptable");
    await alice.expectNothing(isGroupchat("am I still here?"), 100);

    // and a participant may not kick: bob rejoins and tries it on alice
    await join(bob, room, "Bob");
    const refused = await bob.iq(
      xml("iq", { type: "set", to: room }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { nick: "Alice", role: "none" }))),
    );
    expect(refused.attrs.type).toBe("error");
    expect(condition(refused)).toBe("forbidden");
    await alice.expectNothing((el) => el.name === "presence" && el.attrs.type === "unavailable" && fromRoom(room)(el), 100);
  }, 10_000);
});

