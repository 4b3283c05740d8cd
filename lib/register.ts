// XEP-0045 §7.10 Registering with a Room, §7.12 discovering one's reserved nick, and §9.3's
// reserved nicks: a member (or admin, owner) registers a nick with the muc#register form; it is
// then theirs alone in this room (conflict for anyone else), kept with their affiliation and
// stored with the room. <remove/> cancels the registration, and with it the membership (in a
// members-only room the occupant leaves, 321). As Prosody, someone with no affiliation may
// register only where the service allows it (MUC_OPEN_REGISTRATION), becoming a member.
import { applyAffiliation, reservedBy, reservedNick } from "./affiliations.ts";
import type { Context } from "./context.ts";
import { normalizeNick } from "./nick.ts";
import { broadcastPresence } from "./presence.ts";
import { registrationRefusal } from "./permissions.ts";
import { formField } from "./room-feature.ts";
import { atLeastAffiliation } from "./roles.ts";
import { affiliationOf, bareOf, occupantByBareJid, type Room } from "./room.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

const FORM_TYPE = "http://jabber.org/protocol/muc#register";

/** §7.10 Example 69: the form; with <registered/> and the nick when the account has one. */
function registrationForm(room: Room, bareJid: string): Element {
  const nick = reservedNick(room, bareJid);
  const field = formField("muc#register_roomnick", "text-single", "Nickname", nick !== undefined ? [nick] : []);
  field.append(xml("required"));
  return xml(
    "query",
    { xmlns: NS.register },
    ...(nick !== undefined ? [xml("registered"), xml("username", {}, nick)] : []),
    xml("x", { xmlns: NS.data, type: "form" }, xml("field", { type: "hidden", var: "FORM_TYPE" }, xml("value", {}, FORM_TYPE)), field),
  );
}

/** May this account register here? */
function refusal(room: Room, bareJid: string, iq: Element, ctx: Context): Element[] | undefined {
  const refused = registrationRefusal(room, affiliationOf(room, bareJid), ctx);
  return refused && errorReply(iq, refused.condition, refused.text);
}

/** An IQ to the room in jabber:iq:register. */
export function registerQuery(room: Room, iq: Element, ctx: Context): [Room | undefined, Element[]] {
  const bareJid = bareOf(iq.attrs.from as string);
  const refused = refusal(room, bareJid, iq, ctx);
  if (refused) return [room, refused];
  if (iq.attrs.type === "get") return [room, [iqResult(iq, registrationForm(room, bareJid))]];
  const query = iq.getChild("query", NS.register)!;
  if (query.getChild("remove")) return unregister(room, bareJid, iq);

  const form = query.getChild("x", NS.data);
  const fields = new Map((form?.getChildren("field") ?? []).map((f) => [f.attrs.var as string, f.getChildText("value") ?? ""]));
  if (!form || form.attrs.type !== "submit" || fields.get("FORM_TYPE") !== FORM_TYPE) return [room, errorReply(iq, "bad-request", "Submit the muc#register form")];
  const parsed = normalizeNick(fields.get("muc#register_roomnick") ?? "", ctx.config.maxNickLength);
  if (!parsed.ok) return [room, errorReply(iq, parsed.condition === "jid-malformed" ? "not-acceptable" : parsed.condition, parsed.text)];
  const holder = reservedBy(room, parsed.key);
  const present = room.occupants.get(parsed.key);
  if ((holder !== undefined && holder !== bareJid) || (present && present.bareJid !== bareJid))
    return [room, errorReply(iq, "conflict", "That nickname is already reserved or in use")];

  const affiliation = affiliationOf(room, bareJid);
  if (!atLeastAffiliation(affiliation, "member")) {
    const [next, out] = applyAffiliation(room, bareJid, "member", { nick: parsed.nick });
    return [next, [...out, iqResult(iq)]];
  }
  const notes = new Map(room.affiliationNotes);
  notes.set(bareJid, { ...notes.get(bareJid), nick: parsed.nick });
  const next: Room = { ...room, affiliationNotes: notes };
  // Prosody: the registrant's presence goes out again, so its own clients see the change took.
  const occupant = occupantByBareJid(next, bareJid);
  return [next, [...(occupant ? broadcastPresence(next, occupant) : []), iqResult(iq)]];
}

/** <remove/>: the reserved nick goes, and membership with it (admins and owners keep their rank). */
function unregister(room: Room, bareJid: string, iq: Element): [Room | undefined, Element[]] {
  const affiliation = affiliationOf(room, bareJid);
  if (affiliation !== "member") {
    const notes = new Map(room.affiliationNotes);
    const { nick: _nick, ...rest } = notes.get(bareJid) ?? {};
    if (Object.keys(rest).length > 0) notes.set(bareJid, rest);
    else notes.delete(bareJid);
    return [{ ...room, affiliationNotes: notes }, [iqResult(iq)]];
  }
  const [next, out] = applyAffiliation(room, bareJid, "none", { nick: null });
  // The leaver hears of its removal before the result, as in Prosody's muc_members_only_deregister.
  return [next, [...out, iqResult(iq)]];
}

/** §7.12 disco#info node x-roomuser-item: the asker's reserved nick, as an identity (or nothing). */
export function reservedNickInfo(room: Room, iq: Element): Element[] {
  const nick = reservedNick(room, bareOf(iq.attrs.from as string));
  return [
    iqResult(
      iq,
      xml("query", { xmlns: NS.discoInfo, node: "x-roomuser-item" }, ...(nick !== undefined ? [xml("identity", { category: "conference", name: nick, type: "text" })] : [])),
    ),
  ];
}
