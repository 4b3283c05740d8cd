// Proves the real-server test bed works on its own (no MUC component), for each server: two
// users logged in with connectUser, a message from alice reaching bob, anonymous logins; that the
// component is registered with the README's own snippet; and the dev port preference.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { connectAnonymous, connectUser, xml, type TestClient } from "./client.ts";
import { componentSnippet, readmeSnippet } from "./readme.ts";
import { canConnect, freePort, preferPort } from "./server.ts";
import { serversUnderTest, startServer, type XmppServer } from "./servers.ts";

for (const { kind, available } of serversUnderTest())
  describe.skipIf(!available)(`${kind} test bed`, () => {
    let server: XmppServer;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      server = await startServer(kind);
    }, 30_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.stop()));
      await server?.stop();
    }, 10_000);

    test("alice's message reaches bob", async () => {
      const alice = await connectUser(server, "alice", "test");
      const bob = await connectUser(server, "bob");
      clients.push(alice, bob);
      expect(alice.jid).toBe("alice@localhost/test");
      expect(bob.bare).toBe("bob@localhost");

      // A message sent to a bare JID goes only to available resources: without an initial
      // presence bob's session would not get it (it would go to offline storage).
      await bob.send(xml("presence"));
      await bob.waitFor((el) => el.name === "presence" && el.attrs.from === bob.jid); // own presence echoed
      await alice.send(xml("message", { to: "bob@localhost", type: "chat" }, xml("body", {}, "hello bob")));
      const msg = await bob.waitFor((el) => el.name === "message" && el.getChildText("body") === "hello bob");
      expect(msg.attrs.from).toBe(alice.jid);
      await bob.expectNothing((el) => el.name === "message");
    }, 10_000);

    test("iq() returns results and errors; unanswered waitFor explains itself", async () => {
      const carol = await connectUser(server, "carol");
      clients.push(carol);
      const ping = await carol.iq(xml("iq", { type: "get", to: "localhost" }, xml("ping", "urn:xmpp:ping")));
      expect(ping.attrs.type).toBe("result");
      const err = await carol.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", "urn:example:nothing")));
      expect(err.attrs.type).toBe("error");
      await expect(carol.waitFor((el) => el.name === "message", 100)).rejects.toThrow(/unconsumed stanzas/);
    }, 10_000);

    test("anonymous login works", async () => {
      const anon = await connectAnonymous(server);
      clients.push(anon);
      expect(anon.bare).toEndWith("@anon.localhost");
    }, 10_000);

    test("the component is registered with README.md's snippet, with the bed's domain, secret and port", () => {
      const configFile = join(server.dir, kind === "prosody" ? "prosody.cfg.lua" : "ejabberd.yml");
      const config = readFileSync(configFile, "utf8");
      const values = { domain: server.componentDomain, secret: server.secret, port: server.componentPort };
      const snippet = componentSnippet(`${kind}-component`, values);
      if (kind === "prosody") expect(config).toContain(snippet);
      else {
        // written as JSON (which is YAML): the snippet's listener is the first one, verbatim
        const listen = (JSON.parse(config) as { listen: unknown[] }).listen;
        expect(listen[0]).toEqual((Bun.YAML.parse(snippet) as { listen: unknown[] }).listen[0]);
      }
      expect(snippet).toContain(server.secret);
      expect(snippet).toContain(server.componentDomain);
      expect(snippet).not.toContain("muc.example.org");
    });

    test("nothing listens beyond loopback: after stop() the ports are closed and the temp dir is gone", async () => {
      const other = await startServer(kind);
      const ports = [other.c2sPort, other.componentPort];
      await other.stop();
      for (const port of ports) expect(await canConnect(port)).toBe(false);
      expect(await Bun.file(join(other.dir, kind === "prosody" ? "prosody.cfg.lua" : "ejabberd.yml")).exists()).toBe(false);
    }, 20_000);
  });

test("readmeSnippet reads the fenced block between the markers, and says so when there is none", () => {
  const text = "x\n<!-- snippet: demo (comment) -->\n```lua\nComponent \"muc.example.org\"\n```\n<!-- /snippet -->\n";
  expect(readmeSnippet("demo", text)).toBe('Component "muc.example.org"\n');
  expect(() => readmeSnippet("missing", text)).toThrow(/no snippet "missing"/);
});

test("preferPort: the preferred port when it is free, another free one when it is taken", async () => {
  const port = await freePort();
  expect(await preferPort(port)).toBe(port);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
  try {
    const other = await preferPort(port);
    expect(other).not.toBe(port);
    expect(other).toBeGreaterThan(0);
  } finally {
    holder.close();
  }
});
