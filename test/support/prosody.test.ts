// Proves the real-server test bed works on its own (no MUC component): a throwaway Prosody,
// two users logged in with connectUser, a message from alice reaching bob.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connectAnonymous, connectUser, xml, type TestClient } from "./client.ts";
import { prosodyAvailable, startProsody, type Prosody } from "./prosody.ts";

const available = prosodyAvailable();
if (!available) {
  if (process.env.CI) throw new Error("prosody is not on PATH, but CI is set: integration tests cannot run");
  console.warn("SKIPPING Prosody integration tests: `prosody` is not on PATH (apt-get install -y prosody)");
}

describe.skipIf(!available)("Prosody test bed", () => {
  let prosody: Prosody;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    prosody = await startProsody();
  }, 20_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await prosody?.stop();
  }, 10_000);

  test("alice's message reaches bob", async () => {
    const alice = await connectUser(prosody, "alice", "test");
    const bob = await connectUser(prosody, "bob");
    clients.push(alice, bob);
    expect(alice.jid).toBe("alice@localhost/test");
    expect(bob.bare).toBe("bob@localhost");

    // Prosody delivers a message sent to a bare JID only to available resources: without an
    // initial presence bob's session would not get it (it would go to offline storage).
    await bob.send(xml("presence"));
    await bob.waitFor((el) => el.name === "presence" && el.attrs.from === bob.jid); // own presence echoed
    await alice.send(xml("message", { to: "bob@localhost", type: "chat" }, xml("body", {}, "hello bob")));
    const msg = await bob.waitFor((el) => el.name === "message" && el.getChildText("body") === "hello bob");
    expect(msg.attrs.from).toBe(alice.jid);
    await bob.expectNothing((el) => el.name === "message");
  }, 10_000);

  test("iq() returns results and errors; unanswered waitFor explains itself", async () => {
    const carol = await connectUser(prosody, "carol");
    clients.push(carol);
    const ping = await carol.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", "urn:xmpp:ping")));
    expect(ping.attrs.type).toBe("result");
    const err = await carol.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", "urn:example:nothing")));
    expect(err.attrs.type).toBe("error");
    await expect(carol.waitFor((el) => el.name === "message", 100)).rejects.toThrow(/unconsumed stanzas/);
  }, 10_000);

  test("anonymous login works", async () => {
    const anon = await connectAnonymous(prosody);
    clients.push(anon);
    expect(anon.bare).toEndWith("@anon.localhost");
  }, 10_000);
});
