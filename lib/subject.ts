// XEP-0045 §8.1 Modifying the Room Subject, and the subject every joiner
// receives last (§7.2.15): an empty <subject/> when none is set, because
// clients take the subject as the end of the join.
import type { Context } from "./context.ts";
import { isOccupantIdElement, occupantIdElement, occupantIdOf } from "./occupant-id.ts";
import { mayModifySubject } from "./permissions.ts";
import { occupantJid, type Occupant, type Room } from "./room.ts";
import { clone, errorReply, xml, type Element } from "./stanza.ts";

/** The subject message for one session. */
export function subjectMessage(room: Room, to: string): Element {
  const setter = room.subject?.by && room.subject.from !== room.jid ? [occupantIdElement(occupantIdOf(room.salt, room.subject.by))] : [];
  return xml(
    "message",
    { type: "groupchat", from: room.subject?.from ?? room.jid, to },
    xml("subject", {}, room.subject?.text ?? ""),
    ...setter,
  );
}

/** A groupchat message that changes the subject: a <subject/> and no <body/>. */
export function isSubjectChange(message: Element): boolean {
  return message.getChild("subject") !== undefined && message.getChild("body") === undefined;
}

/** The occupant `sender` sets the subject: everyone receives it, or the sender gets forbidden. */
export function changeSubject(room: Room, sender: Occupant, message: Element, ctx: Context): [Room, Element[]] {
  if (!mayModifySubject(room, sender)) return [room, errorReply(message, "forbidden", "You are not allowed to change the subject")];
  const text = message.getChildText("subject") ?? "";
  const next: Room = { ...room, subject: text ? { text, from: occupantJid(room, sender.nick), by: sender.bareJid, at: ctx.now } : undefined };
  const out: Element[] = [];
  for (const occupant of next.occupants.values())
    for (const session of occupant.sessions) {
      const copy = clone(message);
      copy.attrs = { ...copy.attrs, from: occupantJid(next, sender.nick), to: session.jid, type: "groupchat" };
      copy.children = copy.children.filter((child) => !isOccupantIdElement(child));
      copy.append(occupantIdElement(sender.occupantId));
      out.push(copy);
    }
  return [next, out];
}
