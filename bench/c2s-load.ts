// The c2s load both benchmarks through a real server use (bench/cluster.ts: N processes behind
// ejabberd; bench/server.ts: the service and the naive baseline behind Prosody): anonymous c2s
// clients (bench/c2s.ts) join ROOMS rooms of OCCUPANTS each (a client is in several rooms), then
// send pipelined groupchat messages, WINDOW in flight. Every copy is checked to reach each
// occupant of its room exactly once. Measured after a warm-up: copies/s, and the CPU time of
// each component process, of the server, of this process (the clients) and of the machine.
import type { XmppServer } from "../test/support/server.ts";
import { connectAnonymous, type C2S } from "./c2s.ts";
import { cpuTimes, machineTimes } from "./proc.ts";
import type { Seen } from "./scan.ts";

export interface LoadParams {
  clients: number;
  rooms: number;
  /** Occupants per room (at most `clients`): room r holds clients r, r + 1, … (mod clients). */
  occupants: number;
  messages: number;
  warmup: number;
  window: number;
  timeoutMs: number;
}

/** CPU seconds during the measured phase. */
export interface CpuSplit {
  /** Each component process, busiest first. */
  service: number[];
  /** The XMPP server. */
  server: number;
  clients: number;
  /** Everything the machine did, ours and anyone else's; and the time the hypervisor took away. */
  machine: number;
  steal: number;
  /** The part of each figure above spent in the kernel (system time), 0 to 1. */
  kernel: { service: number; server: number; clients: number };
}

export interface LoadResult {
  joinsPerSec: number;
  copiesPerSec: number;
  messagesPerSec: number;
  /** Copies and wall seconds of the measured phase. */
  copies: number;
  wallSec: number;
  cpu: CpuSplit;
}

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const used = (from: { user: number; system: number }, to: { user: number; system: number }) => to.user + to.system - from.user - from.system;

/** The load on `server`'s component domain; `componentPids` and `serverPid` are measured. Clients are closed at the end. */
export async function runC2SLoad(server: XmppServer, componentPids: number[], serverPid: number, p: LoadParams, label: string): Promise<LoadResult> {
  const deadline = Date.now() + p.timeoutMs;
  const roomOf = (r: number) => `r${r}@${server.componentDomain}`;
  const clients: C2S[] = [];
  const fail = (what: string): never => {
    throw new Error(`${label}: ${what}`);
  };
  const waitFor = async (done: () => boolean, what: () => string) => {
    while (!done()) {
      if (Date.now() > deadline) fail(`timed out waiting for ${what()}`);
      await Bun.sleep(1);
    }
  };
  try {
    for (let c = 0; c < p.clients; c++) clients.push(await connectAnonymous(server.host, server.c2sPort, server.anonDomain));

    // Joins: client c is occupant j = c - r (mod clients) of room r when j < occupants, as nick n<j>.
    const member = (c: number, r: number) => (((c - r) % p.clients) + p.clients) % p.clients;
    let presences = 0;
    let unexpected = 0;
    const pairs = new Set<string>();
    let handler = (c: number, s: Seen, _at: number) => {
      if (s.name === "presence") {
        presences++;
        const key = `${s.from}|${c}`;
        if (pairs.has(key)) unexpected++;
        pairs.add(key);
      } else if (s.name !== "message" || s.id) unexpected++; // the subject, sent to each joiner, has no id
    };
    clients.forEach((client, c) => (client.onStanza = (s, at) => handler(c, s, at)));
    const expectedPresences = p.rooms * p.occupants * p.occupants;
    const joinStart = performance.now();
    clients.forEach((client, c) => {
      let joins = "";
      for (let r = 0; r < p.rooms; r++)
        if (member(c, r) < p.occupants) joins += `<presence to='${roomOf(r)}/n${member(c, r)}'><x xmlns='http://jabber.org/protocol/muc'/></presence>`;
      client.write(joins);
    });
    await waitFor(() => presences >= expectedPresences, () => `${expectedPresences} join presences (got ${presences})`);
    const joinMs = performance.now() - joinStart;
    await Bun.sleep(200);
    if (presences !== expectedPresences || unexpected > 0) fail(`joins: ${presences} of ${expectedPresences} presences, ${unexpected} unexpected stanzas`);

    // Messages: message i goes to room i % rooms, from its occupant j = (i / rooms) % occupants.
    const total = p.warmup + p.messages;
    const senderOf = (i: number) => Math.floor(i / p.rooms) % p.occupants;
    const remaining = new Uint16Array(total).fill(p.occupants);
    const copiesOf = new Uint8Array(total * p.occupants);
    let completed = 0;
    let copies = 0;
    let wrong = 0;
    let scheduled = false;
    let pump = () => {};
    handler = (c, s) => {
      if (s.name !== "message" || s.type !== "groupchat" || s.id[0] !== "m") return void (s.name === "message" ? 0 : wrong++);
      const i = Number(s.id.slice(1));
      const r = i % p.rooms;
      const j = member(c, r);
      if (!(i < total) || j >= p.occupants || s.from !== `${roomOf(r)}/n${senderOf(i)}`) return void wrong++;
      if (copiesOf[i * p.occupants + j]++ !== 0) return void wrong++;
      copies++;
      if (--remaining[i]! === 0 && ++completed && !scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    const bursts: string[] = clients.map(() => "");
    const send = (i: number) => {
      const r = i % p.rooms;
      bursts[(r + senderOf(i)) % p.clients] += `<message to='${roomOf(r)}' type='groupchat' id='m${i}'><body>Message number ${i}, with a few words in it.</body></message>`;
    };
    const sample = () => ({
      at: performance.now(),
      service: componentPids.map(cpuTimes),
      server: cpuTimes(serverPid),
      clients: ((u) => ({ user: u.user / 1e6, system: u.system / 1e6 }))(process.cpuUsage()),
      machine: machineTimes(),
    });
    // The window is topped up whenever messages complete (once per round of socket reads), not
    // polled: a benchmark spinning on a 2-core machine would take the CPU the server needs.
    let next = 0;
    let before = sample();
    let after = before;
    let measuring = false;
    let finished = () => {};
    pump = () => {
      scheduled = false;
      if (completed === total) return void ((after = sample()), finished());
      if (!measuring && completed >= p.warmup) {
        measuring = true; // the warm-up is through: the measured part starts now
        before = sample();
      }
      while (next < total && next - completed < p.window && (next < p.warmup || measuring)) send(next++);
      bursts.forEach((b, c) => b && (clients[c]!.write(b), (bursts[c] = "")));
    };
    let timer: Timer | undefined;
    await new Promise<void>((resolve, reject) => {
      finished = resolve;
      timer = setTimeout(() => reject(new Error(`${label}: timed out under load: ${completed} of ${total} messages complete`)), deadline - Date.now());
      pump();
    }).finally(() => clearTimeout(timer));
    await Bun.sleep(200);
    if (copies !== total * p.occupants || wrong > 0) fail(`messages: ${copies} of ${total * p.occupants} copies, ${wrong} wrong or repeated`);

    const wallSec = (after.at - before.at) / 1000;
    const measuredCopies = p.messages * p.occupants;
    return {
      joinsPerSec: (p.rooms * p.occupants) / (joinMs / 1000),
      copiesPerSec: measuredCopies / wallSec,
      messagesPerSec: p.messages / wallSec,
      copies: measuredCopies,
      wallSec,
      cpu: {
        service: after.service.map((t, k) => used(before.service[k]!, t)).sort((a, b) => b - a),
        server: used(before.server, after.server),
        clients: used(before.clients, after.clients),
        machine: after.machine.busy - before.machine.busy,
        steal: after.machine.steal - before.machine.steal,
        kernel: {
          service: sum(after.service.map((t, k) => t.system - before.service[k]!.system)) / sum(after.service.map((t, k) => used(before.service[k]!, t))),
          server: (after.server.system - before.server.system) / used(before.server, after.server),
          clients: (after.clients.system - before.clients.system) / used(before.clients, after.clients),
        },
      },
    };
  } finally {
    for (const client of clients) client.close();
  }
}
