// What the room archives (XEP-0313 in a MUC, following Prosody's mod_muc_mam),
// and how an archived message is marked with its id (XEP-0359): a groupchat
// message worth keeping gets <stanza-id by='room@service' id=…/> in every copy
// the room sends, the same id names it in MAM results, in join history and for
// moderation. The id is this input's nonce: unique across restarts, made by the shell.
import { NS, xml, type Element } from "./stanza.ts";

const CLIENT_NAMESPACES = new Set([undefined, "jabber:client", "jabber:component:accept"]);

/**
 * Whether a groupchat message the room broadcasts is kept (in its history and
 * its archive). XEP-0334 hints win: <no-store/> or <no-permanent-store/> keep a
 * message out, <store/> keeps one in. Otherwise, as Prosody: a non-empty body,
 * an encrypted payload (XEP-0380 EME, OMEMO) or a chat marker (XEP-0333);
 * never a chat state alone, never a subject change.
 */
export function shouldStore(message: Element): boolean {
  if (message.name !== "message" || message.attrs.type !== "groupchat") return false;
  // One pass over the children: the hints decide (no-store and no-permanent-store before store), else the content.
  let store = false;
  let content = false;
  for (const child of message.children) {
    if (typeof child === "string") continue;
    const xmlns = child.attrs.xmlns;
    if (xmlns === NS.hints) {
      if (child.name === "no-store" || child.name === "no-permanent-store") return false;
      if (child.name === "store") store = true;
    }
    if (!content)
      content =
        (child.name === "body" && CLIENT_NAMESPACES.has(xmlns) && child.getText() !== "") ||
        (child.name === "encryption" && xmlns === "urn:xmpp:eme:0") ||
        xmlns === "eu.siacs.conversations.axolotl" ||
        xmlns === "urn:xmpp:chat-markers:0";
  }
  return store || content;
}

export function stanzaIdElement(roomJid: string, id: string): Element {
  return xml("stanza-id", { xmlns: NS.stanzaId, by: roomJid, id });
}

/** A stanza-id the room itself set (a client must not forge one, XEP-0359 §3). */
export function isRoomStanzaId(child: Element | string, roomJid: string): boolean {
  return typeof child !== "string" && child.name === "stanza-id" && child.attrs.xmlns === NS.stanzaId && child.attrs.by === roomJid;
}
