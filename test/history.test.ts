import { describe, expect, test } from "bun:test";
import {
  addToHistory,
  delayed,
  parseDateTime,
  parseHistoryRequest,
  selectHistory,
  type HistoryEntry,
} from "../lib/history.ts";
import { shouldStore } from "../lib/archive.ts";
import { serialiseAll } from "../lib/shell/output.ts";
import { NS, xml, type Element } from "../lib/stanza.ts";

const ROOM = "coven@chat.shakespeare.lit";
const T0 = Date.UTC(2002, 9, 13, 23, 58, 37); // 2002-10-13T23:58:37Z, XEP-0045's example
const SECOND = 1000;

function groupchat(nick: string, body: string, id = "id-1"): Element {
  return xml(
    "message",
    { from: `${ROOM}/${nick}`, to: "hag66@shakespeare.lit/pda", type: "groupchat", id },
    xml("body", {}, body),
  );
}

function join(history?: Record<string, string>): Element {
  return xml("x", { xmlns: NS.muc }, ...(history ? [xml("history", history)] : []));
}

/** A history of `n` messages "m1"…"mn", one every 10 seconds from T0, each exactly 100 chars long. */
function historyOf(n: number, maxLength = 100): HistoryEntry[] {
  let history: HistoryEntry[] = [];
  for (let i = 1; i <= n; i++) history = addToHistory(history, groupchat("x", `m${i}`), T0 + (i - 1) * 10 * SECOND, maxLength);
  return history.map((entry) => ({ ...entry, chars: 100 }));
}

const bodies = (entries: readonly HistoryEntry[]) => entries.map((entry) => entry.stanza.getChildText("body"));

describe("parseHistoryRequest", () => {
  test("no <history/>: no limits", () => {
    expect(parseHistoryRequest(join())).toEqual({});
    expect(parseHistoryRequest(join({}))).toEqual({});
  });

  test("every attribute", () => {
    expect(
      parseHistoryRequest(join({ maxstanzas: "20", maxchars: "65000", seconds: "180", since: "1970-01-01T00:00:00Z" })),
    ).toEqual({ maxstanzas: 20, maxchars: 65000, seconds: 180, since: 0 });
  });

  test("zero is a value, not an absence", () => {
    expect(parseHistoryRequest(join({ maxstanzas: "0", maxchars: "0", seconds: "0" }))).toEqual({
      maxstanzas: 0,
      maxchars: 0,
      seconds: 0,
    });
  });

  test("malformed, negative and fractional values are ignored", () => {
    for (const bad of ["-1", "abc", "", "1.5", "1e3", "0x10", "99999999999999999999"]) {
      expect(parseHistoryRequest(join({ maxstanzas: bad, maxchars: bad, seconds: bad, since: bad }))).toEqual({});
    }
    expect(parseHistoryRequest(join({ maxstanzas: "-5", maxchars: "100" }))).toEqual({ maxchars: 100 });
  });

  test("xs:int lexical forms: leading + and surrounding whitespace", () => {
    expect(parseHistoryRequest(join({ maxstanzas: "+5", seconds: " 30 " }))).toEqual({ maxstanzas: 5, seconds: 30 });
  });

  test("a <history/> may repeat the MUC namespace", () => {
    const x = xml("x", { xmlns: NS.muc }, xml("history", { xmlns: NS.muc, maxstanzas: "1" }));
    expect(parseHistoryRequest(x)).toEqual({ maxstanzas: 1 });
  });

  test("a <history/> in another namespace is not ours", () => {
    const x = xml("x", { xmlns: NS.muc }, xml("history", { xmlns: "urn:example", maxstanzas: "1" }));
    expect(parseHistoryRequest(x)).toEqual({});
  });
});

describe("parseDateTime (XEP-0082)", () => {
  test("UTC, fractions and offsets", () => {
    expect(parseDateTime("2002-10-13T23:58:37Z")).toBe(T0);
    expect(parseDateTime("2002-10-13T23:58:37.123Z")).toBe(T0 + 123);
    expect(parseDateTime("2002-10-13T23:58:37.5Z")).toBe(T0 + 500);
    expect(parseDateTime("2002-10-13T23:58:37.123456Z")).toBe(T0 + 123);
    expect(parseDateTime("2002-10-14T01:58:37+02:00")).toBe(T0);
    expect(parseDateTime("2002-10-13T18:28:37-05:30")).toBe(T0);
    expect(parseDateTime("0050-01-01T00:00:00Z")).toBe(Date.parse("0050-01-01T00:00:00Z"));
  });

  test("leap days only in leap years", () => {
    expect(parseDateTime("2000-02-29T00:00:00Z")).toBe(Date.UTC(2000, 1, 29));
    expect(parseDateTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseDateTime("1900-02-29T00:00:00Z")).toBeUndefined();
    expect(parseDateTime("2023-02-29T00:00:00Z")).toBeUndefined();
  });

  test("not a DateTime", () => {
    for (const bad of [
      "2002-10-13T23:58:37", // no time zone
      "2002-10-13",
      "20021013T23:58:37Z", // XEP-0091's legacy format
      "2002-13-01T00:00:00Z",
      "2002-04-31T00:00:00Z",
      "2002-10-13T24:00:00Z",
      "2002-10-13T23:60:00Z",
      "2002-10-13T23:58:60Z",
      "2002-10-13T23:58:37+15:00",
      "2002-10-13 23:58:37Z",
      "yesterday",
    ]) {
      expect(parseDateTime(bad)).toBeUndefined();
    }
  });
});

describe("shouldStore", () => {
  test("a groupchat message with a body", () => {
    expect(shouldStore(groupchat("firstwitch", "Thrice the brinded cat hath mew'd."))).toBe(true);
  });

  test("a body in one of several languages is enough", () => {
    const message = xml("message", { type: "groupchat" }, xml("body", { "xml:lang": "de" }), xml("body", {}, "hi"));
    expect(shouldStore(message)).toBe(true);
  });

  test("no body, an empty body, or a body in a foreign namespace: not history", () => {
    expect(shouldStore(xml("message", { type: "groupchat" }))).toBe(false);
    expect(shouldStore(xml("message", { type: "groupchat" }, xml("body")))).toBe(false);
    expect(shouldStore(xml("message", { type: "groupchat" }, xml("body", { xmlns: "urn:example" }, "hi")))).toBe(false);
    const chatState = xml("message", { type: "groupchat" }, xml("composing", { xmlns: "http://jabber.org/protocol/chatstates" }));
    expect(shouldStore(chatState)).toBe(false);
  });

  test("a subject change is not history", () => {
    expect(shouldStore(xml("message", { type: "groupchat" }, xml("subject", {}, "Fire Burn and Cauldron Bubble!")))).toBe(false);
  });

  test("<store/> hint keeps a message without a body", () => {
    const reaction = xml(
      "message",
      { type: "groupchat" },
      xml("reactions", { xmlns: "urn:xmpp:reactions:0", id: "x" }, xml("reaction", {}, "👍")),
      xml("store", { xmlns: NS.hints }),
    );
    expect(shouldStore(reaction)).toBe(true);
  });

  test("<no-store/> and <no-permanent-store/> keep a message with a body out, and win over <store/>", () => {
    for (const name of ["no-store", "no-permanent-store"]) {
      expect(shouldStore(groupchat("x", "off the record"))).toBe(true);
      const hinted = groupchat("x", "off the record");
      hinted.append(xml(name, { xmlns: NS.hints }));
      expect(shouldStore(hinted)).toBe(false);
      hinted.append(xml("store", { xmlns: NS.hints }));
      expect(shouldStore(hinted)).toBe(false);
    }
  });

  test("hints in another namespace are not hints", () => {
    const message = groupchat("x", "hello");
    message.append(xml("no-store", { xmlns: "urn:example" }));
    expect(shouldStore(message)).toBe(true);
  });

  test("never an error, never a non-groupchat message", () => {
    const error = groupchat("x", "oops");
    error.attrs.type = "error";
    expect(shouldStore(error)).toBe(false);
    for (const type of ["chat", "normal", "headline", undefined]) {
      expect(shouldStore(xml("message", { type }, xml("body", {}, "hi")))).toBe(false);
    }
    expect(shouldStore(xml("presence", { type: "groupchat" }, xml("body", {}, "hi")))).toBe(false);
  });
});

describe("addToHistory", () => {
  test("stores a copy without `to`, with the time and its length", () => {
    const message = groupchat("firstwitch", "Thrice the brinded cat hath mew'd.", "brinded-cat");
    const before = message.toString();
    const history = addToHistory([], message, T0, 20);
    expect(history).toHaveLength(1);
    const [entry] = history;
    expect(entry!.at).toBe(T0);
    expect(entry!.stanza.attrs.to).toBeUndefined();
    expect(entry!.chars).toBe(entry!.stanza.toString().length);
    expect(entry!.stanza.toString()).toMatchSnapshot();
    expect(message.toString()).toBe(before);
    expect(entry!.stanza).not.toBe(message);
  });

  test("returns a new array and leaves the old one alone", () => {
    const first = addToHistory([], groupchat("x", "m1"), T0, 20);
    const second = addToHistory(first, groupchat("x", "m2"), T0 + SECOND, 20);
    expect(bodies(first)).toEqual(["m1"]);
    expect(bodies(second)).toEqual(["m1", "m2"]);
  });

  test("bounded: keeps the newest maxLength, dropping the oldest", () => {
    expect(bodies(historyOf(5, 3))).toEqual(["m3", "m4", "m5"]);
    expect(bodies(historyOf(3, 3))).toEqual(["m1", "m2", "m3"]);
    expect(bodies(historyOf(5, 1))).toEqual(["m5"]);
  });

  test("shrinking the limit trims an existing history", () => {
    expect(bodies(addToHistory(historyOf(10), groupchat("x", "new"), T0, 2))).toEqual(["m10", "new"]);
  });

  test("maxLength 0 (or less) keeps nothing", () => {
    expect(addToHistory(historyOf(3), groupchat("x", "m"), T0, 0)).toEqual([]);
    expect(addToHistory([], groupchat("x", "m"), T0, -1)).toEqual([]);
  });
});

describe("selectHistory", () => {
  // m1 … m10 at T0, T0+10s, … T0+90s; each counts 100 chars.
  const history = historyOf(10);
  const now = T0 + 100 * SECOND;

  test("no request: the newest defaultMax, oldest first", () => {
    expect(bodies(selectHistory(history, {}, now, 20))).toEqual(bodies(history));
    expect(bodies(selectHistory(history, {}, now, 3))).toEqual(["m8", "m9", "m10"]);
    expect(selectHistory([], {}, now, 20)).toEqual([]);
  });

  test("maxstanzas alone", () => {
    expect(bodies(selectHistory(history, { maxstanzas: 2 }, now, 20))).toEqual(["m9", "m10"]);
    expect(bodies(selectHistory(history, { maxstanzas: 50 }, now, 20))).toHaveLength(10);
  });

  test("maxstanzas is capped at defaultMax", () => {
    expect(bodies(selectHistory(history, { maxstanzas: 8 }, now, 3))).toEqual(["m8", "m9", "m10"]);
  });

  test("maxchars alone: from the newest back, stopping before the total exceeds it", () => {
    expect(bodies(selectHistory(history, { maxchars: 300 }, now, 20))).toEqual(["m8", "m9", "m10"]);
    expect(bodies(selectHistory(history, { maxchars: 399 }, now, 20))).toEqual(["m8", "m9", "m10"]);
    expect(bodies(selectHistory(history, { maxchars: 99 }, now, 20))).toEqual([]);
    expect(bodies(selectHistory(history, { maxchars: 100_000 }, now, 20))).toHaveLength(10);
  });

  test("maxchars counts each entry's own length", () => {
    const mixed = history.map((entry, i) => ({ ...entry, chars: i === 8 ? 500 : 10 })); // m9 is long
    expect(bodies(selectHistory(mixed, { maxchars: 509 }, now, 20))).toEqual(["m10"]);
    expect(bodies(selectHistory(mixed, { maxchars: 510 }, now, 20))).toEqual(["m9", "m10"]);
  });

  test("seconds alone: only entries received less than that long ago", () => {
    // now - 30s = T0+70s, which is m8's time: m8 is not newer than that.
    expect(bodies(selectHistory(history, { seconds: 30 }, now, 20))).toEqual(["m9", "m10"]);
    expect(bodies(selectHistory(history, { seconds: 31 }, now, 20))).toEqual(["m8", "m9", "m10"]);
    expect(bodies(selectHistory(history, { seconds: 5 }, now, 20))).toEqual([]);
    expect(bodies(selectHistory(history, { seconds: 3600 }, now, 20))).toHaveLength(10);
  });

  test("since alone: only entries strictly after it", () => {
    expect(bodies(selectHistory(history, { since: T0 + 70 * SECOND }, now, 20))).toEqual(["m9", "m10"]);
    expect(bodies(selectHistory(history, { since: T0 + 70 * SECOND - 1 }, now, 20))).toEqual(["m8", "m9", "m10"]);
    expect(bodies(selectHistory(history, { since: 0 }, now, 20))).toHaveLength(10);
    expect(bodies(selectHistory(history, { since: now }, now, 20))).toEqual([]);
  });

  test("limits combine: the strictest wins", () => {
    const since = T0 + 45 * SECOND; // m6…m10
    expect(bodies(selectHistory(history, { maxstanzas: 4, maxchars: 1000, seconds: 1000, since }, now, 20))).toEqual([
      "m7",
      "m8",
      "m9",
      "m10",
    ]);
    expect(bodies(selectHistory(history, { maxstanzas: 4, maxchars: 250, seconds: 1000, since }, now, 20))).toEqual([
      "m9",
      "m10",
    ]);
    expect(bodies(selectHistory(history, { maxstanzas: 4, maxchars: 1000, seconds: 25, since }, now, 20))).toEqual([
      "m9",
      "m10",
    ]);
    expect(bodies(selectHistory(history, { maxstanzas: 9, maxchars: 1000, seconds: 1000, since }, now, 20))).toEqual([
      "m6",
      "m7",
      "m8",
      "m9",
      "m10",
    ]);
    expect(bodies(selectHistory(history, { maxstanzas: 4, maxchars: 1000, since }, now, 1))).toEqual(["m10"]);
  });

  test("zero values mean nothing", () => {
    expect(selectHistory(history, { maxstanzas: 0 }, now, 20)).toEqual([]);
    expect(selectHistory(history, { maxchars: 0 }, now, 20)).toEqual([]);
    expect(selectHistory(history, { seconds: 0 }, now, 20)).toEqual([]);
    expect(selectHistory(history, {}, now, 0)).toEqual([]);
  });

  test("a request parsed from a join", () => {
    const request = parseHistoryRequest(join({ maxstanzas: "5", since: "2002-10-13T23:59:50Z" })); // T0 + 73s
    expect(bodies(selectHistory(history, request, now, 20))).toEqual(["m9", "m10"]);
  });

  test("returns the stored entries themselves, leaving the history alone", () => {
    const selected = selectHistory(history, { maxstanzas: 2 }, now, 20);
    expect(selected[0]).toBe(history[8]!);
    expect(history).toHaveLength(10);
  });
});

describe("delayed", () => {
  const entry = addToHistory([], groupchat("secondwitch", "Thrice and once the hedge-pig whined.", "hedge-pig"), T0, 20)[0]!;

  test("addressed to the recipient, with a XEP-0203 delay from the room", () => {
    const sent = delayed(entry, ROOM, "hecate@shakespeare.lit/broom");
    expect(sent.toString()).toMatchSnapshot();
    expect(sent.attrs.to).toBe("hecate@shakespeare.lit/broom");
    const delay = sent.getChild("delay", NS.delay)!;
    expect(delay.attrs).toEqual({ xmlns: NS.delay, from: ROOM, stamp: "2002-10-13T23:58:37Z" });
  });

  test("milliseconds are kept in the stamp when there are some", () => {
    const sent = delayed({ ...entry, at: T0 + 250 }, ROOM, "hecate@shakespeare.lit/broom");
    expect(sent.getChild("delay", NS.delay)!.attrs.stamp).toBe("2002-10-13T23:58:37.250Z");
  });

  test("does not touch the stored entry", () => {
    const before = entry.stanza.toString();
    delayed(entry, ROOM, "a@b/c");
    delayed(entry, ROOM, "d@e/f");
    expect(entry.stanza.toString()).toBe(before);
    expect(entry.stanza.getChild("delay")).toBeUndefined();
  });

  test("every joiner's copy is its own stanza around one shared payload, rendered as the stored message with the delay", () => {
    const [a, b] = [delayed(entry, ROOM, "a@b/c"), delayed(entry, ROOM, "d@e/f")];
    expect(a).not.toBe(b);
    expect(a.children).toBe(b.children); // built once per entry, so rendered once (serialise.ts renderOnce)
    expect(serialiseAll([a, b])).toBe(a.toString() + b.toString());
    expect(b.toString()).toBe(a.toString().replace('to="a@b/c"', 'to="d@e/f"'));
    // Another room's view (a room keeps its own entries; this only shows the payload is per room).
    expect(delayed(entry, "other@chat.shakespeare.lit", "a@b/c").children).not.toBe(a.children);
  });

  test("replaces an earlier delay from the room, keeps other delays", () => {
    const message = groupchat("secondwitch", "forwarded", "fwd-1");
    message.append(xml("delay", { xmlns: NS.delay, from: ROOM, stamp: "1999-01-01T00:00:00Z" }));
    message.append(xml("delay", { xmlns: NS.delay, from: "shakespeare.lit", stamp: "2002-10-13T20:00:00Z" }));
    const [stored] = addToHistory([], message, T0, 20);
    const sent = delayed(stored!, ROOM, "hecate@shakespeare.lit/broom");
    expect(sent.toString()).toMatchSnapshot();
    const delays = sent.getChildren("delay", NS.delay);
    expect(delays.map((d) => d.attrs.from)).toEqual(["shakespeare.lit", ROOM]);
    expect(delays[1]!.attrs.stamp).toBe("2002-10-13T23:58:37Z");
  });
});
