// An error that comes back for a stanza the room sent to a session (RFC 6120
// §8.3): the session is gone (offline, its server unreachable), so it leaves
// the room with status 333 rather than staying as a ghost. Prosody does the
// same. Transient errors (type wait) and errors a live client may answer with
// (feature-not-implemented, …) leave it in the room.
import { removeSession } from "./leave.ts";
import type { Room } from "./room.ts";
import { errorCondition, NS, type Element } from "./stanza.ts";

/** Conditions that mean "there is no such session any more". */
const GONE = new Set([
  "gone",
  "item-not-found",
  "recipient-unavailable",
  "redirect",
  "remote-server-not-found",
  "remote-server-timeout",
  "service-unavailable",
  "jid-malformed",
]);

export function isSessionGone(error: Element): boolean {
  const { type, condition } = errorCondition(error);
  if (type === "wait") return false;
  return condition === undefined || GONE.has(condition);
}

/** A message or presence of type error from `error.attrs.from`, a session in the room. */
export function bounce(room: Room, error: Element): [Room | undefined, Element[]] {
  if (!isSessionGone(error)) return [room, []];
  // Prosody 13: the others learn why, from the error itself.
  const { condition } = errorCondition(error);
  const text = error.getChild("error")?.getChildText("text", NS.stanzas);
  const statusText = `Removed from the room: ${text || condition || "an error"}`;
  return removeSession(room, error.attrs.from as string, { codes: [333], tellSession: false, statusText });
}
