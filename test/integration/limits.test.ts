// Issue 13, rate limits end to end on a real Prosody: a client floods a room with groupchat
// messages; past the burst it gets policy-violation errors of type wait, and the other
// occupants receive the burst and no more. And an invitation to something that is not an
// address is refused with jid-malformed, never passed on to the server.
import { describe, expect, test } from "bun:test";
import { defaultConfig } from "../../lib/context.ts";
import { condition, integrationAvailable, isGroupchat, isPresence, join, NS, sleep, sharedBed, xml, type Element } from "./helpers.ts";

const available = integrationAvailable();

describe.skipIf(!available)("limits on a real Prosody", () => {
  // the default limits
  const bed = sharedBed();

  test("a groupchat flood: the burst reaches the room, the rest bounce to the flooder with policy-violation (wait)", async () => {
    const room = bed.room("flood");
    const alice = await bed.user("alice", "flood");
    const bob = await bed.user("bob", "flood");
    await join(alice, room, "Alice");
    await join(bob, room, "Bob");
    await alice.waitFor(isPresence(`${room}/Bob`));

    const FLOOD = 40;
    const sent = Date.now();
    for (let i = 0; i < FLOOD; i++) await bob.send(xml("message", { to: room, type: "groupchat", id: `f${i}` }, xml("body", {}, `flood ${i}`)));
    const last = await bob.waitFor((el) => el.attrs.id === `f${FLOOD - 1}`, 5000);
    const elapsed = Date.now() - sent;
    await sleep(300); // anything still on its way arrives

    const isFlood = (el: Element) => el.name === "message" && el.getChildText("body")?.startsWith("flood ") === true;
    const reachedAlice = alice.received.filter((el) => isFlood(el) && el.attrs.type === "groupchat");
    const bounced = bob.received.filter((el) => isFlood(el) && el.attrs.type === "error");
    const reflected = bob.received.filter((el) => isFlood(el) && el.attrs.type === "groupchat");
    // The burst, plus at most what the sustained rate (one a second) gave back while sending.
    const allowance = defaultConfig.groupchatBurst + Math.ceil((elapsed / 60_000) * defaultConfig.groupchatPerMinute);
    expect(reachedAlice.length).toBeGreaterThanOrEqual(defaultConfig.groupchatBurst);
    expect(reachedAlice.length).toBeLessThanOrEqual(allowance);
    expect(reflected.length).toBe(reachedAlice.length);
    expect(bounced.length).toBe(FLOOD - reachedAlice.length);
    for (const error of bounced) {
      expect(error.attrs.from).toBe(room);
      expect(condition(error)).toBe("policy-violation");
      expect(error.getChild("error")!.attrs.type).toBe("wait");
    }
    expect(last.attrs.type).toBe("error");
    // The first messages are the ones that went through, in order.
    expect(reachedAlice.map((el) => el.getChildText("body"))).toEqual(Array.from({ length: reachedAlice.length }, (_, i) => `flood ${i}`));

    // A second later the room hears Bob again.
    await sleep(1100);
    await bob.send(xml("message", { to: room, type: "groupchat", id: "later" }, xml("body", {}, "sorry")));
    await alice.waitFor(isGroupchat("sorry"));
  }, 20_000);

  test("an invitation to '@@@' is refused with jid-malformed, and goes nowhere", async () => {
    const room = bed.room("invite");
    const alice = await bed.user("alice", "inviter");
    await join(alice, room, "Alice");
    await alice.send(xml("message", { to: room, id: "inv" }, xml("x", { xmlns: NS.mucUser }, xml("invite", { to: "@@@" }))));
    const reply = await alice.waitFor((el) => el.attrs.id === "inv");
    expect(reply.attrs.type).toBe("error");
    expect(reply.attrs.from).toBe(room);
    expect(condition(reply)).toBe("jid-malformed");
  }, 10_000);
});
