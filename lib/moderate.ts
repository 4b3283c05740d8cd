// XEP-0425 Moderated Message Retraction (urn:xmpp:message-moderate:1, and the
// older :0 through XEP-0422 <apply-to/>): a moderator retracts a message by its
// stanza-id. The room looks the id up in its archive (a read), tells everyone
// with a <retract/> from the room's bare JID naming the moderator and their
// occupant-id, replaces the archived content with a tombstone, and archives the
// notice itself so that clients catching up through MAM learn of it too.
import type { Context } from "./context.ts";
import { stanzaIdElement } from "./archive.ts";
import { addToHistory, stamp } from "./history.ts";
import { occupantIdElement } from "./occupant-id.ts";
import { mayRetractMessages } from "./permissions.ts";
import { occupantBySession, occupantJid, type Occupant, type Room } from "./room.ts";
import type { ArchivedMessage, Read, Write } from "./storage.ts";
import { errorReply, iqResult, NS, parseXml, xml, type Element } from "./stanza.ts";

type Request = { id: string; reason?: string; legacy: boolean };

/** The message id and reason an IQ set names, in either version of the protocol. */
function parseRequest(iq: Element): Request | undefined {
  const moderate = iq.getChild("moderate", NS.moderate);
  if (moderate) {
    if (!moderate.attrs.id || !moderate.getChild("retract", NS.retract)) return undefined;
    return { id: moderate.attrs.id, reason: moderate.getChildText("reason") ?? undefined, legacy: false };
  }
  const applyTo = iq.getChild("apply-to", NS.fasten);
  const legacy = applyTo?.getChild("moderate", NS.moderate0);
  if (!applyTo?.attrs.id || !legacy?.getChild("retract", NS.retract0)) return undefined;
  return { id: applyTo.attrs.id, reason: legacy.getChildText("reason") ?? undefined, legacy: true };
}

const refuse = (iq: Element) => errorReply(iq, "forbidden", "Only moderators may retract messages");

/** The IQ set from a (would-be) moderator: checked, then the message is looked up. */
export function moderateRequest(room: Room, sender: Occupant | undefined, iq: Element): [Element[], Read[]] {
  if (!mayRetractMessages(sender)) return [refuse(iq), []];
  const request = parseRequest(iq);
  if (!request) return [errorReply(iq, "bad-request", "Name the message (its stanza-id) and ask for a retraction"), []];
  return [[], [{ op: "archive-lookup", room: room.jid, id: request.id, stanza: iq }]];
}

/** The archived message has been looked up: retract it (checking again that the asker still moderates). */
export function moderateRead(room: Room | undefined, read: Extract<Read, { op: "archive-lookup" }>, found: ArchivedMessage | null, ctx: Context): [Room | undefined, Element[], Write[]] {
  const iq = read.stanza;
  if (!room) return [room, errorReply(iq, "item-not-found", "No such room"), []];
  const moderator = occupantBySession(room, iq.attrs.from as string);
  if (!moderator || !mayRetractMessages(moderator)) return [room, refuse(iq), []];
  const request = parseRequest(iq)!;
  if (!found) return [room, errorReply(iq, "item-not-found", "No message in this room's archive has that id"), []];
  if (found.retracted) return [room, [iqResult(iq)], []];

  const by = occupantJid(room, moderator.nick);
  const reason = request.reason ? [xml("reason", {}, request.reason)] : [];
  const moderated = () => xml("moderated", { xmlns: NS.moderate, by }, occupantIdElement(moderator.occupantId));
  const notice = xml(
    "message",
    { type: "groupchat", from: room.jid, id: ctx.nonce },
    xml("retract", { xmlns: NS.retract, id: found.id }, moderated(), ...reason),
    // For clients of XEP-0425 0.2 (urn:xmpp:message-moderate:0).
    xml("apply-to", { xmlns: NS.fasten, id: found.id }, xml("moderated", { xmlns: NS.moderate0, by }, xml("retract", { xmlns: NS.retract0 }), ...reason.map((r) => xml("reason", {}, r.getText())))),
    xml("store", { xmlns: NS.hints }),
    stanzaIdElement(room.jid, ctx.nonce),
  );
  const out: Element[] = [];
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions) {
      const copy = xml(notice.name, { ...notice.attrs, to: session.jid });
      copy.children = notice.children; // shared, never mutated
      out.push(copy);
    }
  out.push(iqResult(iq));

  // §5 tombstone: the original's envelope and ids stay, its content goes.
  const original = parseXml(found.stanza);
  const tombstone = xml("message", { ...original.attrs });
  tombstone.append(xml("retracted", { xmlns: NS.retract, stamp: stamp(ctx.now) }, moderated(), ...reason));
  for (const child of original.getChildElements())
    if ((child.name === "occupant-id" && child.attrs.xmlns === NS.occupantId) || (child.name === "stanza-id" && child.attrs.xmlns === NS.stanzaId)) tombstone.append(child);

  // History follows the archive: the retracted message goes, the notice comes.
  const history = addToHistory(room.history.filter((entry) => entry.id !== found.id), notice, ctx.now, room.config.historyLength, ctx.nonce);
  const next: Room = { ...room, history };
  const writes: Write[] = [
    { op: "retract", room: room.jid, id: found.id, tombstone: tombstone.toString() },
    {
      op: "archive",
      room: room.jid,
      message: { id: ctx.nonce, at: ctx.now, stanza: notice.toString(), nick: "", occupantId: "", sender: "", retracted: false },
      cap: ctx.config.archiveMaxMessages,
    },
  ];
  return [next, out, writes];
}
