// End to end: a whole component process (the service, or the naive baseline) connected to
// the loopback peer (peer.ts), which plays the XMPP server. One run:
//   1. joins: ROOMS × OCCUPANTS joins, pipelined, after as many unmeasured into other rooms;
//      joins/s until every presence has arrived;
//   2. (optional) each room's owner turns archiving off (the "no archive" variant);
//   3. load: MESSAGES groupchat messages, WINDOW of them in flight at a time; copies out/s,
//      the component's CPU per copy, latency from a message in to its last copy out;
//   4. idle: IDLE messages one at a time: the latency of a message on a quiet service.
// Every copy is checked: each message reaches each occupant of its room exactly once, and
// nothing else arrives; a run that sees anything else fails loudly.
import { UNLIMITED_ENV } from "./unlimited.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processUsage, startPeer, type Seen } from "./peer.ts";

/** naive-same-bytes: the naive baseline writing the bytes the protocol makes the service write (bench/naive.ts). */
export type Variant = "service" | "service-memory" | "service-noarchive" | "naive" | "naive-same-bytes";
const isNaive = (v: Variant) => v === "naive" || v === "naive-same-bytes";

export interface E2EParams {
  rooms: number;
  occupants: number;
  messages: number;
  /** Messages sent first and not measured (the JIT warms up on them). */
  warmup: number;
  window: number;
  idle: number;
  /** Upper bound on the whole run, in ms. */
  timeoutMs: number;
}

export interface E2EResult {
  variant: Variant;
  joinsPerSec: number;
  copiesPerSec: number;
  messagesPerSec: number;
  cpuPerCopyUs: number;
  /** The component's CPU time / wall time under load (1 = one core busy all along). */
  cpuLoad: number;
  loadP50Ms: number;
  loadP99Ms: number;
  idleP50Ms: number;
  idleP99Ms: number;
  rssAfterJoinsMiB: number;
  rssPeakMiB: number;
}

const DOMAIN = "muc.bench";
const SECRET = "bench-secret";
const root = join(import.meta.dir, "..");
const user = (u: number) => `u${u}@bench/r`;
const roomOf = (r: number) => `r${r}@${DOMAIN}`;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Start a component process connected to a fresh peer. */
export async function startComponent(variant: Variant, env: Record<string, string> = {}, extraBunArgs: string[] = []) {
  const peer = await startPeer({ domain: DOMAIN, secret: SECRET });
  const dir = mkdtempSync(join(tmpdir(), "muc-bench-"));
  const script = isNaive(variant) ? join(root, "bench/naive.ts") : join(root, "index.ts");
  // BENCH_BUN_ARGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the component.
  const bunArgs = [...(process.env.BENCH_BUN_ARGS ?? "").split(" ").filter(Boolean), ...extraBunArgs];
  const proc = Bun.spawn([process.execPath, ...bunArgs, "run", script], {
    cwd: root,
    env: {
      ...process.env,
      XMPP_SERVICE: `xmpp://127.0.0.1:${peer.port}`,
      XMPP_DOMAIN: DOMAIN,
      XMPP_PASSWORD: SECRET,
      XMPP_DEBUG: "",
      MUC_DATABASE: variant === "service" ? join(dir, "muc.sqlite") : ":memory:",
      ...UNLIMITED_ENV, // the benchmark measures delivery, not the limits
      NAIVE_SAME_BYTES: variant === "naive-same-bytes" ? "1" : "",
      ...env,
    },
    stdin: "ignore",
    stdout: "inherit",
    stderr: "pipe",
  });
  let log = "";
  void (async () => {
    for await (const chunk of proc.stderr) log += new TextDecoder().decode(chunk);
  })();
  const online = await Promise.race([peer.online().then(() => true), Bun.sleep(10_000).then(() => false)]);
  if (!online) {
    proc.kill();
    throw new Error(`${variant} did not connect to the peer; its log:\n${log}`);
  }
  await Bun.sleep(300); // the component marks itself online a moment after the handshake
  return {
    peer,
    proc,
    log: () => log,
    usage: () => processUsage(proc.pid),
    async stop() {
      peer.close();
      proc.kill();
      await proc.exited;
      // BENCH_LOG=FILE keeps the component's stderr (with BUN_JSC_logGC=1: its collections).
      if (process.env.BENCH_LOG) await Bun.write(process.env.BENCH_LOG, log);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes `stanzas` to the peer's socket, waiting whenever its buffer is full. */
async function writeAll(peer: { write(x: string): boolean }, stanzas: string[], chunk = 200) {
  for (let i = 0; i < stanzas.length; i += chunk) {
    if (!peer.write(stanzas.slice(i, i + chunk).join(""))) await Bun.sleep(0);
  }
}

export async function runE2E(variant: Variant, p: E2EParams): Promise<E2EResult> {
  const c = await startComponent(variant);
  const deadline = Date.now() + p.timeoutMs;
  const fail = (what: string): never => {
    throw new Error(`${variant}: ${what}; its log:\n${c.log().slice(-2000)}`);
  };
  const waitFor = async (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
      await Bun.sleep(1);
    }
  };
  try {
    const { peer } = c;
    const N = p.rooms * p.occupants;
    let rssPeak = c.usage().rss;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, c.usage().rss)), 100);

    // 1. Joins: user u joins room floor(u / occupants) as nick n<u>.
    let presences = 0;
    let unexpected = 0;
    const pairs = new Set<string>();
    let handler = (s: Seen, _at: number) => {
      if (s.name === "presence") {
        presences++;
        const key = `${s.from}|${s.to}`;
        if (pairs.has(key)) unexpected++;
        pairs.add(key);
      } else if (s.name !== "message" || s.id) unexpected++; // the service sends each joiner the subject: no id
    };
    peer.onStanza = (s, at) => handler(s, at);
    // In a room of k, the j-th joiner (0-based) receives j + 1 presences, and j others receive one.
    const expectedPresences = p.rooms * p.occupants * p.occupants;
    const joinsOf = (who: (u: number) => string, room: (r: number) => string) =>
      Array.from({ length: N }, (_, u) => `<presence from="${who(u)}" to="${room(Math.floor(u / p.occupants))}/n${u}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    // The same joins into other rooms first, unmeasured: as the messages have a warm-up, so that
    // joins/s is a running service's, not a cold process's first thousand (the JIT's).
    await writeAll(peer, joinsOf((u) => `w${u}@bench/r`, (r) => `w${r}@${DOMAIN}`));
    await waitFor(() => presences >= expectedPresences, `${expectedPresences} warm-up join presences (got ${presences})`);
    await Bun.sleep(100);
    presences = 0;
    const joinStart = performance.now();
    await writeAll(peer, joinsOf(user, roomOf));
    await waitFor(() => presences >= expectedPresences, `${expectedPresences} join presences (got ${presences})`);
    const joinMs = performance.now() - joinStart;
    if (presences !== expectedPresences || unexpected > 0) fail(`joins: ${presences} presences, ${unexpected} unexpected stanzas`);
    await Bun.sleep(200);
    if (presences !== expectedPresences) fail(`joins: ${presences - expectedPresences} presences too many`);
    const rssAfterJoins = c.usage().rss;

    // 2. The no-archive variant: every room's owner (its first joiner) turns archiving off.
    if (variant === "service-noarchive") {
      let results = 0;
      handler = (s) => void (s.name === "iq" && s.type === "result" && results++);
      const forms: string[] = [];
      for (let r = 0; r < p.rooms; r++)
        forms.push(
          `<iq from="${user(r * p.occupants)}" to="${roomOf(r)}" type="set" id="cfg${r}"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit">` +
            `<field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var="muc#roomconfig_enablearchiving"><value>0</value></field></x></query></iq>`,
        );
      await writeAll(peer, forms);
      await waitFor(() => results >= p.rooms, "the configuration results");
      // Configuration changes notify occupants (status 170/104): let them pass before measuring.
      await Bun.sleep(100);
    }

    // 3. and 4. Messages: message i goes to room i % rooms, from its occupant (i / rooms) % occupants.
    const loaded = p.warmup + p.messages;
    const total = loaded + p.idle;
    const remaining = new Uint16Array(total).fill(p.occupants);
    const copiesOf = new Uint8Array(total * p.occupants);
    const sentAt = new Float64Array(total);
    const doneAt = new Float64Array(total);
    let completed = 0;
    let copies = 0;
    let wrong = 0;
    handler = (s, at) => {
      if (s.name !== "message" || s.type !== "groupchat" || s.id[0] !== "m") return void (s.name === "message" ? 0 : wrong++);
      const i = Number(s.id.slice(1));
      const u = Number(s.to.slice(1, s.to.indexOf("@")));
      const r = i % p.rooms;
      if (!(i < total) || Math.floor(u / p.occupants) !== r || s.from !== `${roomOf(r)}/n${r * p.occupants + (Math.floor(i / p.rooms) % p.occupants)}`) return void wrong++;
      const slot = i * p.occupants + (u % p.occupants);
      if (copiesOf[slot]++ !== 0) return void wrong++;
      copies++;
      if (--remaining[i]! === 0) {
        doneAt[i] = at;
        completed++;
      }
    };
    peer.onStanza = (s, at) => handler(s, at);
    const message = (i: number) => {
      const r = i % p.rooms;
      const sender = r * p.occupants + (Math.floor(i / p.rooms) % p.occupants);
      return `<message from="${user(sender)}" to="${roomOf(r)}" type="groupchat" id="m${i}"><body>Message number ${i}, with a few words in it.</body></message>`;
    };

    let next = 0;
    let before = c.usage();
    let loadStart = performance.now();
    let measuring = false;
    while (completed < loaded) {
      if (Date.now() > deadline) fail(`timed out under load: ${completed} of ${loaded} messages complete`);
      if (!measuring && completed >= p.warmup) {
        // The warm-up is through: the measured part starts now.
        measuring = true;
        if (process.env.BENCH_THREADS) console.error("before", threads(c.proc.pid));
        before = c.usage();
        loadStart = performance.now();
      }
      let burst = "";
      const now = performance.now();
      while (next < loaded && next - completed < p.window && (next < p.warmup || measuring)) {
        sentAt[next] = now;
        burst += message(next++);
      }
      if (burst) peer.write(burst);
      await Bun.sleep(0);
    }
    const loadMs = performance.now() - loadStart;
    const after = c.usage();
    if (process.env.BENCH_THREADS) console.error("after ", threads(c.proc.pid));
    for (let i = loaded; i < total; i++) {
      sentAt[i] = performance.now();
      peer.write(message(i));
      await waitFor(() => completed > i, `idle message ${i}`);
    }
    await Bun.sleep(100);
    clearInterval(sampler);
    if (copies !== total * p.occupants || wrong > 0) fail(`messages: ${copies} of ${total * p.occupants} copies, ${wrong} wrong or repeated`);

    const latency = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => doneAt[from + k]! - sentAt[from + k]!).sort((a, b) => a - b);
    const load = latency(p.warmup, loaded);
    const idle = latency(loaded, total);
    const loadCopies = p.messages * p.occupants;
    return {
      variant,
      joinsPerSec: N / (joinMs / 1000),
      copiesPerSec: loadCopies / (loadMs / 1000),
      messagesPerSec: p.messages / (loadMs / 1000),
      cpuPerCopyUs: ((after.cpu - before.cpu) * 1e6) / loadCopies,
      cpuLoad: (after.cpu - before.cpu) / (loadMs / 1000),
      loadP50Ms: percentile(load, 50),
      loadP99Ms: percentile(load, 99),
      idleP50Ms: percentile(idle, 50),
      idleP99Ms: percentile(idle, 99),
      rssAfterJoinsMiB: rssAfterJoins / 2 ** 20,
      rssPeakMiB: rssPeak / 2 ** 20,
    };
  } finally {
    await c.stop();
  }
}

/** Memory per occupant, after a full collection (the garbage of the burst is not memory kept). */
export interface MemoryResult {
  /** RSS growth per occupant. */
  rssBytes: number;
  /** Growth of the JavaScript heap per occupant (what the service's objects take, without the allocator's slack). */
  heapBytes: number;
}

/** Memory: growth of the component process per occupant (rooms of 20) or per room (one occupant each), both after a forced GC. */
/** A full GC in a component started with bench/gc-preload.ts, then its RSS and heap. */
function collector(c: Awaited<ReturnType<typeof startComponent>>, variant: string, deadline: number) {
  return async () => {
    const seen = c.log().split("gc-preload").length;
    c.proc.kill("SIGUSR2");
    while (c.log().split("gc-preload").length === seen) {
      if (Date.now() > deadline) throw new Error(`${variant}: no answer to SIGUSR2 (is bench/gc-preload.ts loaded?)`);
      await Bun.sleep(5);
    }
    await Bun.sleep(200); // let the allocator hand back what the collection freed
    const heap = Number(/heap=(\d+)/.exec(c.log().slice(c.log().lastIndexOf("gc-preload")))?.[1]);
    return { rss: c.usage().rss, heap };
  };
}

export async function runMemory(variant: Variant, occupants: number, perRoom: number, timeoutMs: number): Promise<MemoryResult> {
  const c = await startComponent(variant, {}, [`--preload=${join(root, "bench/gc-preload.ts")}`]);
  try {
    const deadline = Date.now() + timeoutMs;
    const collected = collector(c, variant, deadline);
    let presences = 0;
    c.peer.onStanza = (s) => void (s.name === "presence" && presences++);
    const rooms = Math.ceil(occupants / perRoom);
    // A first room, so what the first room costs once (the archive's tables, the JIT) is not counted.
    c.peer.write(`<presence from="warm@bench/r" to="warmup@${DOMAIN}/w"><x xmlns="http://jabber.org/protocol/muc"/></presence>`);
    while (presences < 1 && Date.now() < deadline) await Bun.sleep(5);
    await Bun.sleep(1000);
    const before = await collected();
    const joins: string[] = [];
    for (let u = 0; u < occupants; u++)
      joins.push(`<presence from="${user(u)}" to="${roomOf(Math.floor(u / perRoom))}/n${u}"><x xmlns="http://jabber.org/protocol/muc"/><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://example.org" ver="q07IKJEyjvHSyhy//CH0CxmKi8w="/></presence>`);
    await writeAll(c.peer, joins);
    const expected = 1 + rooms * perRoom * perRoom;
    while (presences < expected) {
      if (Date.now() > deadline) throw new Error(`${variant}: memory run timed out (${presences} of ${expected} presences)`);
      await Bun.sleep(5);
    }
    await Bun.sleep(500);
    const after = await collected();
    return { rssBytes: (after.rss - before.rss) / occupants, heapBytes: (after.heap - before.heap) / occupants };
  } finally {
    await c.stop();
  }
}

/**
 * Memory per history entry in quiet rooms: `rooms` rooms of one occupant each receive
 * `perRoom` messages each, every one in a read of its own next to 60 KB of other traffic (a
 * stanza the service ignores), as a busy server's stream would carry them. What a room keeps of
 * a message must not keep the read it came in (lib/shell/unshare.ts).
 */
export async function runHistoryMemory(rooms: number, perRoom: number, timeoutMs: number): Promise<MemoryResult> {
  const c = await startComponent("service", {}, [`--preload=${join(root, "bench/gc-preload.ts")}`]);
  try {
    const deadline = Date.now() + timeoutMs;
    const collected = collector(c, "service", deadline);
    let seen = 0;
    c.peer.onStanza = () => void seen++;
    const quiet = (r: number) => `q${r}@${DOMAIN}`;
    let joins = "";
    for (let r = 0; r < rooms; r++) joins += `<presence from="${user(r)}" to="${quiet(r)}/n${r}"><x xmlns="http://jabber.org/protocol/muc"/></presence>`;
    c.peer.write(joins);
    const joined = 2 * rooms; // each joiner: its own presence and the subject
    while (seen < joined) {
      if (Date.now() > deadline) throw new Error(`history memory run timed out joining (${seen} of ${joined})`);
      await Bun.sleep(5);
    }
    await Bun.sleep(500);
    const before = await collected();
    const other = `<message from="x@bench/r" to="elsewhere@${DOMAIN}" type="error"><body>${"y".repeat(60_000)}</body></message>`;
    for (let k = 0; k < perRoom; k++)
      for (let r = 0; r < rooms; r++) {
        if (!c.peer.write(`<message from="${user(r)}" to="${quiet(r)}" type="groupchat" id="h${k}-${r}"><body>message ${k} to room ${r}</body></message>${other}`)) await Bun.sleep(1);
        if (r % 50 === 49) await Bun.sleep(1); // one read per write, more or less
      }
    const expected = joined + rooms * perRoom;
    while (seen < expected) {
      if (Date.now() > deadline) throw new Error(`history memory run timed out (${seen} of ${expected} stanzas)`);
      await Bun.sleep(5);
    }
    await Bun.sleep(500);
    const after = await collected();
    const entries = rooms * perRoom;
    return { rssBytes: (after.rss - before.rss) / entries, heapBytes: (after.heap - before.heap) / entries };
  } finally {
    await c.stop();
  }
}

/** CPU seconds per thread of a process (which threads the time goes to: JS, GC, I/O). */
export function threads(pid: number): string {
  const fs = require("node:fs");
  return (fs.readdirSync(`/proc/${pid}/task`) as string[])
    .map((tid) => {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8") as string;
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return [name, (Number(f[11]) + Number(f[12])) / 100] as const;
    })
    .filter(([, cpu]) => cpu > 0.05)
    .map(([name, cpu]) => `${name}:${cpu.toFixed(2)}`)
    .join(" ");
}
