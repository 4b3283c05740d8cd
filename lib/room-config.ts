// XEP-0045 §10.2 Subsequent Room Configuration (and §10.1.3 the same form
// for a new room): the owner fetches the muc#roomconfig form, submits it or
// cancels; occupants are told with status 104 (and 172/173 when real JIDs
// become visible or hidden, §10.2.1). §10.9 Destroying a Room is here too.
import type { Context } from "./context.ts";
import { canonicalJid } from "./jid.ts";
import { removeOccupant } from "./leave.ts";
import { broadcastPresence, presenceOf } from "./presence.ts";
import { defaultRole } from "./roles.ts";
import { isRefusal, type Submitted } from "./room-feature.ts";
import { applySubmitted, configChanges, formFields } from "./room-features.ts";
import { isOwner } from "./permissions.ts";
import { affiliationOf, bareOf, withOccupant, type Occupant, type Room } from "./room.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

const FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig";

/** Owners of the room, and the service's admins, may configure and destroy it (§10). */
/** The form an owner fills in, showing the current configuration (every feature's fields, in order). */
export function configForm(room: Room, ctx: Context): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "form" },
    xml("title", {}, `Configuration for ${room.jid}`),
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, FORM_TYPE)),
    ...formFields(room, ctx),
  );
}

/** The submitted form as var → values; or why it is not a room configuration form. */
function submittedFields(form: Element): Submitted | string {
  const fields = new Map<string, string[]>();
  for (const f of form.getChildren("field")) {
    if (typeof f.attrs.var !== "string") continue;
    fields.set(f.attrs.var, f.getChildren("value").map((v) => v.getText()));
  }
  const formType = fields.get("FORM_TYPE");
  if (formType !== undefined && formType[0] !== FORM_TYPE) return "Unexpected FORM_TYPE";
  // A field the form shows as boolean must hold a boolean, whatever its name (XEP-0004 §3.3).
  for (const f of form.getChildren("field"))
    if (f.attrs.type === "boolean" && !["0", "1", "true", "false"].includes(f.getChildText("value") ?? "")) return `${f.attrs.var} must be a boolean`;
  return fields;
}

/** The status 104 notice (with the features' codes, 172/173 for whois) to every session (§10.2.1). */
function configChanged(room: Room, codes: string[]): Element[] {
  const statuses = ["104", ...codes];
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

/** Occupants whose affiliation (and so role) the form changed (room admins, owners): their new presence to all. */
function affiliationChanges(before: Room, after: Room): [Room, Element[]] {
  let next = after;
  const out: Element[] = [];
  for (const [key, occupant] of after.occupants) {
    const was = affiliationOf(before, occupant.bareJid);
    const now = affiliationOf(after, occupant.bareJid);
    if (was === now) continue;
    const role = defaultRole(now, after.config.moderated);
    const changed: Occupant = { ...occupant, role: occupant.role === "visitor" && role === "participant" ? "participant" : role };
    next = withOccupant(next, key, changed, occupant);
    out.push(...broadcastPresence(next, changed));
  }
  return [next, out];
}

/** An IQ with <query xmlns='…muc#owner'/> to the room. */
export function ownerQuery(room: Room, iq: Element, ctx: Context): [Room | undefined, Element[]] {
  const bareJid = bareOf(iq.attrs.from as string);
  if (!isOwner(room, bareJid, ctx)) return [room, errorReply(iq, "forbidden", "Only owners may configure this room")];
  const query = iq.getChild("query", NS.mucOwner)!;
  if (iq.attrs.type === "get") return [room, [iqResult(iq, xml("query", { xmlns: NS.mucOwner }, configForm(room, ctx)))]];

  const destroy = query.getChild("destroy");
  if (destroy?.attrs.jid !== undefined && !canonicalJid(destroy.attrs.jid)) return [room, errorReply(iq, "jid-malformed", "The alternate venue is not a valid address")];
  if (destroy) return [undefined, [...destroyRoom(room, destroy), iqResult(iq)]];
  const form = query.getChild("x", NS.data);
  if (!form) return [room, errorReply(iq, "bad-request", "Expected a data form or <destroy/>")];
  if (form.attrs.type === "cancel") return room.locked ? [undefined, [...destroyRoom(room, xml("destroy")), iqResult(iq)]] : [room, [iqResult(iq)]]; // §10.1.1: cancelling the initial configuration destroys the room
  if (form.attrs.type !== "submit") return [room, errorReply(iq, "bad-request", "Expected a form of type submit or cancel")];
  const fields = submittedFields(form);
  if (typeof fields === "string") return [room, errorReply(iq, "bad-request", fields)];
  const applied = applySubmitted(room, fields, ctx);
  if (isRefusal(applied)) return [room, errorReply(iq, applied.condition, applied.text)];
  const changes = configChanges(room, applied, ctx);
  let [next, presences] = affiliationChanges(room, { ...applied, locked: false }) as [Room | undefined, Element[]];
  const out = [iqResult(iq), ...configChanged(next!, changes.codes), ...presences];
  // Occupants the new configuration excludes leave (§10.2: not members of a now members-only room, 322).
  for (const { key, occupant, code } of changes.remove)
    if (next) {
      let gone: Element[];
      [next, gone] = removeOccupant(next, key, occupant, { codes: [code] });
      out.push(...gone);
    }
  const empty = next !== undefined && next.occupants.size === 0 && !next.config.persistent;
  return [empty ? undefined : next, out];
}

/** §10.9: every occupant is told the room is gone (with the alternate venue and reason). */
export function destroyRoom(room: Room, destroy: Element): Element[] {
  const out: Element[] = [];
  const venue = canonicalJid(destroy.attrs.jid);
  const notice = xml("destroy", venue ? { jid: venue } : {});
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
