// Service administration over XMPP (XEP-0050 ad-hoc commands on the service's domain), for the
// service's admins (MUC_ADMINS) only: destroy rooms (Prosody's node, so its admin tools work),
// list the rooms in memory with their occupants, and send an announcement into every room.
// Everyone else is told `forbidden`; the commands are listed in disco#items for admins only.
import { canonicalBare } from "./jid.ts";
import type { Context } from "./context.ts";
import { roomName } from "./room-features/name.ts";
import { destroyRoom } from "./room-config.ts";
import { bareOf, type Room } from "./room.ts";
import type { PersistentMap } from "./persistent-map.ts";
import type { Write } from "./storage.ts";
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

export type CommandResult = { rooms: PersistentMap<Room>; out: Element[]; writes: Write[] };

/** An IQ set with <command/> to the service's domain. */
export function adminCommand(rooms: PersistentMap<Room>, iq: Element, ctx: Context): CommandResult {
  const command = iq.getChild("command", NS.commands)!;
  const node = command.attrs.node as string;
  const none = (out: Element[]) => ({ rooms, out, writes: [] });
  if (!isAdmin(iq, ctx)) return none(errorReply(iq, "forbidden", "Only the service's administrators may run commands"));
  if (!Object.values(COMMANDS).includes(node as never)) return none(errorReply(iq, "item-not-found", "No such command"));
  if (command.attrs.action === "cancel") return none([reply(iq, node, "canceled", ctx)]);
  const values = submitted(command);

  if (node === COMMANDS.listRooms) {
    const items = [...rooms.values()]
      .sort((a, b) => (a.jid < b.jid ? -1 : 1))
      .map((room) => xml("item", {}, ...[room.jid, roomName(room), String(room.occupants.size)].map((v, i) => xml("field", { var: ["jid", "name", "occupants"][i]! }, xml("value", {}, v)))));
    const result = xml(
      "x",
      { xmlns: NS.data, type: "result" },
      xml("title", {}, "Rooms in memory (every room with occupants is)"),
      xml("reported", {}, xml("field", { var: "jid", label: "Room" }), xml("field", { var: "name", label: "Name" }), xml("field", { var: "occupants", label: "Occupants" })),
      ...items,
    );
    return none([reply(iq, node, "completed", ctx, result)]);
  }

  if (node === COMMANDS.announce) {
    const body = values?.get("body")?.join("\n").trim();
    if (!body) return none([reply(iq, node, "executing", ctx, form("Announcement to every room", xml("field", { var: "body", type: "text-multi", label: "Message" }, xml("required"))))]);
    const out: Element[] = [];
    for (const room of rooms.values())
      for (const occupant of room.occupants.values())
        for (const session of occupant.sessions) out.push(xml("message", { type: "groupchat", from: room.jid, to: session.jid, id: `${ctx.nonce}-announce` }, xml("body", {}, body)));
    out.push(reply(iq, node, "completed", ctx, xml("note", { type: "info" }, `The announcement was sent to ${out.length} sessions.`)));
    return none(out);
  }

  // destroy
  const wanted = (values?.get("rooms") ?? []).map((jid) => canonicalBare(jid.trim())).filter((jid): jid is string => jid !== undefined && jid.endsWith(`@${ctx.config.domain}`));
  if (wanted.length === 0) {
    const options = [...rooms.values()].map((room) => xml("option", { label: roomName(room) }, xml("value", {}, room.jid)));
    return none([reply(iq, node, "executing", ctx, form("Destroy rooms", xml("field", { var: "rooms", type: "list-multi", label: "Rooms to destroy" }, xml("required"), ...options)))]);
  }
  const reason = values?.get("reason")?.[0];
  const out: Element[] = [];
  const writes: Write[] = [];
  let next = rooms;
  for (const jid of wanted) {
    // A room not in memory has nobody to tell: removing it from storage is all there is to do.
    const room = next.get(jid);
    if (room) out.push(...destroyRoom(room, xml("destroy", {}, ...(reason ? [xml("reason", {}, reason)] : []))));
    next = next.delete(jid);
    writes.push({ op: "delete-room", jid, archive: true });
  }
  out.push(reply(iq, node, "completed", ctx, xml("note", { type: "info" }, `The following rooms were destroyed:\n${wanted.join("\n")}`)));
  return { rooms: next, out, writes };
}
