// XEP-0045 §6.4 Querying for Room Information (XEP-0030 disco#info with the
// muc#roominfo form, §15.5.4), §6.5 room items, and XEP-0199 ping to a room.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, DOMAIN, join, JULIET, MERCUTIO, ROMEO, ROOM, Sim, roomWith } from "./helpers.ts";

function balcony(): Sim {
  return roomWith([ROMEO, "Romeo"], [JULIET, "Juliet"]);
}

function discoInfo(from: string, roomJid = ROOM, id = "info1"): Element {
  return xml("iq", { from, to: roomJid, type: "get", id }, xml("query", { xmlns: NS.discoInfo }));
}

/** var → values of a jabber:x:data form. */
function formFields(form: Element): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const field of form.getChildren("field")) fields[field.attrs.var] = field.getChildren("value").map((v) => v.getText());
  return fields;
}

function roomInfoForm(reply: Element): Element {
  const forms = reply.getChild("query", NS.discoInfo)!.getChildren("x", NS.data);
  const form = forms.find((f) => formFields(f).FORM_TYPE?.[0] === "http://jabber.org/protocol/muc#roominfo");
  expect(form).toBeDefined();
  return form!;
}

describe("room disco#info (§6.4)", () => {
  test("identity, muc features for a default room, and the muc#roominfo form", () => {
    const sim = balcony();
    const out = sim.send(discoInfo(MERCUTIO)); // anyone may ask, not only occupants
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    const [reply] = out;
    expect(reply!.attrs).toMatchObject({ type: "result", from: ROOM, to: MERCUTIO, id: "info1" });
    const query = reply!.getChild("query", NS.discoInfo)!;
    const identities = query.getChildren("identity");
    expect(identities).toHaveLength(1);
    expect(identities[0]!.attrs).toEqual({ category: "conference", type: "text", name: "room" });

    const features = query.getChildren("feature").map((f) => f.attrs.var);
    for (const feature of [
      NS.muc,
      "muc_public",
      "muc_open",
      "muc_temporary",
      "muc_unmoderated",
      "muc_unsecured",
      "muc_semianonymous",
      "http://jabber.org/protocol/muc#stable_id",
    ])
      expect(features).toContain(feature);
    // Exactly one of each pair (§15.2.2): never both a feature and its opposite.
    for (const opposite of ["muc_hidden", "muc_membersonly", "muc_persistent", "muc_moderated", "muc_passwordprotected", "muc_nonanonymous"])
      expect(features).not.toContain(opposite);
    expect(new Set(features).size).toBe(features.length);

    const fields = formFields(roomInfoForm(reply!));
    expect(roomInfoForm(reply!).attrs.type).toBe("result");
    expect(fields["muc#roominfo_occupants"]).toEqual(["2"]);
    expect(fields["muc#roominfo_subject"]).toEqual([""]);
  });

  test("the form follows the room: occupant count and subject", () => {
    const sim = balcony();
    sim.send(xml("message", { from: ROMEO, to: ROOM, type: "groupchat", id: "s1" }, xml("subject", {}, "Verona")));
    sim.send(join(MERCUTIO, "Mercutio"));
    let fields = formFields(roomInfoForm(sim.send(discoInfo(JULIET))[0]!));
    expect(fields["muc#roominfo_occupants"]).toEqual(["3"]);
    expect(fields["muc#roominfo_subject"]).toEqual(["Verona"]);

    sim.send(xml("presence", { from: MERCUTIO, to: `${ROOM}/Mercutio`, type: "unavailable" }));
    fields = formFields(roomInfoForm(sim.send(discoInfo(JULIET))[0]!));
    expect(fields["muc#roominfo_occupants"]).toEqual(["2"]);
  });

  test("a room that does not exist: item-not-found", () => {
    const sim = balcony();
    const out = sim.send(discoInfo(JULIET, `nowhere@muc.example.org`, "info2"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", from: "nowhere@muc.example.org", to: JULIET, id: "info2" });
    expect(condition(out[0]!)).toBe("item-not-found");
    expect(out[0]!.getChild("error")!.attrs.type).toBe("cancel");
    // Asking did not create it.
    expect(sim.room("nowhere@muc.example.org")).toBeUndefined();
  });

  test("a temporary room ends with its last occupant: then item-not-found", () => {
    const sim = balcony();
    sim.send(xml("presence", { from: ROMEO, to: `${ROOM}/Romeo`, type: "unavailable" }));
    sim.send(xml("presence", { from: JULIET, to: `${ROOM}/Juliet`, type: "unavailable" }));
    const out = sim.send(discoInfo(MERCUTIO));
    expect(condition(out[0]!)).toBe("item-not-found");
  });
});

describe("room disco#items (§6.5) and ping", () => {
  test("disco#items of a semi-anonymous room: a result that lists nobody", () => {
    const sim = balcony();
    const out = sim.send(xml("iq", { from: MERCUTIO, to: ROOM, type: "get", id: "items1" }, xml("query", { xmlns: NS.discoItems })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "result", from: ROOM, to: MERCUTIO, id: "items1" });
    const query = out[0]!.getChild("query", NS.discoItems)!;
    expect(query).toBeDefined();
    // Occupant JIDs are not given away to a non-occupant of a semi-anonymous room.
    expect(query.getChildren("item")).toEqual([]);
  });

  test("disco#items of a room that does not exist: item-not-found", () => {
    const sim = new Sim();
    const out = sim.send(xml("iq", { from: MERCUTIO, to: ROOM, type: "get", id: "items2" }, xml("query", { xmlns: NS.discoItems })));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("item-not-found");
  });

  test("XEP-0199 ping to the room: an empty result with the same id", () => {
    const sim = balcony();
    const out = sim.send(xml("iq", { from: JULIET, to: ROOM, type: "get", id: "ping1" }, xml("ping", { xmlns: NS.ping })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: JULIET, id: "ping1" });
    expect(out[0]!.children).toHaveLength(0);
  });
});

describe("the room directory (service disco#items, §6.3) with storage", () => {
  const items = (out: Element[]) => out[0]!.getChild("query", NS.discoItems)!.getChildren("item").map((i) => i.attrs.jid as string);
  const set = (out: Element[]) => out[0]!.getChild("query", NS.discoItems)!.getChild("set", NS.rsm);
  const discoItems = (rsm: Record<string, string> = {}) =>
    xml(
      "iq",
      { from: JULIET, to: DOMAIN, type: "get", id: "items" },
      xml("query", { xmlns: NS.discoItems }, ...(Object.keys(rsm).length ? [xml("set", { xmlns: NS.rsm }, ...Object.entries(rsm).map(([k, v]) => xml(k, {}, v)))] : [])),
    );

  /** `n` persistent public rooms r00…, stored and (but for the last) gone from memory (an empty cache). */
  function stored(n: number): Sim {
    const sim = new Sim({ roomCacheSize: 0, directoryPageSize: 10, roomCreationsPerMinute: 100 }); // one owner makes them all at once
    for (let i = 0; i < n; i++) {
      const room = `r${String(i).padStart(2, "0")}@${DOMAIN}`;
      sim.send(xml("presence", { from: ROMEO, to: `${room}/Romeo` }, xml("x", { xmlns: NS.muc })));
      sim.send(xml("iq", { from: ROMEO, to: room, type: "set", id: "c" }, xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "muc#roomconfig_persistentroom" }, xml("value", {}, "1"))))));
      sim.send(xml("presence", { from: ROMEO, to: `${room}/Romeo`, type: "unavailable" }));
    }
    return sim;
  }

  test("persistent rooms are listed whether or not they are in memory, hidden ones are not, temporary ones are", () => {
    const sim = stored(3);
    expect(sim.state.rooms.size).toBe(1); // only the last one handled is still in memory
    sim.send(xml("presence", { from: JULIET, to: `zz-temporary@${DOMAIN}/Juliet` }, xml("x", { xmlns: NS.muc })));
    sim.send(xml("iq", { from: ROMEO, to: `r01@${DOMAIN}`, type: "set", id: "h" }, xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }, xml("field", { var: "muc#roomconfig_publicroom" }, xml("value", {}, "0"))))));
    expect(items(sim.send(discoItems()))).toEqual([`r00@${DOMAIN}`, `r02@${DOMAIN}`, `zz-temporary@${DOMAIN}`]);
  });

  test("a long list is paged with RSM (XEP-0059): each room once, in JID order", () => {
    const sim = stored(25);
    const first = sim.send(discoItems());
    expect(items(first)).toHaveLength(10);
    expect(set(first)!.getChildText("last")).toBe(`r09@${DOMAIN}`);
    const seen = [...items(first)];
    let after = set(first)!.getChildText("last")!;
    for (let i = 0; i < 5 && after; i++) {
      const next = sim.send(discoItems({ max: "10", after }));
      seen.push(...items(next));
      after = set(next)?.getChildText("last") ?? "";
      if (items(next).length < 10) break;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${String(i).padStart(2, "0")}@${DOMAIN}`));
  });

  test("a short list without RSM in the request has no <set/> (as before)", () => {
    const sim = stored(2);
    expect(set(sim.send(discoItems()))).toBeUndefined();
  });
});
