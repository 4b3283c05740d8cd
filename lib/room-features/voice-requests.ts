// Requesting voice (XEP-0045 §8.6): a visitor of a moderated room submits the muc#request form
// to the room; every moderator receives it (with the requester's real JID) and may approve it by
// submitting it back with muc#request_allow, which grants voice. The owner may turn requests off,
// and one occupant may ask at most once per interval (ejabberd's voice_request_min_interval).
import type { Context } from "../context.ts";
import type { RoomFeature } from "../room-feature.ts";
import { bool, formField, isRefusal, readBoolean, readText, refuse } from "../room-feature.ts";
import { broadcastPresence } from "../presence.ts";
import { nickKey } from "../nick.ts";
import { mayGrantVoice } from "../permissions.ts";
import { occupantKey, primarySession, withOccupant, type Occupant, type Room } from "../room.ts";
import { errorReply, NS, xml, type Element } from "../stanza.ts";

const REQUEST = "http://jabber.org/protocol/muc#request";

declare module "../room.ts" {
  interface RoomConfig {
    allowVoiceRequests: boolean;
    /** Seconds between two voice requests of one occupant. */
    voiceRequestMinInterval: number;
  }
  interface Occupant {
    /** When it last asked for voice (ms since the epoch). */
    voiceRequestedAt?: number;
  }
}

export const voiceRequests: RoomFeature = {
  defaults: () => ({ allowVoiceRequests: true, voiceRequestMinInterval: 1800 }),
  form: (room) => [
    formField("muc#roomconfig_allowvoicerequests", "boolean", "Allow visitors to request voice", [bool(room.config.allowVoiceRequests)]),
    formField("muc#roomconfig_voicerequestmininterval", "text-single", "Minimum interval between voice requests (seconds)", [String(room.config.voiceRequestMinInterval)]),
  ],
  apply(config, form) {
    const allow = readBoolean(form, "muc#roomconfig_allowvoicerequests");
    if (isRefusal(allow)) return allow;
    const interval = readText(form, "muc#roomconfig_voicerequestmininterval")?.trim();
    if (interval !== undefined && (!/^\d+$/.test(interval) || !Number.isSafeInteger(Number(interval))))
      return refuse("voicerequestmininterval must be a whole number of seconds");
    return {
      ...config,
      ...(allow !== undefined ? { allowVoiceRequests: allow } : {}),
      ...(interval !== undefined ? { voiceRequestMinInterval: Number(interval) } : {}),
    };
  },
  discoFeatures: (room) => (room.config.moderated && room.config.allowVoiceRequests ? [REQUEST] : []),
};

/** A submitted muc#request form in a message, as field var → first value. */
function requestForm(message: Element): Map<string, string> | undefined {
  const form = message.getChild("x", NS.data);
  if (!form || form.attrs.type !== "submit") return undefined;
  const fields = new Map(form.getChildren("field").map((f) => [f.attrs.var as string, f.getChildText("value") ?? ""]));
  return fields.get("FORM_TYPE") === REQUEST ? fields : undefined;
}

export function isVoiceRequest(message: Element): boolean {
  return message.attrs.type !== "groupchat" && message.attrs.type !== "error" && requestForm(message) !== undefined;
}

/** The form a moderator receives (§8.6 Example 88). */
function approvalForm(requester: Occupant): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "form" },
    xml("title", {}, "Voice request"),
    xml("instructions", {}, "To approve this request for voice, select the \"Grant voice to this person?\" checkbox and click OK. To skip this request, click the cancel button."),
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, REQUEST)),
    formField("muc#role", "list-single", "Requested role", ["participant"], [["participant", "Participant"]]),
    formField("muc#jid", "jid-single", "User ID", [primarySession(requester).jid]),
    formField("muc#roomnick", "text-single", "Room Nickname", [requester.nick]),
    formField("muc#request_allow", "boolean", "Grant voice to this person?", ["0"]),
  );
}

/** A message with the muc#request form: a visitor asking, or a moderator answering. */
export function voiceRequest(room: Room, sender: Occupant | undefined, message: Element, ctx: Context): [Room, Element[]] {
  if (!sender) return [room, errorReply(message, "not-acceptable", "You are not an occupant of this room", { by: room.jid })];
  const fields = requestForm(message)!;
  if (mayGrantVoice(sender) && fields.has("muc#request_allow")) return approve(room, sender, fields, message);
  if (!room.config.moderated || !room.config.allowVoiceRequests) return [room, errorReply(message, "not-allowed", "This room takes no voice requests", { by: room.jid })];
  if (sender.role !== "visitor") return [room, errorReply(message, "not-acceptable", "You have voice already", { by: room.jid })];
  const interval = room.config.voiceRequestMinInterval * 1000;
  if (sender.voiceRequestedAt !== undefined && ctx.now - sender.voiceRequestedAt < interval)
    return [room, errorReply(message, "resource-constraint", `One voice request per ${room.config.voiceRequestMinInterval} seconds`, { by: room.jid })];

  const asked: Occupant = { ...sender, voiceRequestedAt: ctx.now };
  const next = withOccupant(room, occupantKey(room, sender), asked, sender);
  const out: Element[] = [];
  for (const moderator of next.occupants.values())
    if (mayGrantVoice(moderator))
      for (const session of moderator.sessions) out.push(xml("message", { from: room.jid, to: session.jid, id: `${ctx.nonce}-voice` }, approvalForm(asked)));
  return [next, out];
}

/** A moderator's answer: granting voice when muc#request_allow is true. */
function approve(room: Room, moderator: Occupant, fields: Map<string, string>, message: Element): [Room, Element[]] {
  const allow = fields.get("muc#request_allow");
  if (allow !== "1" && allow !== "true") return [room, []]; // declined: nothing to do
  const key = nickKey(fields.get("muc#roomnick") ?? "");
  const target = key === undefined ? undefined : room.occupants.get(key);
  if (!target || key === undefined) return [room, errorReply(message, "item-not-found", "That occupant is no longer in the room", { by: room.jid })];
  if (target.role !== "visitor") return [room, []];
  const voiced: Occupant = { ...target, role: "participant" };
  const next = withOccupant(room, key, voiced, target);
  return [next, broadcastPresence(next, voiced, { actor: moderator.nick })];
}
