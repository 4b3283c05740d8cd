// XEP-0045 §10.2 Subsequent Room Configuration (the muc#roomconfig form, its
// effects, the 104/172/173 notices of §10.2.1), §10.1 locked new rooms and
// instant rooms, and §10.9 Destroying a Room.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { codes, condition, DOMAIN, groupchat, join, JULIET, leave, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, to, configure as configureRoom } from "./helpers.ts";

const configure = (from: string, fields: Record<string, string>, id = "config2") => configureRoom(from, fields, id);

const FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig";

/** <iq type='get'><query xmlns='…muc#owner'/></iq>: the owner asks for the form. */
function ownerGet(from: string, id = "config1", room = ROOM): Element {
  return xml("iq", { from, to: room, type: "get", id }, xml("query", { xmlns: NS.mucOwner }));
}

/** <iq type='set'><query xmlns='…muc#owner'>…</query></iq>. */
function ownerSet(from: string, id: string, ...children: Element[]): Element {
  return xml("iq", { from, to: ROOM, type: "set", id }, xml("query", { xmlns: NS.mucOwner }, ...children));
}

/**
 * A submitted data form as clients send it (XEP-0045 Example "Owner Submits
 * Configuration Form"): FORM_TYPE first, fields without a 'type' attribute.
 */
function submitted(fields: Record<string, string>, extra: Element[] = []): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "submit" },
    xml("field", { var: "FORM_TYPE" }, xml("value", {}, FORM_TYPE)),
    ...Object.entries(fields).map(([v, value]) => xml("field", { var: v }, xml("value", {}, value))),
    ...extra,
  );
}

function discoInfo(from: string, room = ROOM): Element {
  return xml("iq", { from, to: room, type: "get", id: "info1" }, xml("query", { xmlns: NS.discoInfo }));
}

function discoItems(from: string): Element {
  return xml("iq", { from, to: DOMAIN, type: "get", id: "items1" }, xml("query", { xmlns: NS.discoItems }));
}

function features(result: Element): string[] {
  return result.getChild("query", NS.discoInfo)!.getChildren("feature").map((f) => f.attrs.var as string);
}

/** var → values of a data form. */
function formValues(form: Element): Record<string, string[]> {
  const values: Record<string, string[]> = {};
  for (const f of form.getChildren("field")) values[f.attrs.var] = f.getChildren("value").map((v) => v.getText());
  return values;
}

function roomInfoValues(result: Element): Record<string, string[]> {
  return formValues(result.getChild("query", NS.discoInfo)!.getChild("x", NS.data)!);
}

function item(presence: Element): Record<string, string> | undefined {
  return presence.getChild("x", NS.mucUser)?.getChild("item")?.attrs;
}

/** The error element's type and 'by'. */
function errorAttrs(stanza: Element): Record<string, string> | undefined {
  return stanza.getChild("error")?.attrs;
}

/** Romeo (owner, two sessions) and Juliet (participant). */
function romeoAndJuliet(config = {}): Sim {
  const sim = new Sim(config);
  sim.send(join(ROMEO, "romeo"));
  sim.send(join(ROMEO2, "romeo"));
  sim.send(join(JULIET, "juliet"));
  sim.take();
  return sim;
}

/** Every field the service understands, set away from the defaults. */
const EVERYTHING = {
  "muc#roomconfig_roomname": "The Capulets' orchard",
  "muc#roomconfig_roomdesc": "Where love is sworn",
  "muc#roomconfig_publicroom": "0",
  "muc#roomconfig_persistentroom": "1",
  "muc#roomconfig_moderatedroom": "1",
  "muc#roomconfig_membersonly": "1",
  "muc#roomconfig_passwordprotectedroom": "1",
  "muc#roomconfig_roomsecret": "wherefore",
  "muc#roomconfig_whois": "anyone",
  "muc#roomconfig_historylength": "5",
  "muc#roomconfig_changesubject": "1",
};

describe("the configuration form (§10.2)", () => {
  test("the owner gets a muc#roomconfig form of type form with the current values", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(ownerGet(ROMEO));
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(1);
    const result = out[0]!;
    expect(result.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "config1" });
    const form = result.getChild("query", NS.mucOwner)!.getChild("x", NS.data)!;
    expect(form.attrs.type).toBe("form");
    const formType = form.getChildren("field").find((f) => f.attrs.var === "FORM_TYPE")!;
    expect(formType.attrs.type).toBe("hidden");
    expect(formType.getChildText("value")).toBe(FORM_TYPE);
    // A fresh room's defaults (lib/room-features.ts defaultRoomConfig), history length from the service config.
    expect(formValues(form)).toEqual({
      FORM_TYPE: [FORM_TYPE],
      "muc#roomconfig_roomname": [""],
      "muc#roomconfig_roomdesc": [""],
      "muc#roomconfig_persistentroom": ["0"],
      "muc#roomconfig_publicroom": ["1"],
      "muc#roomconfig_changesubject": ["0"],
      "muc#roomconfig_moderatedroom": ["0"],
      "muc#roomconfig_membersonly": ["0"],
      "muc#roomconfig_passwordprotectedroom": ["0"],
      "muc#roomconfig_roomsecret": [""],
      "muc#roomconfig_whois": ["moderators"],
      "muc#roomconfig_historylength": [String(sim.config.historyLength)],
      "muc#roomconfig_enablearchiving": ["1"],
      "muc#roomconfig_lang": [""],
      "muc#roomconfig_maxusers": ["200"], // the service's limit: MUC_MAX_OCCUPANTS, 200 by default
      "muc#roomconfig_allowpm": ["anyone"],
      "muc#roomconfig_allowinvites": ["1"],
      "muc#roomconfig_presencebroadcast": ["moderator", "participant", "visitor"],
      "muc#roomconfig_getmemberlist": ["moderator"],
      "muc#roomconfig_allowvoicerequests": ["1"],
      "muc#roomconfig_voicerequestmininterval": ["1800"],
      "muc#roomconfig_roomadmins": [],
      "muc#roomconfig_roomowners": ["romeo@example.net"],
    });
    // Booleans are typed boolean, the password text-private, whois a list with both options.
    const types = Object.fromEntries(form.getChildren("field").map((f) => [f.attrs.var, f.attrs.type]));
    expect(types["muc#roomconfig_persistentroom"]).toBe("boolean");
    expect(types["muc#roomconfig_roomsecret"]).toBe("text-private");
    expect(types["muc#roomconfig_whois"]).toBe("list-single");
    const whois = form.getChildren("field").find((f) => f.attrs.var === "muc#roomconfig_whois")!;
    expect(whois.getChildren("option").map((o) => o.getChildText("value"))).toEqual(["moderators", "anyone"]);
  });

  test("after a submission the form shows the new values", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, EVERYTHING));
    const out = sim.send(ownerGet(ROMEO, "config3"));
    const values = formValues(out[0]!.getChild("query", NS.mucOwner)!.getChild("x", NS.data)!);
    expect(values).toMatchObject({
      "muc#roomconfig_roomname": ["The Capulets' orchard"],
      "muc#roomconfig_roomdesc": ["Where love is sworn"],
      "muc#roomconfig_publicroom": ["0"],
      "muc#roomconfig_persistentroom": ["1"],
      "muc#roomconfig_moderatedroom": ["1"],
      "muc#roomconfig_membersonly": ["1"],
      "muc#roomconfig_passwordprotectedroom": ["1"],
      "muc#roomconfig_roomsecret": ["wherefore"],
      "muc#roomconfig_whois": ["anyone"],
      "muc#roomconfig_historylength": ["5"],
      "muc#roomconfig_changesubject": ["1"],
    });
  });

  test("a participant, or someone outside the room, is refused with forbidden (auth)", () => {
    const sim = romeoAndJuliet();
    const out = [...sim.send(ownerGet(JULIET)), ...sim.send(ownerGet(MERCUTIO, "config9"))];
    expect(sim.take()).toMatchSnapshot();

    expect(out).toHaveLength(2);
    for (const [reply, who] of [[out[0]!, JULIET], [out[1]!, MERCUTIO]] as const) {
      expect(reply.attrs).toMatchObject({ type: "error", from: ROOM, to: who });
      expect(condition(reply)).toBe("forbidden");
      expect(errorAttrs(reply)?.type).toBe("auth");
      expect(reply.getChild("query", NS.mucOwner)?.getChild("x")).toBeUndefined(); // no form leaks out
    }
  });

  test("a non-owner's submission is forbidden and changes nothing; nobody is notified", () => {
    const sim = romeoAndJuliet();
    const before = sim.room()!.config;
    const out = sim.send(configure(JULIET, { "muc#roomconfig_roomname": "Juliet's" }));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET, id: "config2" });
    expect(condition(out[0]!)).toBe("forbidden");
    expect(sim.room()!.config).toEqual(before);
  });

  test("a service admin, neither in the room nor affiliated, may fetch and submit the form", () => {
    const sim = romeoAndJuliet({ admins: ["mercutio@example.org"] });
    const got = sim.send(ownerGet(MERCUTIO));
    expect(got[0]!.attrs.type).toBe("result");
    expect(got[0]!.getChild("query", NS.mucOwner)!.getChild("x", NS.data)!.attrs.type).toBe("form");

    const out = sim.send(configure(MERCUTIO, { "muc#roomconfig_roomname": "Verona" }));
    expect(sim.take()).toMatchSnapshot();
    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: MERCUTIO, id: "config2" });
    expect(sim.room()!.config.name).toBe("Verona");
    // The admin is not an occupant: only the occupants' sessions get the 104 notice.
    expect(out.slice(1).map((m) => m.attrs.to).sort()).toEqual([JULIET, ROMEO, ROMEO2].sort());
  });

  test("asking a room that does not exist gives item-not-found", () => {
    const sim = new Sim();
    const out = sim.send(ownerGet(ROMEO));
    expect(condition(out[0]!)).toBe("item-not-found");
    expect(sim.room()).toBeUndefined();
  });
});

describe("submitting the form (§10.2, §10.2.1)", () => {
  test("the owner gets the result, then every session of every occupant gets 104 (and 172: now non-anonymous)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(configure(ROMEO, EVERYTHING));
    expect(sim.take()).toMatchSnapshot();

    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "config2" });
    expect(out[0]!.children).toHaveLength(0);
    const notices = out.filter((s) => s.name === "message");
    expect(notices.map((m) => m.attrs.to).sort()).toEqual([JULIET, ROMEO, ROMEO2].sort());
    // The room became members-only: Juliet (no affiliation) is removed with 322 (§10.2), told after the notices.
    const removals = out.filter((s) => s.name === "presence");
    expect(out.slice(1, 4)).toEqual(notices);
    expect(removals.map((p) => [p.attrs.from, p.attrs.to, p.attrs.type])).toEqual(
      [ROMEO, ROMEO2, JULIET].map((jid) => [`${ROOM}/juliet`, jid, "unavailable"]),
    );
    for (const p of removals) expect(codes(p)).toContain("322");
    expect(out).toHaveLength(1 + notices.length + removals.length);
    for (const notice of notices) {
      expect(notice.name).toBe("message");
      expect(notice.attrs).toMatchObject({ type: "groupchat", from: ROOM });
      // §10.2.1: the <x/> "shall contain only a <status/> element" per code; no body, no subject.
      expect(notice.getChildElements().map((c) => c.name)).toEqual(["x"]);
      expect(codes(notice)).toEqual(["104", "172"]);
      expect(notice.getChild("x", NS.mucUser)!.getChild("item")).toBeUndefined();
    }

    expect(sim.room()!.config).toMatchObject({
      name: "The Capulets' orchard",
      description: "Where love is sworn",
      public: false,
      persistent: true,
      moderated: true,
      membersOnly: true,
      password: "wherefore",
      whois: "anyone",
      changeSubject: true,
      historyLength: 5,
      archiving: true,
    });
  });

  test("disco#info (§6.4) reflects the new configuration: every muc_* feature flips", () => {
    const sim = romeoAndJuliet();
    const before = features(sim.send(discoInfo(MERCUTIO))[0]!);
    expect(before).toEqual(
      expect.arrayContaining(["muc_public", "muc_open", "muc_temporary", "muc_unmoderated", "muc_unsecured", "muc_semianonymous"]),
    );

    sim.send(configure(ROMEO, EVERYTHING));
    const info = sim.send(discoInfo(MERCUTIO))[0]!;
    const after = features(info);
    expect(after).toEqual(
      expect.arrayContaining(["muc_hidden", "muc_membersonly", "muc_persistent", "muc_moderated", "muc_passwordprotected", "muc_nonanonymous"]),
    );
    for (const gone of ["muc_public", "muc_open", "muc_temporary", "muc_unmoderated", "muc_unsecured", "muc_semianonymous"])
      expect(after).not.toContain(gone);
    expect(info.getChild("query", NS.discoInfo)!.getChild("identity")!.attrs.name).toBe("The Capulets' orchard");
    expect(roomInfoValues(info)).toMatchObject({
      "muc#roomconfig_roomname": ["The Capulets' orchard"],
      "muc#roominfo_description": ["Where love is sworn"],
      "muc#roominfo_changesubject": ["1"],
    });
  });

  test("a hidden room is left out of the service's disco#items; a public one is listed by its name (§6.3)", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_roomname": "Orchard" }));
    let items = sim.send(discoItems(MERCUTIO))[0]!.getChild("query", NS.discoItems)!.getChildren("item");
    expect(items.map((i) => i.attrs)).toEqual([{ jid: ROOM, name: "Orchard" }]);

    sim.send(configure(ROMEO, { "muc#roomconfig_publicroom": "0" }, "config3"));
    items = sim.send(discoItems(MERCUTIO))[0]!.getChild("query", NS.discoItems)!.getChildren("item");
    expect(items).toHaveLength(0);
    expect(features(sim.send(discoInfo(MERCUTIO))[0]!)).toContain("muc_hidden");
  });

  test("fields left out keep their values; a change that is not about privacy is notified with 104 alone", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomsecret": "rose" }));
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_roomname": "Orchard" }, "config3"));
    for (const notice of out.slice(1)) expect(codes(notice)).toEqual(["104"]);
    expect(sim.room()!.config).toMatchObject({ name: "Orchard", persistent: true, password: "rose", whois: "moderators" });
  });

  test("going back to semi-anonymous is notified with 173", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_whois": "anyone" }));
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_whois": "moderators" }, "config3"));
    expect(out).toHaveLength(4);
    for (const notice of out.slice(1)) expect(codes(notice)).toEqual(["104", "173"]);
    expect(features(sim.send(discoInfo(JULIET))[0]!)).toContain("muc_semianonymous");
  });

  test("true and false are booleans too (XEP-0004 §3.3)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "true", "muc#roomconfig_publicroom": "false" }));
    expect(out[0]!.attrs.type).toBe("result");
    expect(sim.room()!.config).toMatchObject({ persistent: true, public: false });
  });

  test("a history length above the service's maximum is capped to it", () => {
    const sim = romeoAndJuliet({ maxHistoryLength: 50 });
    sim.send(configure(ROMEO, { "muc#roomconfig_historylength": "1000" }));
    expect(sim.room()!.config.historyLength).toBe(50);
  });
});

describe("what the configuration changes", () => {
  test("password: without it, or with a wrong one, entry is not-authorized by the room (§7.2.6); with it, entry works", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "wherefore" }));
    sim.take();

    const none = sim.send(join(MERCUTIO, "mercutio"));
    const wrong = sim.send(join(MERCUTIO, "mercutio", ROOM, xml("password", {}, "art thou")));
    const right = sim.send(join(MERCUTIO, "mercutio", ROOM, xml("password", {}, "wherefore")));
    expect(sim.take()).toMatchSnapshot();

    for (const refused of [none, wrong]) {
      expect(refused).toHaveLength(1);
      expect(refused[0]!.attrs).toMatchObject({ type: "error", from: `${ROOM}/mercutio`, to: MERCUTIO });
      expect(condition(refused[0]!)).toBe("not-authorized");
      expect(errorAttrs(refused[0]!)).toMatchObject({ type: "auth", by: ROOM });
    }
    const self = to(right, MERCUTIO).find((s) => s.attrs.from === `${ROOM}/mercutio`)!;
    expect(codes(self)).toContain("110");
    expect(sim.room()!.occupants.size).toBe(3);
  });

  test("the password a joiner sent is kept nowhere: not in the occupant's session, not in storage, not after a restart", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "wherefore", "muc#roomconfig_persistentroom": "1" }));
    sim.send(join(MERCUTIO, "mercutio", ROOM, xml("password", {}, "wherefore"), xml("history", { maxstanzas: "0" })));
    const session = sim.room()!.occupants.get("mercutio")!.sessions[0]!;
    expect(session.presence.toString()).not.toContain("wherefore");
    expect(session.presence.getChild("x", NS.muc)).toBeUndefined();
    const stored = sim.store.db.query("SELECT data FROM occupants WHERE key = 'mercutio'").get() as { data: string };
    expect(stored.data).toContain("mercutio@example.org/street");
    expect(stored.data).not.toContain("wherefore");
    // A record written by an older version, with the join's <x/> in it, loses it when read.
    const old = JSON.parse(stored.data);
    old.sessions[0].presence = `<presence from="${MERCUTIO}" to="${ROOM}/mercutio"><x xmlns="${NS.muc}"><password>wherefore</password></x><show>away</show></presence>`;
    sim.store.db.query("UPDATE occupants SET data = ? WHERE key = 'mercutio'").run(JSON.stringify(old));
    const after = sim.restart();
    after.send(xml("message", { from: JULIET, to: ROOM, type: "groupchat", id: "x" }, xml("body", {}, "who is there?")));
    const restored = after.room()!.occupants.get("mercutio")!.sessions[0]!.presence;
    // What is passed on, and nothing else: not the <x/>, nor the addresses (the session knows its own).
    expect(restored.toString()).toBe(`<presence><show>away</show></presence>`);
  });

  test("password protection switched off removes the password", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "wherefore" }));
    sim.send(configure(ROMEO, { "muc#roomconfig_passwordprotectedroom": "0" }, "config3"));
    expect(sim.room()!.config.password).toBe("");
    expect(features(sim.send(discoInfo(MERCUTIO))[0]!)).toContain("muc_unsecured");
    expect(codes(to(sim.send(join(MERCUTIO, "mercutio")), MERCUTIO).at(-2)!)).toContain("110");
  });

  test("members-only: an unaffiliated user is refused with registration-required (§7.2.7); the owner still enters", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_membersonly": "1", "muc#roomconfig_persistentroom": "1" }));
    sim.take();
    const out = sim.send(join(MERCUTIO, "mercutio"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("registration-required");
    expect(errorAttrs(out[0]!)).toMatchObject({ type: "auth", by: ROOM });

    sim.send(leave(ROMEO, "romeo"));
    sim.send(leave(ROMEO2, "romeo"));
    const back = sim.send(join(ROMEO, "romeo"));
    expect(condition(back[0]!)).toBeUndefined();
    expect(codes(to(back, ROMEO).find((s) => s.attrs.from === `${ROOM}/romeo`)!)).toContain("110");
  });

  test("members-only: non-members already in the room are removed with 322 (§10.2: the service MUST remove them)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_membersonly": "1" }));
    // Juliet (affiliation none) must leave, and she and everyone remaining are told with 322.
    const removal = out.filter((s) => s.name === "presence" && s.attrs.type === "unavailable" && s.attrs.from === `${ROOM}/juliet`);
    expect(removal.map((p) => p.attrs.to).sort()).toEqual([JULIET, ROMEO, ROMEO2].sort());
    for (const p of removal) expect(codes(p)).toContain("322");
    expect(sim.room()!.occupants.size).toBe(1);
  });

  test("moderated: a new joiner is a visitor, and its groupchat is forbidden (§7.4); participants keep their voice", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_moderatedroom": "1" }));
    sim.take();
    const joined = sim.send(join(MERCUTIO, "mercutio"));
    const said = sim.send(groupchat(MERCUTIO, "A plague o' both your houses!"));
    expect(sim.take()).toMatchSnapshot();

    const self = to(joined, MERCUTIO).find((s) => s.attrs.from === `${ROOM}/mercutio`)!;
    expect(item(self)).toMatchObject({ affiliation: "none", role: "visitor" });
    expect(said).toHaveLength(1);
    expect(said[0]!.attrs).toMatchObject({ type: "error", to: MERCUTIO });
    expect(condition(said[0]!)).toBe("forbidden");
    expect(errorAttrs(said[0]!)?.by).toBe(ROOM);

    const juliet = sim.send(groupchat(JULIET, "Good night, good night!"));
    expect(juliet.map((m) => m.attrs.to).sort()).toEqual([JULIET, MERCUTIO, ROMEO, ROMEO2].sort());
  });

  test("whois anyone: a joiner gets 100 (§7.2.4), and participants see real JIDs both ways", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_whois": "anyone" }));
    sim.take();
    const out = sim.send(join(MERCUTIO, "mercutio"));
    expect(sim.take()).toMatchSnapshot();

    const self = to(out, MERCUTIO).find((s) => s.attrs.from === `${ROOM}/mercutio`)!;
    expect(codes(self).sort()).toEqual(["100", "110"]);
    // Juliet, a mere participant, now sees Mercutio's real JID, and he hers.
    const toJuliet = to(out, JULIET).find((s) => s.attrs.from === `${ROOM}/mercutio`)!;
    expect(item(toJuliet)?.jid).toBe(MERCUTIO);
    const julietSeen = to(out, MERCUTIO).find((s) => s.attrs.from === `${ROOM}/juliet`)!;
    expect(item(julietSeen)?.jid).toBe(JULIET);
  });

  test("semi-anonymous (the default): no 100, and participants do not see real JIDs", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(join(MERCUTIO, "mercutio"));
    const self = to(out, MERCUTIO).find((s) => s.attrs.from === `${ROOM}/mercutio`)!;
    expect(codes(self)).not.toContain("100");
    expect(item(to(out, JULIET)[0]!)?.jid).toBeUndefined();
  });

  test("changesubject: a participant may set the subject only once the room allows it (§8.1)", () => {
    const sim = romeoAndJuliet();
    const subject = (text: string) => xml("message", { from: JULIET, to: ROOM, type: "groupchat", id: "s1" }, xml("subject", {}, text));
    const refused = sim.send(subject("Balcony"));
    expect(refused).toHaveLength(1);
    expect(condition(refused[0]!)).toBe("forbidden");

    sim.send(configure(ROMEO, { "muc#roomconfig_changesubject": "1" }));
    sim.take();
    const out = sim.send(subject("Balcony"));
    expect(sim.take()).toMatchSnapshot();
    expect(out.map((m) => m.attrs.to).sort()).toEqual([JULIET, ROMEO, ROMEO2].sort());
    for (const m of out) {
      expect(m.attrs).toMatchObject({ from: `${ROOM}/juliet`, type: "groupchat" });
      expect(m.getChildText("subject")).toBe("Balcony");
    }
    expect(sim.room()!.subject).toEqual({ text: "Balcony", from: `${ROOM}/juliet`, by: "juliet@example.com", at: sim.now });
  });

  test("historylength 0: a joiner gets no discussion history, not even what was said before the change", () => {
    const sim = romeoAndJuliet();
    sim.send(groupchat(JULIET, "before", "m1"));
    sim.send(configure(ROMEO, { "muc#roomconfig_historylength": "0" }));
    sim.send(groupchat(JULIET, "after", "m2"));
    sim.take();
    const out = sim.send(join(MERCUTIO, "mercutio"));
    expect(sim.take()).toMatchSnapshot();
    expect(to(out, MERCUTIO).filter((s) => s.getChild("body") !== undefined)).toHaveLength(0);
    expect(to(out, MERCUTIO).filter((s) => s.getChild("delay", NS.delay) !== undefined)).toHaveLength(0);
  });

  test("historylength 1: a joiner gets only the last message", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_historylength": "1" }));
    sim.send(groupchat(JULIET, "one", "m1"));
    sim.send(groupchat(JULIET, "two", "m2"));
    const out = sim.send(join(MERCUTIO, "mercutio"));
    expect(to(out, MERCUTIO).filter((s) => s.getChild("body")).map((s) => s.getChildText("body"))).toEqual(["two"]);
  });
});

describe("cancelling, and forms the service will not take", () => {
  test("a form of type cancel gets a result and changes nothing (§10.2); nobody is notified", () => {
    const sim = romeoAndJuliet();
    const before = sim.room()!;
    const out = sim.send(ownerSet(ROMEO, "config2", xml("x", { xmlns: NS.data, type: "cancel" })));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "config2" });
    expect(sim.room()!.config).toEqual(before.config);
    expect(sim.room()!.occupants).toBe(before.occupants);
  });

  test("a malformed boolean is a bad-request (modify, as Prosody), and nothing changes", () => {
    const sim = romeoAndJuliet();
    const before = sim.room()!.config;
    const form = xml(
      "x",
      { xmlns: NS.data, type: "submit" },
      xml("field", { var: "FORM_TYPE" }, xml("value", {}, FORM_TYPE)),
      xml("field", { var: "muc#roomconfig_roomname" }, xml("value", {}, "Orchard")),
      xml("field", { var: "muc#roomconfig_persistentroom", type: "boolean" }, xml("value", {}, "maybe")),
    );
    const out = sim.send(ownerSet(ROMEO, "config2", form));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: ROMEO, id: "config2" });
    expect(condition(out[0]!)).toBe("bad-request");
    expect(errorAttrs(out[0]!)?.type).toBe("modify");
    expect(sim.room()!.config).toEqual(before); // not even the valid name
  });

  test("a malformed boolean without a type attribute (as clients submit, §10.1.3 example) is a bad-request too", () => {
    const sim = romeoAndJuliet();
    const before = sim.room()!.config;
    const out = sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "yes", "muc#roomconfig_publicroom": "maybe" }));
    expect(condition(out[0]!)).toBe("bad-request");
    expect(sim.room()!.config).toEqual(before);
  });

  test("a whois other than moderators or anyone, or a bad history length, is a bad-request", () => {
    const sim = romeoAndJuliet();
    const before = sim.room()!.config;
    for (const fields of [
      { "muc#roomconfig_whois": "none" },
      { "muc#roomconfig_historylength": "-1" },
      { "muc#roomconfig_historylength": "ten" },
      { "muc#roomconfig_historylength": "2.5" },
    ] as Record<string, string>[]) {
      const out = sim.send(configure(ROMEO, fields));
      expect(out).toHaveLength(1);
      expect(condition(out[0]!)).toBe("bad-request");
    }
    expect(sim.room()!.config).toEqual(before);
  });

  test("a FORM_TYPE other than muc#roomconfig is a bad-request", () => {
    const sim = romeoAndJuliet();
    const form = xml(
      "x",
      { xmlns: NS.data, type: "submit" },
      xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#register")),
      xml("field", { var: "muc#roomconfig_roomname" }, xml("value", {}, "Orchard")),
    );
    const out = sim.send(ownerSet(ROMEO, "config2", form));
    expect(condition(out[0]!)).toBe("bad-request");
    expect(sim.room()!.config.name).toBe("");
  });

  test("an unknown field is ignored and the rest applies (XEP-0004)", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(
      configure(ROMEO, { "muc#roomconfig_maxusers": "10", "x-custom#profanity": "strict", "muc#roomconfig_roomname": "Orchard" }),
    );
    expect(out[0]!.attrs.type).toBe("result");
    expect(out.slice(1)).toHaveLength(3);
    expect(sim.room()!.config.name).toBe("Orchard");
  });

  test("a set with neither a form nor <destroy/> is a bad-request", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(ownerSet(ROMEO, "config2"));
    expect(condition(out[0]!)).toBe("bad-request");
  });
});

describe("persistent and temporary rooms", () => {
  test("a persistent room stays when the last occupant leaves, keeping its configuration and owner", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1", "muc#roomconfig_roomname": "Orchard" }));
    for (const [jid, nick] of [[ROMEO, "romeo"], [ROMEO2, "romeo"], [JULIET, "juliet"]] as const) sim.send(leave(jid, nick));
    expect(sim.room()).toBeDefined();
    expect(sim.room()!.occupants.size).toBe(0);
    const info = sim.send(discoInfo(MERCUTIO))[0]!;
    expect(info.attrs.type).toBe("result");
    expect(roomInfoValues(info)["muc#roominfo_occupants"]).toEqual(["0"]);

    // Coming back is entering, not creating: no 201, and Romeo is still the owner.
    const back = sim.send(join(ROMEO, "romeo"));
    const self = to(back, ROMEO).find((s) => s.attrs.from === `${ROOM}/romeo`)!;
    expect(codes(self)).toEqual(["110"]);
    expect(item(self)).toMatchObject({ affiliation: "owner", role: "moderator" });
    expect(sim.room()!.config.name).toBe("Orchard");
  });

  test("a temporary room vanishes with its last occupant", () => {
    const sim = romeoAndJuliet();
    for (const [jid, nick] of [[ROMEO, "romeo"], [ROMEO2, "romeo"], [JULIET, "juliet"]] as const) sim.send(leave(jid, nick));
    expect(sim.room()).toBeUndefined();
    expect(condition(sim.send(discoInfo(MERCUTIO))[0]!)).toBe("item-not-found");
  });

  test("a submission that makes an empty room temporary removes it", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }));
    sim.send(leave(ROMEO, "romeo"));
    expect(sim.room()).toBeDefined();
    sim.take();

    const out = sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "0" }, "config3"));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "config3" });
    expect(sim.room()).toBeUndefined();
    expect(condition(sim.send(discoInfo(MERCUTIO))[0]!)).toBe("item-not-found");
  });

  test("a room with occupants that becomes temporary stays until its last occupant leaves", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "0" }, "config3"));
    expect(sim.room()).toBeDefined();
    for (const [jid, nick] of [[ROMEO, "romeo"], [ROMEO2, "romeo"], [JULIET, "juliet"]] as const) sim.send(leave(jid, nick));
    expect(sim.room()).toBeUndefined();
  });
});

describe("destroying a room (§10.9)", () => {
  function destroy(from: string, ...children: Element[]): Element {
    return ownerSet(from, "destroy1", xml("destroy", { jid: `coven@${DOMAIN}` }, ...children));
  }

  test("every session gets its own unavailable presence with <destroy/> (alternate venue, reason) and 110; then the owner's result", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(destroy(ROMEO, xml("reason", {}, "Macbeth doth come.")));
    expect(sim.take()).toMatchSnapshot();

    const presences = out.filter((s) => s.name === "presence");
    expect(presences.map((p) => p.attrs.to).sort()).toEqual([JULIET, ROMEO, ROMEO2].sort());
    for (const p of presences) {
      expect(p.attrs.type).toBe("unavailable");
      // Each session hears only of its own occupant: the room sends no one else's departure.
      expect(p.attrs.from).toBe(p.attrs.to === JULIET ? `${ROOM}/juliet` : `${ROOM}/romeo`);
      const x = p.getChild("x", NS.mucUser)!;
      expect(x.getChildElements().map((c) => c.name)).toEqual(["destroy", "item", "status"]);
      const d = x.getChild("destroy")!;
      expect(d.attrs.jid).toBe(`coven@${DOMAIN}`);
      expect(d.getChildText("reason")).toBe("Macbeth doth come.");
      expect(x.getChild("item")!.attrs.role).toBe("none");
      expect(codes(p)).toEqual(["110"]);
    }
    expect(out.at(-1)!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "destroy1" });
    expect(out).toHaveLength(4);

    expect(sim.room()).toBeUndefined();
    const info = sim.send(discoInfo(MERCUTIO))[0]!;
    expect(condition(info)).toBe("item-not-found");
    // The name is free again: the next join creates a new room (201).
    const again = sim.send(join(MERCUTIO, "mercutio"));
    expect(codes(again[0]!).sort()).toEqual(["110", "201"]);
  });

  test("a bare <destroy/> gives a bare <destroy/>", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(ownerSet(ROMEO, "destroy1", xml("destroy")));
    const toJuliet = to(out, JULIET)[0]!;
    const d = toJuliet.getChild("x", NS.mucUser)!.getChild("destroy")!;
    expect(d.attrs).toEqual({});
    expect(d.children).toHaveLength(0);
    expect(sim.room()).toBeUndefined();
  });

  test("a persistent room is destroyed too, even when empty", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    sim.send(configure(ROMEO, { "muc#roomconfig_persistentroom": "1" }));
    sim.send(leave(ROMEO, "romeo"));
    const out = sim.send(ownerSet(ROMEO, "destroy1", xml("destroy")));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.type).toBe("result");
    expect(sim.room()).toBeUndefined();
  });

  test("a non-owner's destroy is forbidden and the room carries on", () => {
    const sim = romeoAndJuliet();
    const before = sim.room();
    const out = sim.send(destroy(JULIET));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET, id: "destroy1" });
    expect(condition(out[0]!)).toBe("forbidden");
    expect(sim.room()).toBe(before);
  });

  test("a service admin may destroy any room", () => {
    const sim = romeoAndJuliet({ admins: ["mercutio@example.org"] });
    const out = sim.send(destroy(MERCUTIO));
    expect(out.at(-1)!.attrs).toMatchObject({ type: "result", to: MERCUTIO });
    expect(sim.room()).toBeUndefined();
  });
});

describe("locked rooms (§10.1.1, lockRooms)", () => {
  test("until the owner submits the form, others get item-not-found and the room is not listed", () => {
    const sim = new Sim({ lockRooms: true });
    const created = sim.send(join(ROMEO, "romeo"));
    expect(codes(created[0]!).sort()).toEqual(["110", "201"]);
    sim.take();

    const refused = sim.send(join(JULIET, "juliet"));
    const listed = sim.send(discoItems(MERCUTIO));
    expect(sim.take()).toMatchSnapshot();
    expect(refused).toHaveLength(1);
    expect(condition(refused[0]!)).toBe("item-not-found");
    expect(errorAttrs(refused[0]!)?.type).toBe("cancel");
    expect(listed[0]!.getChild("query", NS.discoItems)!.getChildren("item")).toHaveLength(0);
    expect(sim.room()!.occupants.size).toBe(1);

    // The owner's other session is the owner too: it may enter a locked room.
    expect(condition(sim.send(join(ROMEO2, "romeo"))[0]!)).toBeUndefined();

    sim.send(configure(ROMEO, { "muc#roomconfig_roomname": "Orchard" }));
    expect(sim.room()!.locked).toBe(false);
    const entered = sim.send(join(JULIET, "juliet"));
    expect(codes(to(entered, JULIET).find((s) => s.attrs.from === `${ROOM}/juliet`)!)).toContain("110");
    const items = sim.send(discoItems(MERCUTIO))[0]!.getChild("query", NS.discoItems)!.getChildren("item");
    expect(items.map((i) => i.attrs)).toEqual([{ jid: ROOM, name: "Orchard" }]);
  });

  test("an empty submit form accepts the default configuration: an instant room (§10.1.2)", () => {
    const sim = new Sim({ lockRooms: true });
    sim.send(join(ROMEO, "romeo"));
    const before = sim.room()!.config;
    sim.take();
    const out = sim.send(ownerSet(ROMEO, "create1", xml("x", { xmlns: NS.data, type: "submit" })));
    expect(sim.take()).toMatchSnapshot();
    expect(out[0]!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "create1" });
    expect(sim.room()!.locked).toBe(false);
    expect(sim.room()!.config).toEqual(before);
    expect(condition(sim.send(join(JULIET, "juliet"))[0]!)).toBeUndefined();
  });

  test("cancelling the initial configuration destroys the room (§10.1.1 step 6: MUST destroy)", () => {
    const sim = new Sim({ lockRooms: true });
    sim.send(join(ROMEO, "romeo"));
    sim.take();
    const out = sim.send(ownerSet(ROMEO, "create1", xml("x", { xmlns: NS.data, type: "cancel" })));
    expect(sim.take()).toMatchSnapshot();
    const gone = out.find((s) => s.name === "presence")!;
    expect(gone.attrs).toMatchObject({ type: "unavailable", from: `${ROOM}/romeo`, to: ROMEO });
    expect(gone.getChild("x", NS.mucUser)!.getChild("destroy")).toBeDefined();
    expect(out.at(-1)!.attrs).toEqual({ type: "result", from: ROOM, to: ROMEO, id: "create1" });
    expect(sim.room()).toBeUndefined();
  });

  test("rooms are not locked by default (lockRooms off)", () => {
    const sim = new Sim();
    sim.send(join(ROMEO, "romeo"));
    expect(sim.room()!.locked).toBe(false);
    expect(condition(sim.send(join(JULIET, "juliet"))[0]!)).toBeUndefined();
  });
});
