// XEP-0045 §7.5 Sending a Private Message: from one occupant to another's
// occupant JID, delivered to every session of the recipient, from the
// sender's occupant JID, marked with an empty muc#user <x/>.
import { occupantJid, type Occupant, type Room } from "./room.ts";
import { nickKey } from "./nick.ts";
import { privateMessageRefusal } from "./room-features.ts";
import { isOccupantIdElement, occupantIdElement } from "./occupant-id.ts";
import { clone, errorReply, NS, xml, type Element } from "./stanza.ts";

export function privateMessage(room: Room, sender: Occupant, message: Element, toNick: string): Element[] {
  if (message.attrs.type === "groupchat")
    return errorReply(message, "bad-request", "Groupchat messages go to the room, not to an occupant");
  const key = nickKey(toNick);
  const recipient = key === undefined ? undefined : room.occupants.get(key);
  if (!recipient) return errorReply(message, "item-not-found", "No occupant with that nickname");
  const refusal = privateMessageRefusal(room, sender, recipient);
  if (refusal) return errorReply(message, refusal.condition, refusal.text, { by: room.jid });

  const out: Element[] = [];
  for (const session of recipient.sessions) {
    const copy = clone(message);
    copy.attrs = { ...copy.attrs, from: occupantJid(room, sender.nick), to: session.jid };
    copy.children = copy.children.filter((child) => !isOccupantIdElement(child));
    if (!copy.getChild("x", NS.mucUser)) copy.append(xml("x", { xmlns: NS.mucUser }));
    copy.append(occupantIdElement(sender.occupantId));
    out.push(copy);
  }
  return out;
}
