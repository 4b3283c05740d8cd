// IQs addressed to an occupant JID (XEP-0045 §7.3 "occupant JIDs hide real
// JIDs"; Prosody's behaviour): the room forwards a request from one occupant
// to the other's session, from the sender's occupant JID, and routes the
// answer back. The original sender and id travel inside the forwarded id,
// so no table of pending requests is needed; the answer is accepted only
// from the occupant it was sent to, for a sender that is still in the room.
// vCard requests go to the occupant's bare JID, where the vCard lives.
// XEP-0410 MUC Self-Ping: a ping to one's own occupant JID is answered here.
import { occupantBySession, occupantJid, primarySession, type Occupant, type Room } from "./room.ts";
import { clone, errorReply, iqResult, type Element } from "./stanza.ts";

const SEP = "\u0000";

function encodeId(senderJid: string, id: string): string {
  const bytes = new TextEncoder().encode(senderJid + SEP + id);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return "muc-fwd-" + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeId(id: string | undefined): [string, string] | undefined {
  if (!id?.startsWith("muc-fwd-")) return undefined;
  try {
    const b64 = id.slice(8).replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const at = text.indexOf(SEP);
    return at === -1 ? undefined : [text.slice(0, at), text.slice(at + 1)];
  } catch {
    return undefined;
  }
}

/** An IQ get/set from a session to `target`'s occupant JID. */
export function forwardRequest(room: Room, sender: Occupant | undefined, target: Occupant | undefined, iq: Element): Element[] {
  if (!sender) return errorReply(iq, "not-acceptable", "Only occupants may send to occupants");
  const isPing = iq.getChild("ping", "urn:xmpp:ping") !== undefined;
  if (isPing && target === sender) return [iqResult(iq)]; // XEP-0410 §3.2: answered by the room
  if (!target) return errorReply(iq, "item-not-found", "No occupant with that nickname");
  const realTarget = iq.getChild("vCard", "vcard-temp") && iq.attrs.type === "get" ? target.bareJid : primarySession(target).jid;
  const copy = clone(iq);
  copy.attrs = { ...copy.attrs, from: occupantJid(room, sender.nick), to: realTarget, id: encodeId(iq.attrs.from, iq.attrs.id ?? "") };
  return [copy];
}

/** A result or error from an occupant's client (or its server) answering a forwarded request. */
export function forwardResponse(room: Room, answered: Occupant | undefined, iq: Element, answerer: Occupant | undefined): Element[] {
  const decoded = decodeId(iq.attrs.id);
  if (!decoded || !answered || !answerer) return [];
  const [senderJid, id] = decoded;
  // Only back to a session of the occupant the request came from.
  if (occupantBySession(room, senderJid) !== answered) return [];
  const copy = clone(iq);
  copy.attrs = { ...copy.attrs, from: occupantJid(room, answerer.nick), to: senderJid, id };
  return [copy];
}

/** The occupant an answer comes from: one of its sessions, or its account (vCards). */
export function answeringOccupant(room: Room, from: string): Occupant | undefined {
  const bySession = occupantBySession(room, from);
  if (bySession) return bySession;
  for (const occupant of room.occupants.values()) if (occupant.bareJid === from.toLowerCase()) return occupant;
  return undefined;
}
