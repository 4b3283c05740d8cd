// XEP-0045 §10.2 Subsequent Room Configuration (and §10.1.3 the same form
// for a new room): the owner fetches the muc#roomconfig form, submits it or
// cancels; occupants are told with status 104 (and 172/173 when real JIDs
// become visible or hidden, §10.2.1). §10.9 Destroying a Room is here too.
import type { Context } from "./context.ts";
import { removeOccupant } from "./leave.ts";
import { presenceOf } from "./presence.ts";
import { atLeastAffiliation } from "./roles.ts";
import { affiliationOf, bareOf, type Occupant, type Room, type RoomConfig } from "./room.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

const FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig";

/** Owners of the room, and the service's admins, may configure and destroy it (§10). */
export function isOwner(room: Room, bareJid: string, ctx: Context): boolean {
  return affiliationOf(room, bareJid) === "owner" || ctx.config.admins.includes(bareJid);
}

const bool = (b: boolean) => (b ? "1" : "0");
const BOOLEAN_FIELDS = new Set(["persistentroom", "publicroom", "changesubject", "moderatedroom", "membersonly", "passwordprotectedroom", "enablearchiving"].map((n) => `muc#roomconfig_${n}`));

function field(v: string, type: string, label: string, value: string, options: [string, string][] = []): Element {
  return xml(
    "field",
    { var: v, type, label },
    xml("value", {}, value),
    ...options.map(([val, optLabel]) => xml("option", { label: optLabel }, xml("value", {}, val))),
  );
}

/** The form an owner fills in, showing the current configuration. */
export function configForm(room: Room): Element {
  const c = room.config;
  return xml(
    "x",
    { xmlns: NS.data, type: "form" },
    xml("title", {}, `Configuration for ${room.jid}`),
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, FORM_TYPE)),
    field("muc#roomconfig_roomname", "text-single", "Title", c.name),
    field("muc#roomconfig_roomdesc", "text-single", "Description", c.description),
    field("muc#roomconfig_persistentroom", "boolean", "Persistent (kept when empty)", bool(c.persistent)),
    field("muc#roomconfig_publicroom", "boolean", "Include room information in public lists", bool(c.public)),
    field("muc#roomconfig_changesubject", "boolean", "Allow anyone to set the room's subject", bool(c.changeSubject)),
    field("muc#roomconfig_moderatedroom", "boolean", "Moderated (only occupants with voice may speak)", bool(c.moderated)),
    field("muc#roomconfig_membersonly", "boolean", "Only allow members to join", bool(c.membersOnly)),
    field("muc#roomconfig_passwordprotectedroom", "boolean", "Password protected", bool(c.password !== "")),
    field("muc#roomconfig_roomsecret", "text-private", "Password", c.password),
    field("muc#roomconfig_whois", "list-single", "Addresses (JIDs) of room occupants may be viewed by", c.whois, [
      ["moderators", "Moderators only"],
      ["anyone", "Anyone"],
    ]),
    field("muc#roomconfig_historylength", "text-single", "Number of messages in discussion history", String(c.historyLength)),
    field("muc#roomconfig_enablearchiving", "boolean", "Archive chat on server", bool(c.archiving)),
  );
}

type Parsed = { ok: true; config: RoomConfig } | { ok: false; text: string };

/** Apply a submitted form to `config`; fields left out keep their values (§10.2). */
export function applyForm(config: RoomConfig, form: Element, ctx: Context): Parsed {
  const next: RoomConfig = { ...config };
  let passwordProtected: boolean | undefined;
  for (const f of form.getChildren("field")) {
    const values = f.getChildren("value").map((v) => v.getText());
    const value = values[0] ?? "";
    const truth = value === "1" || value === "true";
    if ((f.attrs.type === "boolean" || BOOLEAN_FIELDS.has(f.attrs.var)) && !["0", "1", "true", "false"].includes(value))
      return { ok: false, text: `${f.attrs.var} must be a boolean` };
    switch (f.attrs.var) {
      case "FORM_TYPE":
        if (value !== FORM_TYPE) return { ok: false, text: "Unexpected FORM_TYPE" };
        break;
      case "muc#roomconfig_roomname": next.name = value; break;
      case "muc#roomconfig_roomdesc": next.description = value; break;
      case "muc#roomconfig_persistentroom": next.persistent = truth; break;
      case "muc#roomconfig_publicroom": next.public = truth; break;
      case "muc#roomconfig_changesubject": next.changeSubject = truth; break;
      case "muc#roomconfig_moderatedroom": next.moderated = truth; break;
      case "muc#roomconfig_membersonly": next.membersOnly = truth; break;
      case "muc#roomconfig_passwordprotectedroom": passwordProtected = truth; break;
      case "muc#roomconfig_roomsecret": next.password = value; break;
      case "muc#roomconfig_whois":
        if (value !== "moderators" && value !== "anyone") return { ok: false, text: "whois must be moderators or anyone" };
        next.whois = value;
        break;
      case "muc#roomconfig_historylength": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) return { ok: false, text: "historylength must be a whole number" };
        next.historyLength = Math.min(n, ctx.config.maxHistoryLength);
        break;
      }
      case "muc#roomconfig_enablearchiving": next.archiving = truth; break;
      default: break; // fields we do not know are ignored, as XEP-0004 §3.3 allows
    }
  }
  if (passwordProtected === false) next.password = "";
  return { ok: true, config: next };
}

/** The status 104 notice (and 172/173 for a change of whois) to every session (§10.2.1). */
function configChanged(room: Room, before: RoomConfig): Element[] {
  const statuses = ["104"];
  if (before.whois !== room.config.whois) statuses.push(room.config.whois === "anyone" ? "172" : "173");
  const out: Element[] = [];
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions)
      out.push(
        xml(
          "message",
          { type: "groupchat", from: room.jid, to: session.jid },
          xml("x", { xmlns: NS.mucUser }, ...statuses.map((code) => xml("status", { code }))),
        ),
      );
  return out;
}

/** An IQ with <query xmlns='…muc#owner'/> to the room. */
export function ownerQuery(room: Room, iq: Element, ctx: Context): [Room | undefined, Element[]] {
  const bareJid = bareOf(iq.attrs.from as string);
  if (!isOwner(room, bareJid, ctx)) return [room, errorReply(iq, "forbidden", "Only owners may configure this room")];
  const query = iq.getChild("query", NS.mucOwner)!;
  if (iq.attrs.type === "get") return [room, [iqResult(iq, xml("query", { xmlns: NS.mucOwner }, configForm(room)))]];

  const destroy = query.getChild("destroy");
  if (destroy) return [undefined, [...destroyRoom(room, destroy), iqResult(iq)]];
  const form = query.getChild("x", NS.data);
  if (!form) return [room, errorReply(iq, "bad-request", "Expected a data form or <destroy/>")];
  if (form.attrs.type === "cancel") return room.locked ? [undefined, [...destroyRoom(room, xml("destroy")), iqResult(iq)]] : [room, [iqResult(iq)]]; // §10.1.1: cancelling the initial configuration destroys the room
  if (form.attrs.type !== "submit") return [room, errorReply(iq, "bad-request", "Expected a form of type submit or cancel")];
  const parsed = applyForm(room.config, form, ctx);
  if (!parsed.ok) return [room, errorReply(iq, "not-acceptable", parsed.text)];
  let next: Room | undefined = { ...room, config: parsed.config, locked: false };
  const out = [iqResult(iq), ...configChanged(next, room.config)];
  // §10.2: a room that becomes members-only removes those who are not members (322).
  if (next.config.membersOnly && !room.config.membersOnly)
    for (const [key, occupant] of room.occupants)
      if (next && !atLeastAffiliation(affiliationOf(next, occupant.bareJid), "member")) {
        let gone: Element[];
        [next, gone] = removeOccupant(next, key, occupant, { codes: [322] });
        out.push(...gone);
      }
  const empty = next !== undefined && next.occupants.size === 0 && !next.config.persistent;
  return [empty ? undefined : next, out];
}

/** §10.9: every occupant is told the room is gone (with the alternate venue and reason). */
export function destroyRoom(room: Room, destroy: Element): Element[] {
  const out: Element[] = [];
  const notice = xml("destroy", destroy.attrs.jid ? { jid: destroy.attrs.jid } : {});
  const reason = destroy.getChildText("reason");
  if (reason) notice.append(xml("reason", {}, reason));
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions) out.push(destroyedPresence(room, occupant, session.jid, notice));
  return out;
}

function destroyedPresence(room: Room, occupant: Occupant, to: string, notice: Element): Element {
  const presence = presenceOf(room, occupant, to, occupant, { type: "unavailable" });
  const x = presence.getChild("x", NS.mucUser)!;
  const item = x.getChild("item")!;
  const destroy = xml("destroy", { ...notice.attrs }, ...notice.getChildElements().map((c) => xml(c.name, {}, c.getText())));
  // Prosody's order: <destroy/>, then the item, then 110.
  x.children = [destroy, xml("item", { ...item.attrs, role: "none" }), ...x.getChildren("status")];
  return presence;
}
