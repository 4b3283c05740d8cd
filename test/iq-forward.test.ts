// IQs to an occupant JID (XEP-0045 §7.3: occupant JIDs stand in for real JIDs),
// as Prosody forwards them: to the target's session, from the sender's occupant
// JID, with an id that lets the room route the answer back; vCards to the bare
// JID; XEP-0410 MUC Self-Ping answered by the room.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, roomWith } from "./helpers.ts";

const VERSION = "jabber:iq:version";

/** Romeo (owner, moderator), Juliet and Mercutio (participants). */
function verona(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"], [MERCUTIO, "Mercutio"]);
}

function versionGet(from: string, nick: string, id = "v1"): Element {
  return xml("iq", { from, to: `${ROOM}/${nick}`, type: "get", id }, xml("query", { xmlns: VERSION }));
}

function answer(from: string, nick: string, id: string, type = "result"): Element {
  return xml(
    "iq",
    { from, to: `${ROOM}/${nick}`, type, id },
    ...(type === "result" ? [xml("query", { xmlns: VERSION }, xml("name", {}, "Balcony IM"), xml("version", {}, "1.0"))] : []),
    ...(type === "error"
      ? [xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))]
      : []),
  );
}

/** A transcript with the room's generated id replaced, so the snapshot does not depend on its encoding. */
function transcript(sim: Sim, forwardedId: string): string {
  return sim.take().replaceAll(forwardedId, "{forwarded-id}");
}

/** Every reading of an id a curious recipient could try: as is, and base64/base64url-decoded from any offset. */
function readings(id: string): string[] {
  const out = [id];
  for (let start = 0; start < id.length; start++) {
    const b64 = id.slice(start).replace(/-/g, "+").replace(/_/g, "/").replace(/[^A-Za-z0-9+/]/g, "");
    try {
      out.push(Buffer.from(b64, "base64").toString("latin1"));
    } catch {
      // not base64 from here
    }
  }
  return out;
}

describe("an IQ to an occupant JID", () => {
  test("is forwarded to the target's session from the sender's occupant JID; the answer comes back with the original id", () => {
    const sim = verona();
    const [forwarded, ...rest] = sim.send(versionGet(JULIET, "Mercutio"));
    expect(rest).toEqual([]);
    expect(forwarded!.attrs).toMatchObject({ type: "get", from: `${ROOM}/Juliet`, to: MERCUTIO });
    expect(forwarded!.getChild("query", VERSION)).toBeDefined();
    const fid = forwarded!.attrs.id as string;
    expect(fid).toBeString();
    expect(fid).not.toBe("v1");

    const back = sim.send(answer(MERCUTIO, "Juliet", fid));
    expect(transcript(sim, fid)).toMatchSnapshot();
    expect(back).toHaveLength(1);
    expect(back[0]!.attrs).toEqual({ type: "result", from: `${ROOM}/Mercutio`, to: JULIET, id: "v1" });
    expect(back[0]!.getChild("query", VERSION)!.getChildText("name")).toBe("Balcony IM");
  });

  test("an error answer is routed back the same way", () => {
    const sim = verona();
    const [forwarded] = sim.send(versionGet(JULIET, "Mercutio", "v2"));
    const back = sim.send(answer(MERCUTIO, "Juliet", forwarded!.attrs.id, "error"));
    expect(back).toHaveLength(1);
    expect(back[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/Mercutio`, to: JULIET, id: "v2" });
    expect(condition(back[0]!)).toBe("service-unavailable");
  });

  test("the forwarded id is opaque: it does not disclose the sender's real JID in a semi-anonymous room", () => {
    const sim = verona();
    const [forwarded] = sim.send(versionGet(JULIET, "Mercutio"));
    // Mercutio is a participant in a semi-anonymous room: he must not learn Juliet's real JID (§4.1, §7.2.3).
    const id = forwarded!.attrs.id as string;
    for (const reading of readings(id)) expect(reading).not.toContain("juliet@example.com");
    expect(forwarded!.toString()).not.toContain("juliet@example.com");
  });

  test("a forged answer whose id names someone other than the occupant it is addressed to is dropped", () => {
    const sim = verona();
    const [forwarded] = sim.send(versionGet(JULIET, "Mercutio"));
    const fid = forwarded!.attrs.id as string;
    // Mercutio sends the answer to Romeo instead of Juliet, and Romeo tries it on Mercutio.
    expect(sim.send(answer(MERCUTIO, "Romeo", fid))).toEqual([]);
    expect(sim.send(answer(ROMEO, "Mercutio", fid))).toEqual([]);
    // Nonsense ids too.
    expect(sim.send(answer(MERCUTIO, "Juliet", "v1"))).toEqual([]);
    expect(sim.send(answer(MERCUTIO, "Juliet", "muc-fwd-!!!"))).toEqual([]);
    // From someone not in the room.
    expect(sim.send(answer("tybalt@example.com/sword", "Juliet", fid))).toEqual([]);
    // The genuine answer still works.
    expect(sim.send(answer(MERCUTIO, "Juliet", fid))).toHaveLength(1);
  });

  test("an answer from an occupant the request was not forwarded to is dropped (Prosody checks the answering session)", () => {
    const sim = verona();
    const [forwarded] = sim.send(versionGet(JULIET, "Mercutio"));
    const fid = forwarded!.attrs.id as string;
    // Romeo, who was not asked, answers Juliet's pending request with its id: Juliet would get
    // a result for "v1" from room/Romeo although she asked room/Mercutio.
    expect(sim.send(answer(ROMEO, "Juliet", fid))).toEqual([]);
    expect(sim.send(answer(MERCUTIO, "Juliet", fid))).toHaveLength(1);
  });

  test("an answer for a sender who has left is dropped", () => {
    const sim = verona();
    const [forwarded] = sim.send(versionGet(JULIET, "Mercutio"));
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet`, type: "unavailable" }));
    expect(sim.send(answer(MERCUTIO, "Juliet", forwarded!.attrs.id))).toEqual([]);
  });

  test("from someone not in the room: bad-request (§6.6), nothing forwarded", () => {
    const sim = verona();
    const out = sim.send(versionGet("tybalt@example.com/sword", "Juliet"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: "tybalt@example.com/sword", id: "v1" });
    expect(condition(out[0]!)).toBe("bad-request");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("modify");
  });

  test("to a nick nobody has: item-not-found", () => {
    const sim = verona();
    const out = sim.send(versionGet(JULIET, "Tybalt"));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/Tybalt`, to: JULIET, id: "v1" });
    expect(condition(out[0]!)).toBe("item-not-found");
  });

  test("a vCard get goes to the target's bare JID, and its answer comes back from the occupant JID", () => {
    const sim = verona();
    const [forwarded, ...rest] = sim.send(
      xml("iq", { from: JULIET, to: `${ROOM}/Mercutio`, type: "get", id: "vc1" }, xml("vCard", { xmlns: "vcard-temp" })),
    );
    expect(rest).toEqual([]);
    expect(forwarded!.attrs).toMatchObject({ type: "get", from: `${ROOM}/Juliet`, to: "mercutio@example.org" });
    const fid = forwarded!.attrs.id as string;
    const back = sim.send(
      xml(
        "iq",
        { from: "mercutio@example.org", to: `${ROOM}/Juliet`, type: "result", id: fid },
        xml("vCard", { xmlns: "vcard-temp" }, xml("FN", {}, "Mercutio")),
      ),
    );
    expect(transcript(sim, fid)).toMatchSnapshot();
    expect(back).toHaveLength(1);
    expect(back[0]!.attrs).toEqual({ type: "result", from: `${ROOM}/Mercutio`, to: JULIET, id: "vc1" });
    expect(back[0]!.getChild("vCard", "vcard-temp")!.getChildText("FN")).toBe("Mercutio");
  });
});

describe("XEP-0410 MUC Self-Ping", () => {
  test("a ping to one's own occupant JID while joined: a result from the room, nothing forwarded", () => {
    const sim = verona();
    const out = sim.send(xml("iq", { from: JULIET, to: `${ROOM}/Juliet`, type: "get", id: "sp1" }, xml("ping", { xmlns: NS.ping })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toEqual({ type: "result", from: `${ROOM}/Juliet`, to: JULIET, id: "sp1" });
  });

  test("not joined (any more): not-acceptable", () => {
    const sim = verona();
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet`, type: "unavailable" }));
    sim.take();
    const out = sim.send(xml("iq", { from: JULIET, to: `${ROOM}/Juliet`, type: "get", id: "sp2" }, xml("ping", { xmlns: NS.ping })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/Juliet`, to: JULIET, id: "sp2" });
    expect(condition(out[0]!)).toBe("not-acceptable");
  });

  test("another session of a joined account that did not join itself: not-acceptable", () => {
    const sim = verona();
    const phone = "juliet@example.com/phone";
    const out = sim.send(xml("iq", { from: phone, to: `${ROOM}/Juliet`, type: "get", id: "sp3" }, xml("ping", { xmlns: NS.ping })));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: phone, id: "sp3" });
    expect(condition(out[0]!)).toBe("not-acceptable");
  });

  test("a ping to someone else's occupant JID is forwarded like any IQ", () => {
    const sim = verona();
    const out = sim.send(xml("iq", { from: JULIET, to: `${ROOM}/Mercutio`, type: "get", id: "p3" }, xml("ping", { xmlns: NS.ping })));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "get", from: `${ROOM}/Juliet`, to: MERCUTIO });
  });
});

test("XEP-0410: a self-ping to a room that no longer exists (e.g. after a restart) says not joined", () => {
  const sim = new Sim();
  const out = sim.send(xml("iq", { type: "get", id: "sp", from: ROMEO, to: `${ROOM}/romeo` }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  expect(out).toHaveLength(1);
  expect(condition(out[0]!)).toBe("not-acceptable");
  expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
});
