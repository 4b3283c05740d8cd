// Room avatars: the room's vcard-temp (XEP-0054) on its bare JID, set by its
// owners, read by anyone; the SHA-1 of its photo in the room's disco#info
// (muc#roominfo_avatarhash, what Conversations and Gajim read) and in a
// presence from the room's bare JID with vcard-temp:x:update (XEP-0153, what
// Dino reads), sent to each joiner and to everyone when it changes, with a
// status 104 notice as for any change of the room's configuration.
import type { Context } from "./context.ts";
import { isOwner } from "./permissions.ts";
import { bareOf, type Room } from "./room.ts";
import { errorReply, iqResult, NS, parseXml, xml, type Element } from "./stanza.ts";

/** SHA-1 (hex) of the vCard's PHOTO, or "" when it has none. */
export function photoHash(vcard: Element): string | undefined {
  const binval = vcard.getChild("PHOTO")?.getChildText("BINVAL");
  if (!binval) return "";
  try {
    const bytes = Uint8Array.from(atob(binval.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
    return new Bun.CryptoHasher("sha1").update(bytes).digest("hex");
  } catch {
    return undefined; // not base64
  }
}

/** The presence from the room's bare JID that carries its avatar hash. */
export function avatarPresence(room: Room, to: string): Element {
  return xml("presence", { from: room.jid, to }, xml("x", { xmlns: NS.vcardUpdate }, xml("photo", {}, room.avatarHash ?? "")));
}

/** An IQ get or set of the room's vCard. */
export function avatarQuery(room: Room, iq: Element, ctx: Context): [Room, Element[]] {
  if (iq.attrs.type === "get") {
    const vcard = room.vcard ? parseXml(room.vcard) : xml("vCard", { xmlns: NS.vcard });
    return [room, [iqResult(iq, vcard)]];
  }
  if (!isOwner(room, bareOf(iq.attrs.from as string), ctx)) return [room, errorReply(iq, "forbidden", "Only owners may set the room's avatar")];
  const vcard = iq.getChild("vCard", NS.vcard)!;
  const text = vcard.toString();
  if (text.length > ctx.config.maxVcardChars) return [room, errorReply(iq, "not-acceptable", `A room's vCard is limited to ${ctx.config.maxVcardChars} characters`)];
  const hash = photoHash(vcard);
  if (hash === undefined) return [room, errorReply(iq, "bad-request", "The PHOTO's BINVAL is not base64")];
  const empty = vcard.getChildElements().length === 0;
  const next: Room = { ...room, vcard: empty ? undefined : text, avatarHash: hash || undefined };
  const out: Element[] = [iqResult(iq)];
  if ((next.avatarHash ?? "") !== (room.avatarHash ?? ""))
    for (const occupant of next.occupants.values())
      for (const session of occupant.sessions)
        out.push(
          avatarPresence(next, session.jid),
          xml("message", { type: "groupchat", from: next.jid, to: session.jid }, xml("x", { xmlns: NS.mucUser }, xml("status", { code: "104" }))),
        );
  return [next, out];
}
