// The naive baseline `bun run bench` compares the service with: the same runtime and
// connection library (Bun, @xmpp/component), rooms in a Map, no validation, no storage,
// no error handling, and one socket write per input. What the service costs beyond this is
// the price of doing things right. Same environment variables as index.ts. With
// NAIVE_SAME_BYTES=1 it writes what the protocol makes the service write, still naively: each
// copy of a message carries an occupant-id and a stanza-id, each presence an occupant-id, the
// room's creator is its owner and sees real JIDs, and each joiner gets the (empty) subject.
// That is the floor the wire sets: how fast any component writing those bytes can be
// (bench/e2e.ts, bench/server.ts).
import { component } from "@xmpp/component";

const domain = process.env.XMPP_DOMAIN!;
const xmpp = component({ service: process.env.XMPP_SERVICE!, domain, password: process.env.XMPP_PASSWORD! });
xmpp.removeAllListeners("element"); // no middleware: every stanza comes straight here
xmpp.reconnect.stop();

type Room = { byNick: Map<string, string>; byJid: Map<string, string>; owner?: string };
const rooms = new Map<string, Room>();
const sameBytes = process.env.NAIVE_SAME_BYTES === "1";
let sequence = 0;
/** 27 characters, as the service's occupant ids (not a secret here: a stand-in of the same size). */
const occupantId = (jid: string) => Bun.hash(jid).toString(36).padEnd(27, "x").slice(0, 27);
const item = (self: boolean) => `<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/>${self ? '<status code="110"/>' : ""}</x>`;
/** What the service's presence of `jid` (in `room`) says to `to` in a semi-anonymous room (NAIVE_SAME_BYTES). */
const fullItem = (room: Room, jid: string, to: string, codes = "") => {
  const owner = room.owner === jid;
  const attrs = owner ? 'affiliation="owner" role="moderator"' : 'affiliation="none" role="participant"';
  const shown = to === jid || room.owner === to ? ` jid="${jid}"` : "";
  const self = to === jid ? '<status code="110"/>' : "";
  return `<x xmlns="http://jabber.org/protocol/muc#user">${codes}<item ${attrs}${shown}/>${self}</x><occupant-id xmlns="urn:xmpp:occupant-id:0" id="${occupantId(jid)}"/>`;
};
/** The payload of a join's presence of `jid` sent to `to`: the plain one, or as the service would write it. */
const joinPayload = (room: Room, jid: string, to: string, created = false) =>
  sameBytes ? fullItem(room, jid, to, created ? '<status code="201"/>' : "") : item(to === jid);

xmpp.on("stanza", (stanza) => {
  const { from, to, type, id } = stanza.attrs as Record<string, string>;
  const [roomJid, nick] = to.split("/") as [string, string?];
  let room = rooms.get(roomJid);
  if (stanza.name === "presence" && nick) {
    if (!room) rooms.set(roomJid, (room = { byNick: new Map(), byJid: new Map() }));
    let out = "";
    if (type === "unavailable") {
      room.byNick.delete(nick);
      room.byJid.delete(from);
      out += `<presence from="${to}" to="${from}" type="unavailable">${item(true)}</presence>`;
      for (const jid of room.byNick.values()) out += `<presence from="${to}" to="${jid}" type="unavailable">${item(false)}</presence>`;
    } else {
      const created = room.byNick.size === 0;
      if (created) room.owner = from;
      for (const [other, jid] of room.byNick) {
        out += `<presence from="${roomJid}/${other}" to="${from}">${joinPayload(room, jid, from)}</presence>`;
        out += `<presence from="${to}" to="${jid}">${joinPayload(room, from, jid)}</presence>`;
      }
      out += `<presence from="${to}" to="${from}">${joinPayload(room, from, from, created)}</presence>`;
      if (sameBytes) out += `<message type="groupchat" from="${roomJid}" to="${from}"><subject/></message>`;
      room.byNick.set(nick, from);
      room.byJid.set(from, nick);
    }
    void xmpp.write(out);
  } else if (stanza.name === "message" && type === "groupchat" && room) {
    const sender = `${roomJid}/${room.byJid.get(from)}`;
    const ids = sameBytes ? `<occupant-id xmlns="urn:xmpp:occupant-id:0" id="${occupantId(from)}"/><stanza-id xmlns="urn:xmpp:sid:0" by="${roomJid}" id="b${(++sequence).toString(36)}"/>` : "";
    const payload = stanza.children.join("") + ids;
    let out = "";
    for (const jid of room.byNick.values()) out += `<message from="${sender}" to="${jid}" type="groupchat" id="${id}">${payload}</message>`;
    void xmpp.write(out);
  }
});

await xmpp.connect(process.env.XMPP_SERVICE!);
await xmpp.open({ domain });
process.on("SIGTERM", () => process.exit(0)); // so that a profile (BENCH_BUN_ARGS) is written
