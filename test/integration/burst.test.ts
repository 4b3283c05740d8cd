// A flood through a real Prosody (issue 13): many clients join at once, and each then sends a
// burst of messages and presence changes as fast as it can write. The service, its own process
// with its default limits, stays small and keeps answering: what is over a limit is bounced
// (type wait) and never reaches the room, and a disco#info sent in the middle of it all is
// answered within seconds. (The back-pressure test, against a peer that stops reading, is
// test/integration/backpressure.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { connectAnonymous, type TestClient } from "../support/client.ts";
import { startProsody, type Prosody } from "../support/prosody.ts";
import { integrationAvailable, NS, sleep, xml } from "./helpers.ts";
import { startServiceProcess, type ServiceProcess } from "./service-process.ts";

const available = integrationAvailable();
const CLIENTS = 40;
const MESSAGES = 150; // each: 6,000 messages in all, most of them over the rate limit
const PRESENCES = 50;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

describe.skipIf(!available)("a flood through a real Prosody", () => {
  let prosody: Prosody;
  let service: ServiceProcess;
  let dir: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    prosody = await startProsody();
    dir = mkdtempSync(joinPath(tmpdir(), "muc-burst-"));
    service = await startServiceProcess(prosody, joinPath(dir, "muc.sqlite"));
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await service?.kill();
    await prosody?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  test("joins, messages and presence changes in one burst: the service stays small and answers", async () => {
    const room = `flood@${prosody.componentDomain}`;
    for (let i = 0; i < CLIENTS; i++) clients.push(await connectAnonymous(prosody));
    const before = rssMiB(service.proc.pid);

    // Everyone joins, then floods, without waiting for anything.
    for (const [i, c] of clients.entries()) void c.send(xml("presence", { to: `${room}/n${i}` }, xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" }))));
    for (const [i, c] of clients.entries()) {
      for (let m = 0; m < MESSAGES; m++) void c.send(xml("message", { to: room, type: "groupchat", id: `m${m}` }, xml("body", {}, `${i}: ${m}`)));
      for (let p = 0; p < PRESENCES; p++) void c.send(xml("presence", { to: `${room}/n${i}` }, xml("status", {}, `busy ${p}`)));
    }
    // In the middle of it, someone asks the service something.
    const asker = await connectAnonymous(prosody);
    clients.push(asker);
    const asked = Date.now();
    const info = await asker.iq(xml("iq", { to: prosody.componentDomain, type: "get" }, xml("query", { xmlns: NS.discoInfo })), 20_000);
    const answeredIn = Date.now() - asked;
    expect(info.attrs.type).toBe("result");

    // The flood settles: the last client's last message comes back, reflected or bounced.
    const last = clients[CLIENTS - 1]!;
    await last.waitFor((m) => m.name === "message" && m.attrs.id === `m${MESSAGES - 1}`, 30_000);
    await sleep(500);
    const peak = rssMiB(service.proc.pid);
    const bounced = last.received.filter((m) => m.name === "message" && m.attrs.type === "error").length;
    const delivered = last.received.filter((m) => m.name === "message" && m.attrs.type === "groupchat" && m.getChildText("body")?.includes(": ")).length;
    console.log(`burst: RSS ${before.toFixed(0)} → ${peak.toFixed(0)} MiB; disco#info answered in ${answeredIn} ms; the last client got ${delivered} room messages, ${bounced} of its own bounced`);
    expect(peak).toBeLessThan(300);
    expect(bounced).toBeGreaterThan(0); // over the rate limit: bounced, not broadcast
    // The room was not flooded: each occupant may send its burst, and barely more in these seconds.
    expect(delivered).toBeLessThan(CLIENTS * 20);
    // And it still answers, at once, when the flood is over.
    const again = await asker.iq(xml("iq", { to: prosody.componentDomain, type: "get" }, xml("query", { xmlns: NS.discoInfo })), 5000);
    expect(again.attrs.type).toBe("result");
  }, 90_000);
});
