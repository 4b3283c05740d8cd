// Several processes for one domain, end to end (README, "Running several processes"): a real
// ejabberd with the README's domain_balancing, `bun run cluster 3` on one shared database, real
// clients. Twenty rooms work as with one process; the domain's disco#items and the admin
// commands see all of them; one process killed with SIGKILL is started again by the supervisor
// and its rooms answer within seconds, with their occupants and their archive; ejabberd restarted
// under the running processes, every room works again as configured.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin } from "node:path";
import { ejabberdUnavailable, startEjabberd } from "../support/ejabberd.ts";
import { postgresAvailable, startPostgres, type Postgres } from "../support/postgres.ts";
import { connectUser, type TestClient } from "../support/client.ts";
import type { XmppServer } from "../support/server.ts";
import { codes, isGroupchat, join, NS, roomConfig, xml, type Element } from "./helpers.ts";
import { startClusterProcess, type ClusterProcess } from "./service-process.ts";

const PROCESSES = 3;
const ROOMS = 20;
const MAM = "urn:xmpp:mam:2";
const COMMANDS = "http://jabber.org/protocol/commands";

const unavailable = ejabberdUnavailable();
if (unavailable && process.env.CI) throw new Error(`ejabberd cannot run (${unavailable}), but CI is set`);
if (unavailable) console.warn(`SKIPPING the cluster tests: ${unavailable}`);

/** The stores the processes share: the SQLite file (one host), PostgreSQL (several hosts). */
type SharedStore = { name: string; available: boolean; database(dir: string): Promise<string>; close?(): Promise<void> };
let pg: Postgres | undefined;
const STORES: SharedStore[] = [
  { name: "one SQLite file", available: true, database: async (dir) => pathJoin(dir, "muc.sqlite") },
  {
    name: "PostgreSQL",
    available: !unavailable && postgresAvailable(),
    database: async () => (pg ??= await startPostgres()).database(),
    close: async () => {
      await pg?.stop();
      pg = undefined;
    },
  },
];

const bodies = (page: Element[]) => page.map((m) => m.getChild("result", MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!.getChild("message")!.getChildText("body"));

async function archive(client: TestClient, room: string, queryid: string): Promise<(string | null)[]> {
  await client.iq(xml("iq", { to: room, type: "set" }, xml("query", { xmlns: MAM, queryid })));
  return bodies(client.received.filter((m) => m.name === "message" && m.getChild("result", MAM)?.attrs.queryid === queryid));
}

/** Rooms in memory in each process, from its /metrics. */
async function roomsPerProcess(httpPort: number): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const text = await (await fetch(`http://127.0.0.1:${httpPort + i}/metrics`)).text();
    counts.push([...text.matchAll(/^muc_rooms\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0));
  }
  return counts;
}

for (const store of STORES)
  describe.skipIf(!!unavailable || !store.available)(`${PROCESSES} processes behind ejabberd on ${store.name}`, () => {
    let server: XmppServer;
    let cluster: ClusterProcess;
    let dir: string;
    let alice: TestClient, bob: TestClient, admin: TestClient;
    const httpPort = 20_000 + Math.floor(Math.random() * 20_000);
    const rooms = Array.from({ length: ROOMS }, (_, i) => `team-${String(i + 1).padStart(2, "0")}@muc.localhost`);

    beforeAll(async () => {
      dir = mkdtempSync(pathJoin(tmpdir(), "muc-cluster-"));
      server = await startEjabberd({ componentConnections: PROCESSES });
      cluster = await startClusterProcess(server, PROCESSES, {
        MUC_DATABASE: await store.database(dir),
        MUC_ADMINS: "admin@localhost",
        MUC_HTTP: `127.0.0.1:${httpPort}`,
        MUC_VERIFY_TIMEOUT: "5",
      });
      [alice, bob, admin] = [await connectUser(server, "alice"), await connectUser(server, "bob"), await connectUser(server, "admin")];
    }, 60_000);

    afterAll(async () => {
      await Promise.all([alice, bob, admin].map((c) => c?.stop()));
      await cluster?.stop();
      await server?.stop();
      await store.close?.();
      rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    test(`${ROOMS} rooms created by real clients work as with one process: join, configuration, messages, history, MAM`, async () => {
      for (const room of rooms) {
        const created = await join(alice, room, "Alice");
        expect(codes(created.self)).toContain(201);
        const configured = await alice.iq(roomConfig(room, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": `Team ${room.slice(5, 7)}` }));
        expect(configured.attrs.type).toBe("result");
        await join(bob, room, "Bob");
        await alice.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, `hello ${room}`)));
        await bob.waitFor(isGroupchat(`hello ${room}`));
      }
      // The rooms are spread over the processes, each room in exactly one.
      const spread = await roomsPerProcess(httpPort);
      expect(spread.reduce((a, b) => a + b, 0)).toBe(ROOMS);
      expect(spread.filter((n) => n > 0).length).toBeGreaterThan(1);
      // History on join, and the archive, from whichever process holds the room.
      const carol = await connectUser(server, "carol");
      const joined = await join(carol, rooms[7]!, "Carol");
      const history = joined.stanzas.filter((m) => m.name === "message" && m.getChild("delay", "urn:xmpp:delay"));
      expect(history.map((m) => m.getChildText("body"))).toEqual([`hello ${rooms[7]}`]);
      await carol.stop();
      for (const room of rooms) expect(await archive(bob, room, `before-${room}`)).toEqual([`hello ${room}`]);
    }, 60_000);

    test("the domain's disco#items lists every public room, whichever process holds it", async () => {
      const result = await alice.iq(xml("iq", { to: "muc.localhost", type: "get" }, xml("query", { xmlns: NS.discoItems })));
      expect(result.getChild("query")!.getChildren("item").map((i) => i.attrs.jid)).toEqual(rooms);
    });

    test("the admin's room list covers every process", async () => {
      const result = await admin.iq(xml("iq", { to: "muc.localhost", type: "set" }, xml("command", { xmlns: COMMANDS, node: "http://jabber.org/protocol/muc#admin-list-rooms", action: "execute" })));
      const listed = result.getChild("command")!.getChild("x", NS.data)!.getChildren("item").map((item) => item.getChildren("field").map((f) => f.getChildText("value")));
      expect(listed.length).toBe(ROOMS);
      expect(listed.every(([, , occupants]) => occupants === "2")).toBe(true);
    });

    test("one process killed with SIGKILL: the supervisor starts it again, and its rooms answer within seconds, with their occupants and archive", async () => {
      const before = await roomsPerProcess(httpPort);
      const victim = before.findIndex((n) => n > 0) + 1;
      const pid = cluster.pids().get(victim)!;
      process.kill(pid, "SIGKILL");
      await cluster.waitForPid(victim, pid);
      // Every room answers again: a message from Bob reaches Alice, who never rejoined.
      const started = Date.now();
      for (const room of rooms) {
        for (let attempt = 0; ; attempt++) {
          const body = `after the kill ${room} ${attempt}`;
          await bob.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, body)));
          const got = await alice.waitFor(isGroupchat(body), 1000).catch(() => undefined);
          if (got) break;
          if (Date.now() - started > 20_000) throw new Error(`${room} did not answer again\n${cluster.output()}`);
        }
      }
      const recovered = Date.now() - started;
      expect(recovered).toBeLessThan(20_000);
      console.log(`cluster: ${before[victim - 1]} rooms of process ${victim} answered again ${recovered} ms after the kill`);
      const after = await roomsPerProcess(httpPort);
      expect(after.reduce((a, b) => a + b, 0)).toBe(ROOMS);
      // Nobody heard of a departure, and the archive has what was said before the kill.
      const departures = alice.received.filter((s) => s.name === "presence" && s.attrs.type === "unavailable" && rooms.some((r) => [`${r}/Alice`, `${r}/Bob`].includes(s.attrs.from)));
      expect(departures.map(String)).toEqual([]);
      for (const room of rooms) expect((await archive(alice, room, `after-${room}`))[0]).toBe(`hello ${room}`);
    }, 60_000);

    test("an admin's destroy reaches the room through the server, whichever process holds it", async () => {
      const room = rooms[ROOMS - 1]!;
      const result = await admin.iq(
        xml(
          "iq",
          { to: "muc.localhost", type: "set" },
          xml(
            "command",
            { xmlns: COMMANDS, node: "http://prosody.im/protocol/muc#destroy", action: "execute" },
            xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "rooms" }, xml("value", {}, room)), xml("field", { var: "reason" }, xml("value", {}, "tidying up"))),
          ),
        ),
      );
      expect(result.getChild("command")!.attrs.status).toBe("completed");
      const gone = await alice.waitFor((s) => s.name === "presence" && s.attrs.from === `${room}/Alice` && s.attrs.type === "unavailable", 5000);
      expect(gone.getChild("x", NS.mucUser)!.getChild("destroy")!.getChildText("reason")).toBe("tidying up");
      const listed = await alice.iq(xml("iq", { to: "muc.localhost", type: "get" }, xml("query", { xmlns: NS.discoItems })));
      expect(listed.getChild("query")!.getChildren("item").map((i) => i.attrs.jid)).toEqual(rooms.slice(0, -1));
    });

    test("ejabberd restarted: the processes reconnect (each maybe to another slot), forget what they held, and every room works again as configured", async () => {
      const kept = rooms.slice(0, -1); // the last one was destroyed above
      const ports = { componentPort: server.componentPort, c2sPort: server.c2sPort, httpPort: server.httpPort, secret: server.secret };
      await Promise.all([alice, bob, admin].map((c) => c.stop()));
      await server.stop();
      server = await startEjabberd({ componentConnections: PROCESSES, ...ports });
      const authenticated = () => server.log().split("\n").filter((l) => server.logs.componentAuthenticated.test(l)).length;
      for (const until = Date.now() + 20_000; authenticated() < PROCESSES && Date.now() < until; ) await Bun.sleep(100);
      expect(authenticated()).toBe(PROCESSES);
      [alice, bob, admin] = [await connectUser(server, "alice"), await connectUser(server, "bob"), await connectUser(server, "admin")];
      const listed = await alice.iq(xml("iq", { to: "muc.localhost", type: "get" }, xml("query", { xmlns: NS.discoItems })));
      expect(listed.getChild("query")!.getChildren("item").map((i) => i.attrs.jid)).toEqual(kept);
      for (const room of kept) {
        // The sessions of before the restart are gone with the server: both join again, and talk.
        await join(alice, room, "Alice");
        await join(bob, room, "Bob");
        await bob.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, `again ${room}`)));
        await alice.waitFor(isGroupchat(`again ${room}`), 5000);
      }
      const info = await alice.iq(xml("iq", { to: kept[3]!, type: "get" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
      expect(info.getChild("query")!.getChild("identity")!.attrs.name).toBe(`Team ${kept[3]!.slice(5, 7)}`);
      // The archive has it all: before the kill, after it (the attempts that reached a process), after the restart.
      const archived = await archive(bob, kept[3]!, "after-restart");
      expect([archived[0], archived.at(-1)]).toEqual([`hello ${kept[3]}`, `again ${kept[3]}`]);
      expect(archived.slice(1, -1).every((body) => body?.startsWith(`after the kill ${kept[3]} `))).toBe(true);
      expect(archived.length).toBeGreaterThanOrEqual(3);
    }, 60_000);
  });
