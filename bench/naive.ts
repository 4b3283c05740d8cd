// The naive baseline `bun run bench` compares the service with: the same runtime and
// connection library (Bun, @xmpp/component), rooms in a Map, no validation, no storage,
// no error handling, and one socket write per input. What the service costs beyond this is
// the price of doing things right. Same environment variables as index.ts. With
// NAIVE_SAME_BYTES=1 each message copy also carries an occupant-id and a stanza-id as the
// service's do (bench/server.ts: how much of the gap behind a real server is the server's cost
// of those bytes).
import { component } from "@xmpp/component";

const domain = process.env.XMPP_DOMAIN!;
const xmpp = component({ service: process.env.XMPP_SERVICE!, domain, password: process.env.XMPP_PASSWORD! });
xmpp.removeAllListeners("element"); // no middleware: every stanza comes straight here
xmpp.reconnect.stop();

type Room = { byNick: Map<string, string>; byJid: Map<string, string> };
const rooms = new Map<string, Room>();
const sameBytes = process.env.NAIVE_SAME_BYTES === "1";
let sequence = 0;
/** 27 characters, as the service's occupant ids (not a secret here: a stand-in of the same size). */
const occupantId = (jid: string) => Bun.hash(jid).toString(36).padEnd(27, "x").slice(0, 27);
const item = (self: boolean) => `<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="none" role="participant"/>${self ? '<status code="110"/>' : ""}</x>`;

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
      for (const [other, jid] of room.byNick) {
        out += `<presence from="${roomJid}/${other}" to="${from}">${item(false)}</presence>`;
        out += `<presence from="${to}" to="${jid}">${item(false)}</presence>`;
      }
      out += `<presence from="${to}" to="${from}">${item(true)}</presence>`;
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
