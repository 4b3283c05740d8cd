// XEP-0045 §7.4 Sending a Message to All Occupants: the room reflects a
// groupchat message to every session of every occupant (the sender's too),
// from the sender's occupant JID, keeping its id (muc#stable_id) and payload.
import { addToHistory, shouldStore } from "./history.ts";
import type { Context } from "./context.ts";
import { occupantJid, type Occupant, type Room } from "./room.ts";
import { changeSubject, isSubjectChange } from "./subject.ts";
import { clone, errorReply, NS, type Element } from "./stanza.ts";

/** The message as the room sends it on: from the occupant JID, minus anything only the room may add. */
export function reflection(room: Room, sender: Occupant, message: Element): Element {
  const copy = clone(message);
  copy.attrs = { ...copy.attrs, from: occupantJid(room, sender.nick), type: "groupchat" };
  delete copy.attrs.to;
  // A client must not forge the room's own stanza-id (XEP-0359 §3) or the room's delay stamps.
  copy.children = copy.children.filter(
    (child) => typeof child === "string" || !(child.name === "stanza-id" && child.attrs.xmlns === NS.stanzaId && child.attrs.by === room.jid),
  );
  return copy;
}

/** A groupchat message from `sender` (an occupant) to the room. */
export function groupchat(room: Room, sender: Occupant, message: Element, ctx: Context): [Room, Element[]] {
  if (sender.role === "visitor" || sender.role === "none")
    return [room, errorReply(message, "forbidden", "You do not have voice in this room", { by: room.jid })];
  if (isSubjectChange(message)) return changeSubject(room, sender, message);

  const base = reflection(room, sender, message);
  const out: Element[] = [];
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions) {
      const copy = clone(base);
      copy.attrs.to = session.jid;
      out.push(copy);
    }
  const next = shouldStore(base) ? { ...room, history: addToHistory(room.history, base, ctx.now, room.config.historyLength) } : room;
  return [next, out];
}
