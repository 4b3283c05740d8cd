// XEP-0045 §7.8.2 Mediated Invitation: an occupant asks the room to invite
// someone; the room sends the invitation from itself. And the decline, which
// the invitee sends through the room back to the inviter.
import { describe, expect, test } from "bun:test";
import { NS, xml, type Element } from "../lib/stanza.ts";
import { condition, join, JULIET, MERCUTIO, ROMEO, ROMEO2, ROOM, Sim, roomWith, configure as configureRoom } from "./helpers.ts";

const configure = (from: string, fields: Record<string, string>, id = "config1") => configureRoom(from, fields, id);

const HECATE = "hecate@example.com";
const CONFERENCE = "jabber:x:conference";

/** <message to=room><x xmlns='…muc#user'><invite to=…><reason/></invite></x></message>. */
function invitation(from: string, invitees: { to?: string; reason?: string }[], id = "inv1"): Element {
  return xml(
    "message",
    { from, to: ROOM, id },
    xml(
      "x",
      { xmlns: NS.mucUser },
      ...invitees.map(({ to, reason }) => xml("invite", to === undefined ? {} : { to }, ...(reason ? [xml("reason", {}, reason)] : []))),
    ),
  );
}

function decline(from: string, to: string | undefined, reason?: string, id = "dec1"): Element {
  return xml(
    "message",
    { from, to: ROOM, id },
    xml("x", { xmlns: NS.mucUser }, xml("decline", to === undefined ? {} : { to }, ...(reason ? [xml("reason", {}, reason)] : []))),
  );
}

/** Romeo (owner) and Juliet (participant) in a room. */
function romeoAndJuliet(): Sim {
  return roomWith([ROMEO, "romeo"], [JULIET, "juliet"]);
}

function inviteOf(message: Element): Element | undefined {
  return message.getChild("x", NS.mucUser)?.getChild("invite");
}

describe("mediated invitation (§7.8.2)", () => {
  test("the invitee gets it from the room, naming the inviter by real JID (as §7.8.2 and Prosody), with reason, body and jabber:x:conference", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(invitation(JULIET, [{ to: HECATE, reason: "Come to the balcony" }]));
    expect(sim.take()).toMatchSnapshot();

    // Only the invitee hears of it: nothing is broadcast to the occupants.
    expect(out).toHaveLength(1);
    const message = out[0]!;
    expect(message.name).toBe("message");
    expect(message.attrs).toEqual({ from: ROOM, to: HECATE, id: "inv1" });
    expect(message.attrs.type).toBeUndefined(); // a normal message, like the request
    const invite = inviteOf(message)!;
    // "the bare JID, full JID, or occupant JID of the inviter": an invitation from an occupant
    // JID reads, in poezio and profanity, as if the room itself invited; the invitee must know who.
    expect(invite.attrs).toEqual({ from: JULIET });
    expect(invite.getChildText("reason")).toBe("Come to the balcony");
    expect(message.getChild("x", NS.mucUser)!.getChild("password")).toBeUndefined();
    expect(message.getChildText("body")).toContain(ROOM);
    expect(message.getChildText("body")).toContain("Come to the balcony");
    expect(message.getChild("x", CONFERENCE)?.attrs).toMatchObject({ jid: ROOM });
  });

  test("non-anonymous room: the same, by real JID", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_whois": "anyone" }));
    sim.take();
    const out = sim.send(invitation(JULIET, [{ to: HECATE }]));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(inviteOf(out[0]!)!.attrs.from).toBe(JULIET);
  });

  test("password-protected room: the invitation carries the password", () => {
    const sim = romeoAndJuliet();
    sim.send(configure(ROMEO, { "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "cauldronburn" }));
    sim.take();
    const out = sim.send(invitation(ROMEO, [{ to: HECATE, reason: "Hey Hecate, this is the place for all good witches!" }]));
    expect(sim.take()).toMatchSnapshot();
    const x = out[0]!.getChild("x", NS.mucUser)!;
    expect(x.getChildText("password")).toBe("cauldronburn");
    expect(x.getChild("invite")!.getChildText("reason")).toBe("Hey Hecate, this is the place for all good witches!");
  });

  test("several invitees in one request (§7.8.2): one invitation each, each keeping the id", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(invitation(ROMEO, [{ to: HECATE, reason: "r1" }, { to: MERCUTIO }]));
    expect(out.map((m) => m.attrs.to)).toEqual([HECATE, MERCUTIO]);
    for (const m of out) {
      expect(m.attrs).toMatchObject({ from: ROOM, id: "inv1" });
      expect(inviteOf(m)!.attrs.from).toBe(ROMEO);
    }
    expect(inviteOf(out[0]!)!.getChildText("reason")).toBe("r1");
  });

  test("an invitation without an id goes out without one", () => {
    const sim = romeoAndJuliet();
    const request = invitation(JULIET, [{ to: HECATE }]);
    delete request.attrs.id;
    const out = sim.send(request);
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.id).toBeUndefined();
  });

  test("someone who is not an occupant is refused with not-acceptable, and the invitee hears nothing", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(invitation(MERCUTIO, [{ to: HECATE, reason: "Let's crash the party" }]));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    const reply = out[0]!;
    expect(reply.attrs).toMatchObject({ type: "error", from: ROOM, to: MERCUTIO, id: "inv1" });
    expect(condition(reply)).toBe("not-acceptable");
    expect(reply.getChild("error")!.attrs).toMatchObject({ type: "modify", by: ROOM });
  });

  test("an invitation without 'to' is refused (jid-malformed or bad-request), and nobody is invited", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(invitation(JULIET, [{ reason: "but to whom?" }]));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: JULIET });
    expect(["jid-malformed", "bad-request"]).toContain(condition(out[0]!)!);
    expect(out[0]!.getChild("error")!.attrs.type).toBe("modify");
  });

  test("one bad invitee refuses the whole request: no invitation goes out for the good one either", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(invitation(JULIET, [{ to: HECATE }, { to: "not a jid" }]));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.type).toBe("error");
    expect(condition(out[0]!)).toBe("jid-malformed");
  });

  test("an invitation to a room that does not exist is item-not-found", () => {
    const sim = new Sim();
    const out = sim.send(invitation(JULIET, [{ to: HECATE }]));
    expect(out).toHaveLength(1);
    expect(condition(out[0]!)).toBe("item-not-found");
  });

  test("an invitation does not touch the room", () => {
    const sim = romeoAndJuliet();
    // The room, not the whole state: the invitation is paid for from Juliet's rate-limit bucket (limits.ts).
    const before = sim.room();
    sim.send(invitation(JULIET, [{ to: HECATE }]));
    expect(sim.room()).toBe(before);
  });
});

describe("declining an invitation (§7.8.2)", () => {
  test("the room passes the decline on to the inviter, from the decliner's bare JID, with the reason", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(decline(`${HECATE}/broom`, "romeo@example.net", "Sorry, I'm too busy right now."));
    expect(sim.take()).toMatchSnapshot();
    expect(out).toHaveLength(1);
    const message = out[0]!;
    expect(message.attrs.from).toBe(ROOM);
    expect(message.attrs.to).toBe("romeo@example.net");
    const d = message.getChild("x", NS.mucUser)!.getChild("decline")!;
    expect(d.attrs).toEqual({ from: HECATE });
    expect(d.getChildText("reason")).toBe("Sorry, I'm too busy right now.");
    expect(sim.room()!.occupants.size).toBe(2); // the decliner never entered
  });

  test("a decline without a reason passes on without one", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(decline(`${HECATE}/broom`, ROMEO));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs.to).toBe(ROMEO);
    expect(out[0]!.getChild("x", NS.mucUser)!.getChild("decline")!.children).toHaveLength(0);
  });

  test("a decline without 'to' is a bad-request", () => {
    const sim = romeoAndJuliet();
    const out = sim.send(decline(`${HECATE}/broom`, undefined));
    expect(out).toHaveLength(1);
    expect(out[0]!.attrs).toMatchObject({ type: "error", to: `${HECATE}/broom` });
    expect(condition(out[0]!)).toBe("bad-request");
  });

  test("a decline to the occupant JID the invitation named reaches the inviter's real JID (§7.8.2: the service MUST handle declines)", () => {
    // An invitation naming the inviter by occupant JID (other services, or this one before it
    // named real JIDs) is declined to room@service/nick; the room must deliver it to the inviter.
    const sim = romeoAndJuliet();
    sim.send(join(ROMEO2, "romeo"));
    const inviter = `${ROOM}/romeo`;

    const out = sim.send(decline(`${HECATE}/broom`, inviter, "Not tonight"));
    // Nothing may be addressed back to the room's own occupant JID.
    expect(out.filter((m) => m.attrs.to === inviter)).toHaveLength(0);
    expect(out.map((m) => m.attrs.to).sort()).toEqual([ROMEO, ROMEO2].sort());
    for (const m of out) expect(m.getChild("x", NS.mucUser)!.getChild("decline")!.attrs.from).toBe(HECATE);
  });
});
