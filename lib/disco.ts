// XEP-0045 §6 Service Discovery (XEP-0030): the service's identity and its
// public rooms (§6.1–§6.3), a room's identity, features and muc#roominfo
// form (§6.4), and a room's items (§6.5).
import type { Context } from "./context.ts";
import type { PersistentMap } from "./persistent-map.ts";
import { seesOccupantList } from "./permissions.ts";
import type { Affiliation } from "./roles.ts";
import type { Room } from "./room.ts";
import type { DirectoryEntry, Read } from "./storage.ts";
import { configDiscoFeatures, configRoomInfo } from "./room-features.ts";
import { roomName } from "./room-features/name.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

export const VERSION = "0.1.0";

/** A disco#info answer: one conference/text identity, the features, any extension forms. */
function infoResult(iq: Element, name: string, features: string[], ...forms: Element[]): Element[] {
  if (iq.getChild("query")?.attrs.node) return errorReply(iq, "item-not-found");
  const identity = xml("identity", { category: "conference", type: "text", name });
  return [iqResult(iq, xml("query", { xmlns: NS.discoInfo }, identity, ...features.map((v) => xml("feature", { var: v })), ...forms))];
}

export function serviceInfo(iq: Element, ctx: Context): Element[] {
  return infoResult(iq, ctx.config.name, [NS.discoInfo, NS.discoItems, NS.muc, NS.ping, NS.version, NS.commands]);
}

/**
 * §6.3: the public rooms, each with its name (or its localpart), in JID order.
 * Persistent rooms are listed from storage, loaded or not (a read); rooms in
 * memory are what they are now. Long lists are paged with XEP-0059.
 */
export function serviceItems(iq: Element, ctx: Context): [Element[], Read[]] {
  const query = iq.getChild("query")!;
  if (query.attrs.node) return [[iqResult(iq, xml("query", { xmlns: NS.discoItems, node: query.attrs.node }))], []];
  const set = query.getChild("set", NS.rsm);
  const maxText = set?.getChildText("max");
  const asked = maxText ? Number(maxText) : NaN;
  const max = Number.isSafeInteger(asked) && asked >= 0 ? Math.min(asked, ctx.config.directoryPageSize) : ctx.config.directoryPageSize;
  const after = set?.getChildText("after") || undefined;
  return [[], [{ op: "directory", ...(after ? { after } : {}), limit: max + 1, stanza: iq }]];
}

/** The directory page, once storage has listed its public rooms after the cursor. */
export function directoryPage(read: Extract<Read, { op: "directory" }>, stored: { rooms: DirectoryEntry[] }, rooms: PersistentMap<Room>): Element[] {
  const after = read.after ?? "";
  const entries = new Map<string, string>();
  for (const entry of stored.rooms) if (!rooms.get(entry.jid)) entries.set(entry.jid, entry.name || entry.jid.slice(0, entry.jid.indexOf("@")));
  for (const room of rooms.values()) if (room.config.public && !room.locked && room.jid > after) entries.set(room.jid, roomName(room));
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const max = read.limit - 1;
  const page = sorted.slice(0, max);
  const paged = read.stanza.getChild("query")?.getChild("set", NS.rsm) !== undefined || sorted.length > max;
  const items = page.map(([jid, name]) => xml("item", { jid, name }));
  const result = xml("query", { xmlns: NS.discoItems }, ...items);
  if (paged) {
    const set = xml("set", { xmlns: NS.rsm });
    if (page.length > 0) set.append(xml("first", {}, page[0]![0]), xml("last", {}, page[page.length - 1]![0]));
    result.append(set);
  }
  return [iqResult(read.stanza, result)];
}

export { roomName };

/** The room's features (§6.4, §15.2.2): the protocols it speaks, and what its configuration says. Sorted: deterministic. */
export function roomFeatures(room: Room): string[] {
  return [
    NS.muc,
    NS.mucStableId,
    NS.selfPing,
    NS.discoInfo,
    NS.discoItems,
    NS.ping,
    NS.stanzaId,
    NS.occupantId,
    NS.moderate,
    NS.moderate0,
    NS.vcard,
    ...configDiscoFeatures(room),
  ].sort();
}

function field(v: string, values: readonly string[], type?: string): Element {
  return xml("field", { var: v, ...(type ? { type } : {}) }, ...values.map((value) => xml("value", {}, value)));
}

export function roomInfo(room: Room, iq: Element): Element[] {
  const fields = [
    ...configRoomInfo(room),
    { var: "muc#roominfo_occupants", values: [String(room.occupants.size)], order: 30 },
    { var: "muc#roominfo_subject", values: [room.subject?.text ?? ""], order: 40 },
    ...(room.avatarHash ? [{ var: "muc#roominfo_avatarhash", values: [room.avatarHash], order: 70 }] : []),
  ].sort((a, b) => a.order - b.order);
  const form = xml(
    "x",
    { xmlns: NS.data, type: "result" },
    field("FORM_TYPE", ["http://jabber.org/protocol/muc#roominfo"], "hidden"),
    ...fields.map((f) => field(f.var, f.values, f.type)),
  );
  return infoResult(iq, roomName(room), roomFeatures(room), form);
}

/**
 * §6.5: a room's items, asked by someone of affiliation `viewer`. Occupant JIDs are listed only
 * where the permission model lets this viewer see who is there (permissions.ts); otherwise none,
 * so that disco does not reveal more than the room's configuration allows.
 */
export function roomItems(room: Room, iq: Element, viewer: Affiliation): Element[] {
  const items: Element[] = [];
  if (seesOccupantList(room, viewer))
    for (const occupant of room.occupants.values()) items.push(xml("item", { jid: `${room.jid}/${occupant.nick}`, name: occupant.nick }));
  return [iqResult(iq, xml("query", { xmlns: NS.discoItems }, ...items))];
}

/** XEP-0092 Software Version of the service. */
export function serviceVersion(iq: Element): Element[] {
  return [iqResult(iq, xml("query", { xmlns: NS.version }, xml("name", {}, "bun-muc"), xml("version", {}, VERSION)))];
}
