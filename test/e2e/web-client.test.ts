// The web client of `bun run dev`, in a real headless browser (Debian's chromium through
// playwright-core): Ann in the browser (Converse.js, a throwaway anonymous login) and alice with
// @xmpp/client (one of the printed dev accounts) meet in lobby@muc.localhost, see each other,
// exchange messages; Ann sets the subject; alice leaves. Every request the page makes must be
// for the dev page's own server on 127.0.0.1 (anything else is blocked and fails the test).
// A screenshot of Ann's view is kept in test/artifacts/.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { connectUser, xml, type TestClient } from "../support/client.ts";
import { ROOT, startDev, type Dev } from "../support/dev-process.ts";
import type { XmppServer } from "../support/server.ts";
import { serversUnderTest } from "../support/servers.ts";
import { codes, isGroupchat, isPresence, isSubject, join as joinRoom } from "../integration/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test", "artifacts");
const chromiumThere = existsSync(CHROMIUM);
if (!chromiumThere) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing, but CI is set: the browser test cannot run (apt-get install -y chromium)`);
  console.warn(`SKIPPING the browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}

let browser: Browser;

beforeAll(async () => {
  if (!chromiumThere) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

/** Ann's page: every request not for the dev page's own origin is aborted and remembered. */
async function openAs(dev: Dev, nick: string): Promise<{ page: Page; blocked: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  const origin = new URL(dev.url).origin;
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    blocked.push(url);
    return route.abort("blockedbyclient");
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${dev.url}?nick=${encodeURIComponent(nick)}`);
  return { page, blocked, errors };
}

const nicks = (page: Page) => page.locator(".occupant-list .occupant-nick").allInnerTexts();

for (const { kind, available } of serversUnderTest())
  test.skipIf(!available || !chromiumThere)(`${kind}: the dev web client joins the lobby, chats with an @xmpp/client user, sets the subject, sees her leave`, async () => {
    const dev = await startDev(kind);
    let alice: TestClient | undefined;
    try {
      const room = "lobby@muc.localhost";
      const { page, blocked, errors } = await openAs(dev, "Ann");
      // Converse logs in anonymously over the WebSocket and enters the room: Ann is listed.
      await page.locator(".occupant-list .occupant-nick", { hasText: "Ann" }).waitFor({ timeout: 15_000 });
      const textarea = page.locator("textarea.chat-textarea");
      await textarea.waitFor();

      // alice logs in with the account dev printed, and joins: she sees Ann (the owner) there.
      const account = dev.accounts.find((a) => a.user === "alice")!;
      const server = { host: "127.0.0.1", c2sPort: dev.c2sPort, domain: "localhost", anonDomain: "anon.localhost", ensureAccount: async () => {} } as unknown as XmppServer;
      alice = await connectUser(server, "alice", "web", { password: account.password });
      const joined = await joinRoom(alice, room, "alice");
      const ann = joined.stanzas.find((el) => el.name === "presence" && el.attrs.from === `${room}/Ann`);
      expect(ann).toBeDefined();
      expect(ann!.getChild("x", "http://jabber.org/protocol/muc#user")!.getChild("item")!.attrs.affiliation).toBe("owner");
      await page.locator(".occupant-list .occupant-nick", { hasText: "alice" }).waitFor();
      expect((await nicks(page)).sort()).toEqual(["Ann", "alice"]);

      // Ann writes in the browser; alice gets it from Ann's occupant JID.
      await textarea.fill("Hello from the browser");
      await textarea.press("Enter");
      expect((await alice.waitFor(isGroupchat("Hello from the browser"), 10_000)).attrs.from).toBe(`${room}/Ann`);
      // alice answers; Ann sees it in the chat.
      await alice.send(xml("message", { to: room, type: "groupchat", id: "from-alice" }, xml("body", {}, "Hello Ann, from xmpp.js")));
      await alice.waitFor(isGroupchat("Hello Ann, from xmpp.js"));
      await page.locator(".chat-msg__text", { hasText: "Hello Ann, from xmpp.js" }).waitFor();

      // Ann sets the subject with Converse's /topic command; alice gets it, the page shows it.
      await textarea.fill("/topic Plans for Friday");
      await textarea.press("Enter");
      const subject = await alice.waitFor(isSubject(room), 10_000);
      expect(subject.getChildText("subject")).toBe("Plans for Friday");
      expect(subject.attrs.from).toBe(`${room}/Ann`);
      await page.getByText("Plans for Friday").first().waitFor();

      // alice leaves: her own 110, and Ann's list is Ann alone again.
      await alice.send(xml("presence", { to: `${room}/alice`, type: "unavailable" }));
      expect(codes(await alice.waitFor(isPresence(`${room}/alice`, "unavailable")))).toContain(110);
      await page.waitForFunction(
        () => [...document.querySelectorAll(".occupant-list .occupant-nick")].map((e) => e.textContent?.trim()).join(",") === "Ann",
        undefined,
        { timeout: 10_000 },
      );
      await page.getByText("alice has left the groupchat").first().waitFor();

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `web-client-${kind}.png`) });
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      await alice?.stop();
      await dev.stop();
    }
  }, 60_000);
