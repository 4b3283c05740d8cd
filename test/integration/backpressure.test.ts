// Issue 13, back-pressure: a burst of 10,000 joins, 10,000 messages and 10,000 leaves, written
// all at once by a server that meanwhile stops reading what the service sends. The service
// (a real process, index.ts, on a loopback peer that plays the server) must stop reading
// too instead of queueing its output in memory, keep its RSS bounded, keep output flowing once
// the server reads again, and answer a disco#info within seconds of the burst.
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import { processUsage, startPeer } from "../../bench/peer.ts";

const DOMAIN = "muc.burst";
const SECRET = "burst-secret";
const ROOMS = 500;
const PER_ROOM = 20;
const N = ROOMS * PER_ROOM;

const peer = await startPeer({ domain: DOMAIN, secret: SECRET });
const proc = Bun.spawn([process.execPath, "run", join(import.meta.dir, "../../index.ts")], {
  env: { ...process.env, XMPP_SERVICE: `xmpp://127.0.0.1:${peer.port}`, XMPP_DOMAIN: DOMAIN, XMPP_PASSWORD: SECRET, XMPP_DEBUG: "", MUC_DATABASE: ":memory:" },
  stdin: "ignore",
  stdout: "ignore",
  stderr: "ignore",
});
afterAll(async () => {
  peer.close();
  proc.kill();
  await proc.exited;
});

test("a burst under a server that stops reading: the service stops reading too, stays bounded, and answers again", async () => {
  await Promise.race([peer.online(), Bun.sleep(10_000).then(() => Promise.reject(new Error("the service did not connect")))]);
  await Bun.sleep(300);
  const rssBefore = processUsage(proc.pid).rss;

  let stanzas = 0;
  let lastArrival = performance.now();
  let longestSilence = 0;
  const answered = new Map<string, number>();
  peer.onStanza = (s, at) => {
    stanzas++;
    longestSilence = Math.max(longestSilence, at - lastArrival);
    lastArrival = at;
    if (s.name === "iq" && s.type === "result") answered.set(s.id, at);
  };

  const user = (u: number) => `u${u}@burst/r`;
  const room = (u: number) => `r${Math.floor(u / PER_ROOM)}@${DOMAIN}`;
  const burst: string[] = [];
  for (let u = 0; u < N; u++) burst.push(`<presence from="${user(u)}" to="${room(u)}/n${u}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
  for (let u = 0; u < N; u++) burst.push(`<message from="${user(u)}" to="${room(u)}" type="groupchat" id="m${u}"><body>burst ${u}</body></message>`);
  for (let u = 0; u < N; u++) burst.push(`<presence from="${user(u)}" to="${room(u)}/n${u}" type="unavailable"/>`);
  burst.push(`<iq from="admin@burst/r" to="${DOMAIN}" type="get" id="after-burst"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);

  // The server falls behind: it stops reading, then writes the whole burst.
  peer.pause();
  for (let i = 0; i < burst.length; i += 500) peer.write(burst.slice(i, i + 500).join(""));
  let rssPeak = 0;
  for (let t = 0; t < 15; t++) {
    await Bun.sleep(100);
    rssPeak = Math.max(rssPeak, processUsage(proc.pid).rss);
  }
  // Meanwhile the service holds about one batch beyond what the sockets buffer, not the burst's output.
  const pausedGrowth = rssPeak - rssBefore;

  peer.resume();
  lastArrival = performance.now();
  const deadline = Date.now() + 30_000;
  while (!answered.has("after-burst") && Date.now() < deadline) {
    await Bun.sleep(50);
    rssPeak = Math.max(rssPeak, processUsage(proc.pid).rss);
  }
  console.log(
    `burst: ${stanzas} stanzas out; RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB, +${(pausedGrowth / 2 ** 20).toFixed(0)} MiB while the server did not read, ` +
      `peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB; longest silence ${longestSilence.toFixed(0)} ms`,
  );
  expect(answered.has("after-burst")).toBe(true);
  // joins: 20² presences per room; each message: 20 copies; leaves: 20 + 19 + … + 1 per room.
  expect(stanzas).toBeGreaterThanOrEqual(ROOMS * PER_ROOM * PER_ROOM + N * PER_ROOM + (ROOMS * PER_ROOM * (PER_ROOM + 1)) / 2);
  expect(longestSilence).toBeLessThan(2000);
  expect(pausedGrowth).toBeLessThan(100 * 2 ** 20);
  expect(rssPeak - rssBefore).toBeLessThan(400 * 2 ** 20);

  // And it answers at once afterwards.
  const asked = performance.now();
  peer.write(`<iq from="admin@burst/r" to="${DOMAIN}" type="get" id="again"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
  while (!answered.has("again") && performance.now() - asked < 2000) await Bun.sleep(5);
  expect(answered.get("again")! - asked).toBeLessThan(1000);
}, 60_000);
