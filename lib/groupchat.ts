// XEP-0045 §7.4 Sending a Message to All Occupants: the room reflects a
// groupchat message to every session of every occupant (the sender's too),
// from the sender's occupant JID, keeping its id (muc#stable_id) and payload,
// with the sender's occupant-id (XEP-0421) and, when the room archives it, the
// room's stanza-id (XEP-0359). The archive write leaves next to the copies, so
// the shell commits it before any copy is sent.
import { isRoomStanzaId, shouldStore, stanzaIdElement } from "./archive.ts";
import { addToHistory } from "./history.ts";
import type { Context } from "./context.ts";
import { nickKey } from "./nick.ts";
import { isOccupantIdElement, occupantIdElement } from "./occupant-id.ts";
import { maySendToAll } from "./permissions.ts";
import { occupantJid, type Occupant, type Room } from "./room.ts";
import type { Write } from "./storage.ts";
import { changeSubject, isSubjectChange } from "./subject.ts";
import { serialiseShared } from "./serialise.ts";
import { clone, errorReply, readdressed, type Element } from "./stanza.ts";

/** The message as the room sends it on: from the occupant JID, minus anything only the room may add, plus what the room adds. */
export function reflection(room: Room, sender: Occupant, message: Element, stanzaId?: string): Element {
  const copy = clone(message);
  // Without `to` by building the attributes anew (a delete would slow down every copy's attributes).
  const { to: _to, ...attrs } = copy.attrs;
  copy.attrs = { ...attrs, from: occupantJid(room, sender.nick), type: "groupchat" };
  // A client must not forge the room's own stanza-id (XEP-0359 §3), nor an occupant-id (XEP-0421 §4).
  copy.children = copy.children.filter((child) => !isRoomStanzaId(child, room.jid) && !isOccupantIdElement(child));
  copy.append(occupantIdElement(sender.occupantId));
  if (stanzaId) copy.append(stanzaIdElement(room.jid, stanzaId));
  return copy;
}

/** A groupchat message from `sender` (an occupant) to the room. */
export function groupchat(room: Room, sender: Occupant, message: Element, ctx: Context): [Room, Element[], Write[]] {
  if (!maySendToAll(sender))
    return [room, errorReply(message, "forbidden", "You do not have voice in this room", { by: room.jid }), []];
  if (isSubjectChange(message)) return [...changeSubject(room, sender, message, ctx), []];

  const kept = shouldStore(message);
  const archived = kept && room.config.archiving;
  const id = archived ? ctx.nonce : undefined;
  const base = reflection(room, sender, message, id);
  // Every copy shares the reflection's children (never changed once built): only the address differs.
  const out: Element[] = [];
  for (const occupant of room.occupants.values()) for (const session of occupant.sessions) out.push(readdressed(base, session.jid));
  const text = kept ? serialiseShared(base) : "";
  const next = kept ? { ...room, history: addToHistory(room.history, base, ctx.now, room.config.historyLength, id, text) } : room;
  // The archive keeps the sender's nick key: the one the room holds it under (sessions), not normalised again.
  const writes: Write[] = archived
    ? [
        {
          op: "archive",
          room: room.jid,
          message: { id: id!, at: ctx.now, stanza: text, nick: room.sessions.get(message.attrs.from as string) ?? nickKey(sender.nick) ?? sender.nick, occupantId: sender.occupantId, sender: sender.bareJid, retracted: false },
          cap: ctx.config.archiveMaxMessages,
        },
      ]
    : [];
  return [next, out, writes];
}
