// XEP-0421 Anonymous unique occupant identifiers (urn:xmpp:occupant-id:0): one
// id per (room, real bare JID), the same across rejoins, nick changes and
// restarts, that reveals nothing of the JID: an HMAC of the bare JID under a
// secret salt the room makes when it is created and keeps with its record.
// Every presence and message the room sends from an occupant carries it; one a
// client put there itself is removed first, so nobody can impersonate another.
import type { Context } from "./context.ts";
import { NS, xml, type Element } from "./stanza.ts";

/** A new room's salt: derived from the service's secret and this input's unique nonce. */
export function newSalt(roomJid: string, ctx: Context): string {
  return new Bun.CryptoHasher("sha256", ctx.config.forwardKey || "muc").update(`occupant-id salt\0${roomJid}\0${ctx.nonce}`).digest("base64url");
}

/** The occupant id of `bareJid` in a room with this salt. */
export function occupantIdOf(salt: string, bareJid: string): string {
  return new Bun.CryptoHasher("sha256", salt || "muc").update(bareJid).digest("base64url").slice(0, 27);
}

export function occupantIdElement(id: string): Element {
  return xml("occupant-id", { xmlns: NS.occupantId, id });
}

/** Whether a child element is an occupant-id (which only the room may add). */
export function isOccupantIdElement(child: Element | string): boolean {
  return typeof child !== "string" && child.name === "occupant-id" && child.attrs.xmlns === NS.occupantId;
}
