// Service administration over XMPP (XEP-0050 ad-hoc commands on the service's domain), for the
// service's admins (MUC_ADMINS) only: destroy rooms (Prosody's node, so its admin tools work),
// list the rooms in memory with their occupants, and send an announcement into every room.
// With several processes (cluster.ts) the rooms are listed from storage, and rooms this process
// does not hold are sent the destroy or the announcement through the server.
// Everyone else is told `forbidden`; the commands are listed in disco#items for admins only.
import { canonicalBare } from "./jid.ts";
import type { Context } from "./context.ts";
import { roomName } from "./room-features/name.ts";
import { destroyRoom } from "./room-config.ts";
import { bareOf, type Room } from "./room.ts";
import type { PersistentMap } from "./persistent-map.ts";
import type { ListedRoom, Write } from "./storage.ts";
import { announceRequest, destroyRequest } from "./cluster.ts";
import { errorReply, iqResult, NS, xml, type Element } from "./stanza.ts";

export const COMMANDS = {
  destroy: "http://prosody.im/protocol/muc#destroy",
  listRooms: "http://jabber.org/protocol/muc#admin-list-rooms",
  announce: "http://jabber.org/protocol/admin#announce",
} as const;

const NAMES: Record<string, string> = {
  [COMMANDS.destroy]: "Destroy rooms",
  [COMMANDS.listRooms]: "List rooms and occupants",
  [COMMANDS.announce]: "Send an announcement to every room",
};

export const isAdmin = (iq: Element, ctx: Context) => ctx.config.admins.includes(bareOf(iq.attrs.from as string));

/** disco#items on node commands: the commands, for admins; forbidden for anyone else. */
export function commandItems(iq: Element, ctx: Context): Element[] {
  if (!isAdmin(iq, ctx)) return errorReply(iq, "forbidden", "Only the service's administrators have commands here");
  const items = Object.values(COMMANDS).map((node) => xml("item", { jid: ctx.config.domain, node, name: NAMES[node] }));
  return [iqResult(iq, xml("query", { xmlns: NS.discoItems, node: NS.commands }, ...items))];
}

/** The submitted values of a command's form, by field var (clients may omit type='submit'). */
function submitted(command: Element): Map<string, string[]> | undefined {
  const form = command.getChild("x", NS.data);
  if (!form || form.attrs.type === "cancel") return undefined;
  return new Map(form.getChildren("field").map((f) => [f.attrs.var as string, f.getChildren("value").map((v) => v.getText())]));
}

function reply(iq: Element, node: string, status: "executing" | "completed" | "canceled", ctx: Context, ...children: Element[]): Element {
  const sessionid = iq.getChild("command", NS.commands)?.attrs.sessionid ?? ctx.nonce;
  return iqResult(iq, xml("command", { xmlns: NS.commands, node, status, sessionid }, ...children));
}

function form(title: string, ...fields: Element[]): Element {
  return xml("x", { xmlns: NS.data, type: "form" }, xml("title", {}, title), ...fields);
}

/** The announcement as the room's occupants get it: a message from the room to each session. */
export function announcement(room: Room, body: string, ctx: Context): Element[] {
  const out: Element[] = [];
  for (const occupant of room.occupants.values())
    for (const session of occupant.sessions) out.push(xml("message", { type: "groupchat", from: room.jid, to: session.jid, id: `${ctx.nonce}-announce` }, xml("body", {}, body)));
  return out;
}

export type CommandResult = { rooms: PersistentMap<Room>; out: Element[]; writes: Write[] };

/** Whether `iq` is a command that, with several processes (cluster.ts), needs every stored room listed first. */
export function needsRoomList(iq: Element, ctx: Context): boolean {
  return ctx.config.cluster && isAdmin(iq, ctx) && Object.values(COMMANDS).includes(iq.getChild("command", NS.commands)?.attrs.node);
}

/**
 * An IQ set with <command/> to the service's domain. `listed`: every stored room (with several
 * processes, rooms this one does not hold are reached through the server, never edited here).
 */
export function adminCommand(rooms: PersistentMap<Room>, iq: Element, ctx: Context, listed?: ListedRoom[]): CommandResult {
  const command = iq.getChild("command", NS.commands)!;
  const node = command.attrs.node as string;
  const none = (out: Element[]) => ({ rooms, out, writes: [] });
  if (!isAdmin(iq, ctx)) return none(errorReply(iq, "forbidden", "Only the service's administrators may run commands"));
  if (!Object.values(COMMANDS).includes(node as never)) return none(errorReply(iq, "item-not-found", "No such command"));
  if (command.attrs.action === "cancel") return none([reply(iq, node, "canceled", ctx)]);
  const values = submitted(command);

  if (node === COMMANDS.listRooms) {
    const rows = listed
      ? listed.map(({ jid, name, occupants }) => {
          const room = rooms.get(jid);
          return room ? [jid, roomName(room), room.occupants.size] : [jid, name || jid.slice(0, jid.indexOf("@")), occupants];
        })
      : [...rooms.values()].sort((a, b) => (a.jid < b.jid ? -1 : 1)).map((room) => [room.jid, roomName(room), room.occupants.size]);
    const items = rows.map((row) => xml("item", {}, ...row.map((v, i) => xml("field", { var: ["jid", "name", "occupants"][i]! }, xml("value", {}, String(v))))));
    const result = xml(
      "x",
      { xmlns: NS.data, type: "result" },
      xml("title", {}, listed ? "Stored rooms (every room with occupants is)" : "Rooms in memory (every room with occupants is)"),
      xml("reported", {}, xml("field", { var: "jid", label: "Room" }), xml("field", { var: "name", label: "Name" }), xml("field", { var: "occupants", label: "Occupants" })),
      ...items,
    );
    return none([reply(iq, node, "completed", ctx, result)]);
  }

  if (node === COMMANDS.announce) {
    const body = values?.get("body")?.join("\n").trim();
    if (!body) return none([reply(iq, node, "executing", ctx, form("Announcement to every room", xml("field", { var: "body", type: "text-multi", label: "Message" }, xml("required"))))]);
    const out: Element[] = [];
    for (const room of rooms.values()) out.push(...announcement(room, body, ctx));
    const sessions = out.length;
    // Rooms other processes may hold hear it from them (cluster.ts).
    for (const { jid, occupants } of listed ?? []) if (occupants > 0 && !rooms.get(jid)) out.push(announceRequest(jid, body, ctx));
    const elsewhere = out.length - sessions;
    const note = `The announcement was sent to ${sessions} sessions${elsewhere ? ` here, and to ${elsewhere} rooms held by other processes` : ""}.`;
    out.push(reply(iq, node, "completed", ctx, xml("note", { type: "info" }, note)));
    return none(out);
  }

  // destroy
  const wanted = (values?.get("rooms") ?? []).map((jid) => canonicalBare(jid.trim())).filter((jid): jid is string => jid !== undefined && jid.endsWith(`@${ctx.config.domain}`));
  if (wanted.length === 0) {
    const choices = listed ? listed.map(({ jid, name }) => [jid, rooms.get(jid) ? roomName(rooms.get(jid)!) : name || jid.slice(0, jid.indexOf("@"))]) : [...rooms.values()].map((room) => [room.jid, roomName(room)]);
    const options = choices.map(([jid, label]) => xml("option", { label }, xml("value", {}, jid)));
    return none([reply(iq, node, "executing", ctx, form("Destroy rooms", xml("field", { var: "rooms", type: "list-multi", label: "Rooms to destroy" }, xml("required"), ...options)))]);
  }
  const reason = values?.get("reason")?.[0];
  const out: Element[] = [];
  const writes: Write[] = [];
  let next = rooms;
  for (const jid of wanted) {
    // A room not in memory has nobody to tell: removing it from storage is all there is to do.
    const room = next.get(jid);
    // With several processes, another one may hold it: the server takes the request to it (cluster.ts).
    if (!room && listed) {
      out.push(destroyRequest(jid, reason, ctx));
      continue;
    }
    if (room) out.push(...destroyRoom(room, xml("destroy", {}, ...(reason ? [xml("reason", {}, reason)] : []))));
    next = next.delete(jid);
    writes.push({ op: "delete-room", jid, archive: true });
  }
  out.push(reply(iq, node, "completed", ctx, xml("note", { type: "info" }, `The following rooms were destroyed:\n${wanted.join("\n")}`)));
  return { rooms: next, out, writes };
}
