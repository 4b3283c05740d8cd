// No ghosts: after the service restarts (its occupants restored from storage) or the
// component connection comes back (the server may have restarted and forgotten every
// session), the room checks that each session it holds still exists, and removes those
// that do not, with status 333, as if their error had bounced (bounce.ts).
//
// The check is a XEP-0199 ping from the room to the session's real JID, a few at a time
// (config.verifyBatch per tick, the shell ticking every second, so a big service does not
// flood the server). The answer decides:
//   - a result, or any error a live client sends (feature-not-implemented, …): alive;
//   - service-unavailable, which a server returns for a session it does not have but also
//     a live client that has no ping: asked again with disco#info, which every client
//     answers; the same error again means gone;
//   - an error that means "no such session" (bounce.ts's list): gone;
//   - no answer within config.verifyTimeout seconds, the server being up: gone.
// XEP-0410 self-pings from clients are answered throughout (iq-forward.ts).
import { isSessionGone } from "./bounce.ts";
import type { Context } from "./context.ts";
import { removeSession } from "./leave.ts";
import { emptyMap, type PersistentMap } from "./persistent-map.ts";
import type { Room } from "./room.ts";
import { errorCondition, NS, xml, type Element } from "./stanza.ts";

export interface Check {
  room: string;
  session: string;
}

interface Pending extends Check {
  sentAt: number;
  stage: "ping" | "disco";
}

export interface VerifyState {
  /** Sessions still to check, in order. */
  queue: readonly Check[];
  /** Checks sent and not yet answered, by the id of their IQ. */
  pending: PersistentMap<Pending>;
}

export const PREFIX = "muc-verify-";

export function initialVerify(): VerifyState {
  return { queue: [], pending: emptyMap() };
}

/** Check these sessions (a room just restored, or every room after a reconnect). */
export function enqueue(verify: VerifyState, checks: Check[]): VerifyState {
  return checks.length === 0 ? verify : { ...verify, queue: [...verify.queue, ...checks] };
}

export function sessionsOf(room: Room): Check[] {
  return [...room.sessions.keys()].map((session) => ({ room: room.jid, session }));
}

/** While the connection is down nothing can be checked, and nothing sent is answered: start again later. */
export function forget(): VerifyState {
  return initialVerify();
}

function request(check: Check, id: string, stage: Pending["stage"]): Element {
  const payload = stage === "ping" ? xml("ping", { xmlns: NS.ping }) : xml("query", { xmlns: NS.discoInfo });
  return xml("iq", { type: "get", from: check.room, to: check.session, id }, payload);
}

type Rooms = PersistentMap<Room>;
type Step = { verify: VerifyState; rooms: Rooms; out: Element[]; changed: Map<string, [Room, Room | undefined]> };

/** Remove a session found gone, noting which rooms changed (the caller stores them). */
function gone(step: Step, check: Check): void {
  const room = step.rooms.get(check.room);
  if (!room || !room.sessions.has(check.session)) return;
  const [next, out] = removeSession(room, check.session, { codes: [333], tellSession: false, statusText: "Removed from the room: no longer connected" });
  const first = step.changed.get(check.room)?.[0] ?? room;
  step.changed.set(check.room, [first, next]);
  step.rooms = next ? step.rooms.set(check.room, next) : step.rooms.delete(check.room);
  step.out.push(...out);
}

/** A tick: the next checks go out, and those unanswered for too long count as gone. */
export function verifyTick(verify: VerifyState, rooms: Rooms, ctx: Context): Step {
  const step: Step = { verify, rooms, out: [], changed: new Map() };
  const timeout = ctx.config.verifyTimeout * 1000;
  let pending = verify.pending;
  for (const [id, check] of verify.pending.entries())
    if (ctx.now - check.sentAt >= timeout) {
      pending = pending.delete(id);
      gone(step, check);
    }
  const queue = [...verify.queue];
  let sent = 0;
  while (queue.length > 0 && sent < ctx.config.verifyBatch) {
    const check = queue.shift()!;
    if (!step.rooms.get(check.room)?.sessions.has(check.session)) continue; // left meanwhile
    const id = `${PREFIX}${ctx.nonce}-${sent++}`;
    pending = pending.set(id, { ...check, sentAt: ctx.now, stage: "ping" });
    step.out.push(request(check, id, "ping"));
  }
  step.verify = { queue, pending };
  return step;
}

/** An IQ result or error to a room whose id is one of ours. */
export function verifyAnswer(verify: VerifyState, rooms: Rooms, iq: Element, ctx: Context): Step {
  const step: Step = { verify, rooms, out: [], changed: new Map() };
  const id = iq.attrs.id as string;
  const check = verify.pending.get(id);
  if (!check || iq.attrs.from !== check.session) return step; // not ours, or not from whom we asked
  step.verify = { ...verify, pending: verify.pending.delete(id) };
  if (iq.attrs.type === "result") return step;
  const { condition } = errorCondition(iq);
  if (condition === "service-unavailable" && check.stage === "ping") {
    const next = `${PREFIX}${ctx.nonce}-disco`;
    step.verify = { ...step.verify, pending: step.verify.pending.set(next, { ...check, sentAt: ctx.now, stage: "disco" }) };
    step.out.push(request(check, next, "disco"));
    return step;
  }
  if (isSessionGone(iq)) gone(step, check);
  return step;
}
