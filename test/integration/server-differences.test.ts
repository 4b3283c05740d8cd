// Where Prosody and ejabberd route differently, users of the service see the same thing. Each
// test names the difference it covers and runs against both servers:
// - ejabberd stamps its default language (xml:lang="en") on what it routes to the component,
//   Prosody on what it delivers to clients: languages senders set must survive both;
// - ejabberd passes addresses to the component as the client typed them (ROOM@MUC.LOCALHOST),
//   Prosody normalises them; ejabberd checks the `from` of everything the component sends (and
//   Prosody closes the stream on a foreign one): answers must still arrive, the stream stay up;
// - both tell the room when a client vanishes without leaving; ejabberd also when the TCP
//   connection just dies.
import { expect, test } from "bun:test";
import { codes, describeEachServer, isGroupchat, isPresence, join, joinPresence, NS, sharedBed, xml } from "./helpers.ts";

describeEachServer("the servers' differences do not show", (kind) => {
  const bed = sharedBed({}, { server: kind });

  test("xml:lang: a message's language reaches every occupant as its sender set it; unmarked ones read as the server's default", async () => {
    const room = bed.room("lang");
    const alice = await bed.user("alice", "lang");
    const bob = await bed.user("bob", "lang");
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    await alice.waitFor(isPresence(`${room}/Bob`));

    await alice.send(xml("message", { to: room, type: "groupchat", id: "de", "xml:lang": "de" }, xml("body", {}, "Guten Tag")));
    await alice.send(xml("message", { to: room, type: "groupchat", id: "plain" }, xml("body", {}, "no language")));
    for (const client of [alice, bob]) {
      expect((await client.waitFor(isGroupchat("Guten Tag"))).attrs["xml:lang"]).toBe("de");
      // Both servers end up saying "en" here (ejabberd on the way in, Prosody on the way out): the
      // language of the streams, so the same meaning as no attribute at all.
      expect([undefined, "en"]).toContain((await client.waitFor(isGroupchat("no language"))).attrs["xml:lang"]);
    }
    // A later joiner gets the history with the languages it was sent in.
    const carol = await bed.user("carol", "lang");
    const history = (await join(carol, room, "Carol")).stanzas.filter((el) => el.name === "message" && el.getChild("body"));
    expect(history.map((el) => [el.getChildText("body"), el.attrs["xml:lang"] ?? "en"])).toEqual([
      ["Guten Tag", "de"],
      ["no language", "en"],
    ]);
  }, 15_000);

  test("addresses typed in another case reach the same room, and every answer gets through", async () => {
    const room = bed.room("case");
    const shouted = room.toUpperCase();
    const alice = await bed.user("alice", "case");
    const bob = await bed.user("bob", "case");
    await join(alice, room, "Alice");
    // bob joins through the upper-case address: he is in the same room, alice sees him arrive
    await bob.send(joinPresence(`${shouted}/Bob`));
    const self = await bob.waitFor((el) => el.name === "presence" && codes(el).includes(110));
    expect(self.attrs.type).toBeUndefined();
    expect(self.attrs.from.toLowerCase()).toBe(`${room}/bob`);
    const seen = await alice.waitFor((el) => el.name === "presence" && el.attrs.from?.toLowerCase() === `${room}/bob`);
    expect(seen.attrs.type).toBeUndefined();
    expect(codes(seen)).toEqual([]);

    await bob.send(xml("message", { to: shouted, type: "groupchat", id: "loud" }, xml("body", {}, "HELLO")));
    for (const client of [alice, bob]) expect((await client.waitFor(isGroupchat("HELLO"))).attrs.from).toBe(`${room}/Bob`);

    // An answer comes from the address asked (ejabberd keeps the case, Prosody lowers it), and the
    // server accepts it as the component's own.
    const ping = await bob.iq(xml("iq", { type: "get", to: shouted }, xml("ping", { xmlns: NS.ping })));
    expect(ping.attrs.type).toBe("result");
    expect(ping.attrs.from.toLowerCase()).toBe(room);
    const info = await bob.iq(xml("iq", { type: "get", to: shouted.replace(/@.*/, `@${bed.domain.toUpperCase()}`) }, xml("query", { xmlns: NS.discoInfo })));
    expect(info.attrs.type).toBe("result");
    // Nothing the service sent was refused: it never lost its stream, and the server has no complaint.
    expect(bed.logs.filter((l) => /disconnected|could not send/.test(l))).toEqual([]);
    expect(bed.server.log()).not.toMatch(/invalid-from|improper-addressing|Failed to route|is not a valid from/i);
  }, 15_000);

  test("a client whose connection just dies (no stream close) is removed; the others see it leave", async () => {
    const room = bed.room("cut");
    const alice = await bed.user("alice", "cut");
    const dave = await bed.user("dave", "cut");
    await join(alice, room, "Alice");
    await join(dave, room, "Dave");
    await alice.waitFor(isPresence(`${room}/Dave`));

    dave.xmpp.socket.destroy(); // TCP gone: the server notices the closed socket at once
    const gone = await alice.waitFor(isPresence(`${room}/Dave`, "unavailable"), 10_000);
    expect(codes(gone)).toEqual([]);
    expect(bed.service.state().rooms.get(room)!.sessions.has(dave.jid)).toBe(false);
  }, 15_000);
});
