// Several processes for one domain (README, "Running several processes"). ejabberd's
// domain_balancing sends every stanza for one room to the same process, so each process
// owns the rooms whose stanzas it gets, with storage shared by all of them as the truth.
// What that asks of the core, all here:
// - Coming back after the connection was down, the process may now be given other rooms:
//   it forgets every room in memory (all are stored: lib/storage.ts roomWrites) and reads
//   each again, with its occupants, when a stanza next addresses it (verify.ts then checks
//   those occupants' sessions, so a process that takes over loses nobody).
// - A service-wide command (admin-commands.ts) never edits a room another process may hold:
//   it sends the room a request from the service's own domain, which the server routes to
//   the owner. These two requests are the only stanzas from our own domain the core acts on;
//   everything else from it is dropped (jid.ts addressing), never answered.
import type { Context } from "./context.ts";
import { canonicalBare, canonicalJid } from "./jid.ts";
import { announcement } from "./admin-commands.ts";
import { destroyRoom } from "./room-config.ts";
import type { Room } from "./room.ts";
import { iqPayload, iqResult, NS, xml, type Element } from "./stanza.ts";

/** A request from the service (another process of it) to one of its rooms. */
export interface ServiceRequest {
  room: string;
  /** What the room does: its next state (undefined: it is gone) and what it sends. */
  apply(room: Room): [Room | undefined, Element[]];
}

/** Destroy `jid` wherever it is held (§10.9), as the admin command asked. */
export function destroyRequest(jid: string, reason: string | undefined, ctx: Context): Element {
  const destroy = xml("destroy", {}, ...(reason ? [xml("reason", {}, reason)] : []));
  return xml("iq", { type: "set", from: ctx.config.domain, to: jid, id: `${ctx.nonce}-destroy` }, xml("query", { xmlns: NS.mucOwner }, destroy));
}

/** Send the announcement into `jid` wherever it is held. */
export function announceRequest(jid: string, body: string, ctx: Context): Element {
  return xml("message", { from: ctx.config.domain, to: jid, id: `${ctx.nonce}-announce` }, xml("body", {}, body));
}

/** The request `stanza` carries, if it is one from the service's own domain (bare) to a room (bare). */
export function serviceRequest(stanza: Element, ctx: Context): ServiceRequest | undefined {
  const { domain } = ctx.config;
  if (!ctx.config.cluster || canonicalJid(stanza.attrs.from) !== domain) return undefined;
  const room = canonicalBare(stanza.attrs.to);
  if (!room || room !== canonicalJid(stanza.attrs.to) || !room.endsWith(`@${domain}`)) return undefined;
  if (stanza.name === "iq" && stanza.attrs.type === "set") {
    const destroy = iqPayload(stanza)?.is("query", NS.mucOwner) ? iqPayload(stanza)!.getChild("destroy") : undefined;
    if (!destroy) return undefined;
    return { room, apply: (r) => [undefined, [...destroyRoom(r, destroy), iqResult(stanza)]] };
  }
  const body = stanza.name === "message" && stanza.attrs.type !== "error" ? stanza.getChildText("body") : null;
  if (body) return { room, apply: (r) => [r, announcement(r, body, ctx)] };
  return undefined;
}
