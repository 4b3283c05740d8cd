// Room avatars (lib/room-avatar.ts): vcard-temp on the room JID, set by owners;
// the photo's SHA-1 in disco#info and in a presence from the room's bare JID
// on join and on change (with 104); kept across restarts.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, configure, join, JULIET, ROMEO, ROOM, Sim, to } from "./helpers.ts";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const SHA1 = new Bun.CryptoHasher("sha1").update(Uint8Array.from(atob(PNG), (c) => c.charCodeAt(0))).digest("hex");

function setVcard(from: string, photo?: string): Element {
  const vcard = xml("vCard", { xmlns: NS.vcard }, ...(photo ? [xml("PHOTO", {}, xml("TYPE", {}, "image/png"), xml("BINVAL", {}, photo))] : []));
  return xml("iq", { from, to: ROOM, type: "set", id: "v1" }, vcard);
}
const getVcard = (from: string) => xml("iq", { from, to: ROOM, type: "get", id: "v2" }, xml("vCard", { xmlns: NS.vcard }));
const info = (from: string) => xml("iq", { from, to: ROOM, type: "get", id: "i" }, xml("query", { xmlns: NS.discoInfo }));
const avatarHash = (result: Element) =>
  result.getChild("query")!.getChild("x", NS.data)!.getChildren("field").find((f) => f.attrs.var === "muc#roominfo_avatarhash")?.getChildText("value");

describe("room avatars", () => {
  test("the owner sets the avatar: everyone gets the room's presence with the photo hash, and 104", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(join(JULIET, "Juliet"));
    sim.take();
    sim.send(setVcard(ROMEO, PNG));
    expect(sim.take()).toMatchSnapshot();
    expect(avatarHash(sim.send(info(JULIET))[0]!)).toBe(SHA1);
    const vcard = sim.send(getVcard(JULIET))[0]!;
    expect(vcard.getChild("vCard", NS.vcard)!.getChild("PHOTO")!.getChildText("BINVAL")).toBe(PNG);
  });

  test("a joiner gets the room's avatar presence first; after a restart too", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }, "c"));
    sim.send(setVcard(ROMEO, PNG));
    const joined = sim.restart().send(join(JULIET, "Juliet"));
    const first = to(joined, JULIET)[0]!;
    expect(first.attrs.from).toBe(ROOM);
    expect(first.getChild("x", NS.vcardUpdate)!.getChildText("photo")).toBe(SHA1);
  });

  test("only owners may set it (forbidden); anyone may read it; an empty vCard removes it; bad base64 is bad-request", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "Romeo"));
    sim.send(join(JULIET, "Juliet"));
    expect(condition(sim.send(setVcard(JULIET, PNG))[0]!)).toBe("forbidden");
    expect(sim.send(getVcard("stranger@example.org/x"))[0]!.toString()).toBe(
      `<iq type="result" from="${ROOM}" to="stranger@example.org/x" id="v2"><vCard xmlns="vcard-temp"/></iq>`,
    );
    expect(condition(sim.send(setVcard(ROMEO, "not base64!"))[0]!)).toBe("bad-request");
    sim.send(setVcard(ROMEO, PNG));
    const removed = sim.send(setVcard(ROMEO));
    expect(to(removed, JULIET).find((p) => p.name === "presence")!.getChild("x", NS.vcardUpdate)!.getChildText("photo")).toBe("");
    expect(codes(to(removed, JULIET).find((p) => p.name === "message")!)).toEqual(["104"]);
    expect(avatarHash(sim.send(info(JULIET))[0]!)).toBeUndefined();
  });
});
