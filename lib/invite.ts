// XEP-0045 §7.8.2 Mediated Invitation: an occupant asks the room to invite
// someone; the room sends the invitee a message from the room, naming the
// inviter by real bare JID (as the XEP's example and Prosody do), with the
// password if there is one and a XEP-0249-style jabber:x:conference element.
// §7.8.2 also lets the invitee decline through the room.
import { bareJid, canonicalJid, formatJid, parseJid } from "./jid.ts";
import { nickKey } from "./nick.ts";
import { invitationShowsInviterJid } from "./permissions.ts";
import { inviteRefusal } from "./room-features.ts";
import type { Context } from "./context.ts";
import { bareOf, occupantBySession, occupantJid, type Room } from "./room.ts";
import { errorReply, NS, xml, type Element } from "./stanza.ts";

export function isInvitation(message: Element): boolean {
  const x = message.getChild("x", NS.mucUser);
  return x !== undefined && (x.getChild("invite") !== undefined || x.getChild("decline") !== undefined);
}

export function invite(room: Room, message: Element, ctx: Context): Element[] {
  const x = message.getChild("x", NS.mucUser)!;
  const decline = x.getChild("decline");
  if (decline) return declineInvitation(room, message, decline);

  const sender = occupantBySession(room, message.attrs.from as string);
  if (!sender) return errorReply(message, "not-acceptable", "Only occupants may invite", { by: room.jid });
  const refusal = inviteRefusal(room, sender);
  if (refusal) return errorReply(message, refusal.condition, refusal.text, { by: room.jid });
  // §7.8.2: the invitee learns who invites them by real JID (the XEP's example; an invitation from an
  // occupant JID reads as "the room invites you" in poezio and profanity). MUC_INVITE_FROM=occupant
  // keeps the inviter's real JID from outsiders in semi-anonymous rooms, as Prosody 0.12 does.
  const inviterJid = invitationShowsInviterJid(room, ctx) ? (message.attrs.from as string) : occupantJid(room, sender.nick);
  const out: Element[] = [];
  for (const item of x.getChildren("invite")) {
    const invitee = canonicalJid(item.attrs.to as string | undefined);
    if (!invitee) return errorReply(message, "jid-malformed", item.attrs.to ? "The invitee is not a valid address" : "An invitation needs a 'to'", { by: room.jid });
    const reason = item.getChildText("reason") ?? "";
    out.push(
      xml(
        "message",
        { from: room.jid, to: invitee, ...(message.attrs.id ? { id: message.attrs.id } : {}) },
        xml(
          "x",
          { xmlns: NS.mucUser },
          xml("invite", { from: inviterJid }, xml("reason", {}, reason)),
          ...(room.config.password ? [xml("password", {}, room.config.password)] : []),
        ),
        xml("body", {}, `${inviterJid} invited you to the room ${room.jid}${reason ? ` (${reason})` : ""}`),
        xml("x", { xmlns: "jabber:x:conference", jid: room.jid, ...(reason ? { reason } : {}) }),
      ),
    );
  }
  return out;
}

/** The invitee declines: the room passes it on to the inviter's real JID (the one given in `to`). */
function declineInvitation(room: Room, message: Element, decline: Element): Element[] {
  if (!decline.attrs.to) return errorReply(message, "bad-request", "A decline needs a 'to'", { by: room.jid });
  const inviter = parseJid(decline.attrs.to as string);
  if (!inviter) return errorReply(message, "jid-malformed", "The inviter is not a valid address", { by: room.jid });
  const reason = decline.getChildText("reason");
  // The invitation named the inviter by occupant JID in a semi-anonymous room: deliver to its sessions.
  const key = inviter.resource !== undefined && bareJid(inviter) === room.jid ? nickKey(inviter.resource) : undefined;
  const recipients = inviter.resource === undefined || key === undefined ? [formatJid(inviter)] : (room.occupants.get(key)?.sessions.map((s) => s.jid) ?? []);
  return recipients.map((to) =>
    xml(
      "message",
      { from: room.jid, to },
      xml("x", { xmlns: NS.mucUser }, xml("decline", { from: bareOf(message.attrs.from as string) }, ...(reason ? [xml("reason", {}, reason)] : []))),
    ),
  );
}
