// IQs addressed to an occupant JID (XEP-0045 §7.3 "occupant JIDs hide real
// JIDs"; Prosody's behaviour): the room forwards a request from one occupant
// to the other's session, from the sender's occupant JID, and routes the
// answer back. What is needed to route the answer travels in the forwarded
// id, so no table of pending requests is kept: the session it went to, the
// original id, and a hash of the sender's real JID (never the JID itself,
// which would reveal it in semi-anonymous rooms). The answer is accepted only
// from the session it was sent to, for a sender still in the room.
// vCard requests go to the occupant's bare JID, where the vCard lives.
// XEP-0410 MUC Self-Ping: a ping to one's own occupant JID is answered here.
import { occupantIqRefusal } from "./permissions.ts";
import { bareOf, occupantBySession, occupantJid, primarySession, type Occupant, type Room } from "./room.ts";
import { clone, errorReply, iqResult, type Element } from "./stanza.ts";

const SEP = "\u0000";
const PREFIX = "muc-fwd-";

function base64url(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unbase64url(b64: string): string | undefined {
  try {
    const plain = b64.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(plain + "=".repeat((4 - (plain.length % 4)) % 4));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

/**
 * A keyed one-way digest of a real JID: enough to recognise the sender, not to
 * learn it, nor to confirm a guess of it (the key is the service's, per boot).
 */
function senderHash(jid: string, key: string): string {
  return new Bun.CryptoHasher("sha256", key || "muc").update(jid).digest("base64url").slice(0, 22);
}

function encodeId(target: string, id: string, sender: string, key: string): string {
  return PREFIX + base64url([target, id, senderHash(sender, key)].join(SEP));
}

function decodeId(id: string | undefined): { target: string; id: string; sender: string } | undefined {
  if (!id?.startsWith(PREFIX)) return undefined;
  const parts = unbase64url(id.slice(PREFIX.length))?.split(SEP);
  if (parts?.length !== 3) return undefined;
  return { target: parts[0]!, id: parts[1]!, sender: parts[2]! };
}

/** An IQ get/set from a session to `target`'s occupant JID. */
export function forwardRequest(room: Room, sender: Occupant | undefined, target: Occupant | undefined, iq: Element, key: string): Element[] {
  const isPing = iq.getChild("ping", "urn:xmpp:ping") !== undefined;
  const refused = occupantIqRefusal(sender, isPing);
  if (refused || !sender) return errorReply(iq, refused!.condition, refused!.text, isPing ? { type: "cancel" } : {});
  if (isPing && target === sender) return [iqResult(iq)]; // XEP-0410 §3.2: answered by the room
  if (!target) return errorReply(iq, "item-not-found", "No occupant with that nickname");
  const realTarget = iq.getChild("vCard", "vcard-temp") && iq.attrs.type === "get" ? target.bareJid : primarySession(target).jid;
  const copy = clone(iq);
  copy.attrs = { ...copy.attrs, from: occupantJid(room, sender.nick), to: realTarget, id: encodeId(realTarget, iq.attrs.id ?? "", iq.attrs.from, key) };
  return [copy];
}

/**
 * A result or error from `from` answering a forwarded request, addressed to
 * `requester`'s occupant JID; `answerer` is the occupant `from` belongs to.
 */
export function forwardResponse(room: Room, requester: Occupant | undefined, iq: Element, answerer: Occupant | undefined, key: string): Element[] {
  const decoded = decodeId(iq.attrs.id);
  if (!decoded || !requester || !answerer) return [];
  if (iq.attrs.from !== decoded.target) return []; // only the session (or account) it was sent to may answer
  const session = requester.sessions.find((s) => senderHash(s.jid, key) === decoded.sender);
  if (!session) return [];
  const copy = clone(iq);
  copy.attrs = { ...copy.attrs, from: occupantJid(room, answerer.nick), to: session.jid, id: decoded.id };
  return [copy];
}

/** The occupant an answer comes from: one of its sessions, or its account (vCards). */
export function answeringOccupant(room: Room, from: string): Occupant | undefined {
  const bySession = occupantBySession(room, from);
  if (bySession) return bySession;
  for (const occupant of room.occupants.values()) if (occupant.bareJid === bareOf(from) && !from.includes("/")) return occupant;
  return undefined;
}
