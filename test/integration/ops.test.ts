// Issue 16, end to end: the real service on a real Prosody, seen from the outside.
// /metrics and /health over real HTTP requests while clients use a room; health
// turning 503 when storage fails and when the server goes away; and the inputs
// the service recorded on the way replaying, without a database, to exactly
// the transcript the running service produced.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { startService, type RunningService } from "../../index.ts";
import type { Input } from "../../lib/service.ts";
import { replay } from "../../lib/shell/replay.ts";
import { openSqliteStore } from "../../lib/shell/sqlite.ts";
import { parseXml } from "../../lib/stanza.ts";
import type { Store } from "../../lib/storage.ts";
import { connectUser, type TestClient } from "../support/client.ts";
import { startProsody, type Prosody } from "../support/prosody.ts";
import { codes, condition, integrationAvailable, isGroupchat, join, NS, sleep, withTimeout, xml, type Element } from "./helpers.ts";

const available = integrationAvailable();

/** One sample's value in an exposition. */
const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!available)("operating it: metrics, health, recording, on a real Prosody", () => {
  let prosody: Prosody;
  let service: RunningService;
  let dir: string;
  let recording: string;
  let base: string;
  let failCommits = false;
  const logs: string[] = [];
  const live: string[] = [];
  const clients: TestClient[] = [];
  let room: string;

  beforeAll(async () => {
    prosody = await startProsody();
    dir = mkdtempSync(joinPath(tmpdir(), "muc-ops-"));
    recording = joinPath(dir, "inputs.jsonl");
    const sqlite = openSqliteStore(joinPath(dir, "muc.sqlite"));
    // The real store, with a switch that makes its commits fail (a full disk, say).
    const store: Store & { db: unknown } = {
      db: sqlite.db,
      read: (r) => sqlite.read(r),
      write: (w) => sqlite.write(w),
      flush: () => {
        if (failCommits) throw new Error("database or disk is full");
        return sqlite.flush();
      },
      close: () => sqlite.close(),
    };
    service = await startService({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.componentDomain,
      password: prosody.secret,
      config: { maxStanzaChars: 2000 },
      store,
      http: { hostname: "127.0.0.1", port: 0 },
      record: recording,
      onStop: "leave", // the recording ends with the goodbye, which it replays too
      log: (line) => logs.push(line),
      logFormat: "json",
      onStep: (input: Input, out: Element[]) => {
        live.push(input.kind === "stanza" ? `>> ${input.stanza}` : `>> (${input.kind})`);
        for (const s of out) live.push(`<< ${s}`);
      },
    });
    await withTimeout(service.online(), 5000, () => `not online:\n${logs.join("\n")}`);
    base = service.http!.url;
    room = `ops-${Date.now().toString(36)}@${prosody.componentDomain}`;
  }, 20_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await service?.stop();
    await prosody?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 10_000);

  const user = async (name: string, resource: string) => {
    const c = await connectUser(prosody, name, resource);
    clients.push(c);
    return c;
  };
  const metrics = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    return res.text();
  };
  const health = async () => {
    const res = await fetch(`${base}/health`);
    return { status: res.status, body: await res.text() };
  };

  test("healthy once online; /metrics counts what two users do in a room, limits included", async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await health()).toEqual({ status: 200, body: "ok\n" });

    const alice = await user("alice", "desk");
    const bob = await user("bob", "phone");
    expect(codes((await join(alice, room, "Alice")).self)).toEqual([201, 110]);
    await join(bob, room, "Bob");
    await alice.send(xml("message", { to: room, type: "groupchat", id: "g1" }, xml("body", {}, "a body that stays out of the logs")));
    await bob.waitFor(isGroupchat("a body that stays out of the logs"));
    // Over the service's stanza limit (2000 characters): refused with policy-violation.
    await alice.send(xml("message", { to: room, type: "groupchat", id: "big" }, xml("body", {}, "z".repeat(3000))));
    const refused = await alice.waitFor((el) => el.name === "message" && el.attrs.type === "error" && el.attrs.id === "big");
    expect(condition(refused)).toBe("policy-violation");
    // An archive query and the room directory: storage reads, recorded with their answers.
    const mam = await bob.iq(xml("iq", { type: "set", to: room }, xml("query", { xmlns: "urn:xmpp:mam:2", queryid: "q1" })));
    expect(mam.attrs.type).toBe("result");
    const items = await bob.iq(xml("iq", { type: "get", to: prosody.componentDomain }, xml("query", { xmlns: NS.discoItems })));
    expect(items.attrs.type).toBe("result");

    const text = await metrics();
    expect(sample(text, "muc_connected")).toBe(1);
    expect(sample(text, "muc_connects_total")).toBe(1);
    expect(sample(text, 'muc_rooms{persistence="temporary",visibility="public",anonymity="semi-anonymous",membership="open"}')).toBe(1);
    expect(sample(text, "muc_occupants")).toBe(2);
    expect(sample(text, "muc_sessions")).toBe(2);
    expect(sample(text, 'muc_stanzas_in_total{stanza="presence",type="available"}')).toBe(2);
    expect(sample(text, 'muc_stanzas_in_total{stanza="message",type="groupchat"}')).toBe(2);
    expect(sample(text, 'muc_stanzas_in_total{stanza="iq",type="set"}')).toBe(1);
    expect(sample(text, 'muc_errors_sent_total{condition="policy-violation"}')).toBe(1);
    expect(sample(text, 'muc_limit_refusals_total{limit="stanza-size"}')).toBe(1);
    expect(sample(text, "muc_archive_writes_total")).toBe(1);
    expect(sample(text, "muc_archive_write_seconds_count")).toBe(1);
    expect(sample(text, "muc_store_commit_seconds_count")).toBeGreaterThan(0);
    expect(sample(text, 'muc_store_reads_total{op="directory"}')).toBe(1);
    expect(sample(text, "muc_event_loop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(10e6);
    expect(sample(text, "muc_record_bytes")).toBeGreaterThan(1000);

    // Logs: one JSON object per line; the limit hit names the room, never the body or alice's JID.
    const records = logs.map((l) => JSON.parse(l));
    expect(records.map((r) => r.event)).toContain("online");
    expect(records.find((r) => r.event === "limit")).toMatchObject({ level: "info", limit: "stanza-size", condition: "policy-violation", room });
    for (const line of logs) {
      expect(line).not.toContain("a body that stays out");
      expect(line).not.toContain("alice@localhost");
    }

    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  }, 15_000);

  test("503 while storage cannot commit, with the reason; 200 again once a commit works", async () => {
    const carol = await user("carol", "laptop");
    failCommits = true;
    await carol.send(xml("presence", { to: `${room}/Carol` }, xml("x", { xmlns: NS.muc })));
    const deadline = Date.now() + 3000;
    let h = await health();
    while (h.status === 200 && Date.now() < deadline) {
      await sleep(25);
      h = await health();
    }
    expect(h).toEqual({ status: 503, body: "storage is not writable: a commit failed: database or disk is full\n" });
    expect(sample(await metrics(), "muc_store_failures_total")).toBe(1);
    failCommits = false;
    // The next batch commits (the failed one's writes with it), and the service is healthy again.
    await carol.send(xml("presence", { to: `${room}/Carol` }, xml("x", { xmlns: NS.muc })));
    await carol.waitFor((el) => el.name === "presence" && codes(el).includes(110), 3000);
    expect(await health()).toEqual({ status: 200, body: "ok\n" });
  }, 10_000);

  test("503 when the server goes away, saying so; the connection metrics follow", async () => {
    await prosody.stop();
    const deadline = Date.now() + 5000;
    let h = await health();
    while (h.status === 200 && Date.now() < deadline) {
      await sleep(25);
      h = await health();
    }
    expect(h.status).toBe(503);
    expect(h.body).toStartWith(`not connected to xmpp://127.0.0.1:${prosody.componentPort}: `);
    expect(h.body.trim().split("\n")).toHaveLength(1);
    const text = await metrics();
    expect(sample(text, "muc_connected")).toBe(0);
    expect(sample(text, "muc_disconnects_total")).toBe(1);
    expect(logs.map((l) => JSON.parse(l)).find((r) => r.event === "disconnected")).toMatchObject({ level: "warn" });
  }, 10_000);

  test("the recording replays, without a database, to exactly what the service produced", async () => {
    await service.stop(); // the shutdown is an input too
    const text = readFileSync(recording, "utf8");
    const lines = text.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ format: "bun-muc-record", version: 1, config: { domain: prosody.componentDomain } });
    expect(lines.filter((l) => l.kind === "read").map((l) => l.read.op)).toEqual(expect.arrayContaining(["load-room", "archive-query", "directory"]));
    expect(lines.at(-1).kind).toBe("shutdown");

    expect(live.length).toBeGreaterThan(30);
    expect(replay(text)).toEqual(live);
    // And what it produced is what the clients got: bob's copy of alice's message is in it, with its stanza-id.
    // (Prosody orders attributes as it likes: read them, do not match the text.)
    const toBob = live
      .filter((l) => l.startsWith("<< <message"))
      .map((l) => parseXml(l.slice(3)))
      .filter((m) => m.attrs.from === `${room}/Alice` && m.attrs.to === "bob@localhost/phone" && m.attrs.type === "groupchat")
      .map(String);
    expect(toBob).toHaveLength(1);
    expect(toBob[0]).toContain("a body that stays out of the logs");
    expect(toBob[0]).toContain(`<stanza-id xmlns="urn:xmpp:sid:0"`);
  }, 10_000);
});
