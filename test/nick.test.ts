import { describe, expect, test } from "bun:test";
import { nickKey, normalizeNick, type NickResult } from "../lib/nick.ts";

function accepted(raw: string, maxLength?: number): { nick: string; key: string } {
  const result = normalizeNick(raw, maxLength);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted, got ${result.condition}: ${result.text}`);
  return { nick: result.nick, key: result.key };
}

function refused(raw: string | undefined, maxLength?: number): Extract<NickResult, { ok: false }> {
  const result = normalizeNick(raw, maxLength);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(result.nick)}`);
  return result;
}

describe("accepted nicknames", () => {
  test("plain ASCII is kept as is, the key is lower case", () => {
    expect(accepted("Romeo")).toEqual({ nick: "Romeo", key: "romeo" });
    expect(accepted("thirdwitch")).toEqual({ nick: "thirdwitch", key: "thirdwitch" });
    expect(accepted("a.b-c_d[1]{2}")).toEqual({ nick: "a.b-c_d[1]{2}", key: "a.b-c_d[1]{2}" });
  });

  test("letters in any script", () => {
    expect(accepted("Jürgen")).toEqual({ nick: "Jürgen", key: "jürgen" });
    expect(accepted("日本語")).toEqual({ nick: "日本語", key: "日本語" });
    expect(accepted("Ωμέγα").key).toBe("ωμέγα");
    expect(accepted("محمد").nick).toBe("محمد");
  });

  test("emoji, as in Prosody's muc_nickname_robotface test", () => {
    expect(accepted("🤖 robot")).toEqual({ nick: "🤖 robot", key: "🤖 robot" });
    expect(accepted("🤖").nick).toBe("🤖");
  });

  test("a decomposed ü is composed (NFKC), so it is the same nick as the precomposed one", () => {
    const decomposed = "Ju\u0308rgen";
    expect(accepted(decomposed).nick).toBe("J\u00FCrgen");
    expect(nickKey(decomposed)).toBe(nickKey("Jürgen"));
  });

  test("full-width and other compatibility forms fold to their plain form (NFKC)", () => {
    expect(accepted("ｒｏｍｅｏ").nick).toBe("romeo");
    expect(accepted("ＲＯＭＥＯ").key).toBe("romeo");
    expect(accepted("ﬁsh").nick).toBe("fish"); // U+FB01 ligature
    expect(accepted("x²").nick).toBe("x2");
  });

  test("spaces: non-ASCII spaces become U+0020, ends are trimmed, runs collapse", () => {
    expect(accepted("  Romeo  ").nick).toBe("Romeo");
    expect(accepted("Romeo   Montague").nick).toBe("Romeo Montague");
    expect(accepted("Romeo\u00A0Montague").nick).toBe("Romeo Montague"); // no-break space
    expect(accepted("Romeo\u3000Montague").nick).toBe("Romeo Montague"); // ideographic space
    expect(accepted("Romeo\u1680Montague").nick).toBe("Romeo Montague"); // Ogham space mark: NFKC keeps it
    expect(accepted("\u2003Romeo \u2009 Montague\u202F").nick).toBe("Romeo Montague");
  });

  test("variation selectors are allowed for emoji but ignored when comparing", () => {
    expect(accepted("❤\uFE0F").nick).toBe("❤\uFE0F");
    expect(nickKey("❤\uFE0F")).toBe(nickKey("❤"));
  });

  test("the nick returned is stable: normalising it again changes nothing", () => {
    for (const raw of ["  ｒｏｍｅｏ\u3000 ", "Ju\u0308rgen", "\u00A8x", "🤖 robot", "ﷺ"]) {
      const { nick, key } = accepted(raw);
      expect(accepted(nick)).toEqual({ nick, key });
    }
  });
});

describe("comparison keys", () => {
  test("nicks differing only in case conflict", () => {
    expect(nickKey("Romeo")).toBe("romeo");
    expect(nickKey("ROMEO")).toBe(nickKey("romeo"));
    expect(nickKey("JÜRGEN")).toBe(nickKey("jürgen"));
  });

  test("nicks differing in spaces or width conflict", () => {
    expect(nickKey(" Romeo\u00A0 Montague ")).toBe(nickKey("romeo montague"));
    expect(nickKey("ｒｏｍｅｏ")).toBe(nickKey("Romeo"));
  });

  test("different nicks do not conflict", () => {
    expect(nickKey("Romeo")).not.toBe(nickKey("Romeo2"));
    expect(nickKey("RomeoMontague")).not.toBe(nickKey("Romeo Montague"));
    expect(nickKey("Jurgen")).not.toBe(nickKey("Jürgen"));
  });

  test("invalid nicks have no key", () => {
    expect(nickKey("")).toBeUndefined();
    expect(nickKey("   ")).toBeUndefined();
    expect(nickKey("a\u200Db")).toBeUndefined();
  });

  test("nickKey applies no room length limit, so long nicks can still be looked up", () => {
    const long = "x".repeat(100);
    expect(normalizeNick(long).ok).toBe(false);
    expect(nickKey(long)).toBe(long);
  });
});

describe("refused nicknames", () => {
  test("missing or empty: jid-malformed", () => {
    expect(refused(undefined)).toEqual({ ok: false, condition: "jid-malformed", text: "A nickname is required" });
    expect(refused("")).toEqual({ ok: false, condition: "jid-malformed", text: "A nickname is required" });
  });

  test("only spaces: jid-malformed", () => {
    expect(refused(" ").condition).toBe("jid-malformed");
    expect(refused("  \u00A0\u3000 ").condition).toBe("jid-malformed");
  });

  test("control characters, including tab and newline, are refused, not trimmed", () => {
    for (const raw of ["Romeo\t", "\tRomeo", "Romeo\nMontague", "Ro\u0000meo", "Ro\u007Fmeo", "Ro\u0085meo"]) {
      const result = refused(raw);
      expect(result.condition).toBe("not-acceptable");
      expect(result.text).toContain("control characters");
    }
  });

  test("line and paragraph separators", () => {
    expect(refused("Romeo\u2028Montague").text).toContain("line or paragraph separators");
    expect(refused("Romeo\u2029").text).toContain("line or paragraph separators");
  });

  test("unpaired surrogates", () => {
    for (const raw of ["Ro\uD800meo", "Romeo\uDFFF"]) {
      const result = refused(raw);
      expect(result.condition).toBe("not-acceptable");
      expect(result.text).toContain("surrogate");
    }
  });

  test("private-use characters", () => {
    for (const raw of ["Romeo\uE000", "\u{F0000}"]) {
      const result = refused(raw);
      expect(result.condition).toBe("not-acceptable");
      expect(result.text).toContain("private-use");
    }
  });

  test("unassigned code points and noncharacters", () => {
    for (const raw of ["Romeo\u0378", "Romeo\uFFFE", "Ro\uFDD0meo", "\u{10FFFF}"]) {
      const result = refused(raw);
      expect(result.condition).toBe("not-acceptable");
      expect(result.text).toContain("unassigned");
    }
  });

  test("invisible and formatting characters that make look-alike nicks", () => {
    const lookalikes = [
      "Ro\u200Dmeo", // zero-width joiner
      "Ro\u200Bmeo", // zero-width space
      "Ro\u200Cmeo", // zero-width non-joiner
      "\u202EoemoR", // right-to-left override
      "Ro\u00ADmeo", // soft hyphen
      "\uFEFFRomeo", // byte order mark
      "\u3164", // Hangul filler: a nick that looks empty
      "Romeo\u3164",
      "Ro\u034Fmeo", // combining grapheme joiner
      "\uFE0F", // nothing but a variation selector
    ];
    for (const raw of lookalikes) {
      const result = refused(raw);
      expect(result.condition).toBe("not-acceptable");
      expect(result.text).toContain("invisible");
    }
  });

  test("longer than maxLength code points after enforcement: not-acceptable", () => {
    expect(accepted("x".repeat(64)).nick).toHaveLength(64);
    expect(refused("x".repeat(65))).toEqual({
      ok: false,
      condition: "not-acceptable",
      text: "Nicknames are limited to 64 characters",
    });
    expect(accepted("abc", 3).nick).toBe("abc");
    expect(refused("abcd", 3).condition).toBe("not-acceptable");
  });

  test("length counts code points, not UTF-16 units, and is measured after enforcement", () => {
    expect(accepted("🤖".repeat(3), 3).nick).toBe("🤖🤖🤖"); // 6 UTF-16 units
    expect(refused("🤖".repeat(4), 3).condition).toBe("not-acceptable");
    expect(accepted("  a  b  ", 3).nick).toBe("a b");
    expect(accepted("ｒｏｍｅｏ", 5).nick).toBe("romeo");
    expect(refused("ﷺ", 17).condition).toBe("not-acceptable"); // one code point, 18 after NFKC
  });

  test("over 1023 UTF-8 bytes: jid-malformed, whatever the room's limit", () => {
    expect(accepted("x".repeat(1023), Infinity).nick).toHaveLength(1023);
    expect(refused("x".repeat(1024), Infinity).condition).toBe("jid-malformed");
    expect(accepted("ü".repeat(511), Infinity).nick).toHaveLength(511); // 1022 bytes
    expect(refused("ü".repeat(512), Infinity).condition).toBe("jid-malformed"); // 1024 bytes
    expect(refused("x".repeat(2000)).condition).toBe("jid-malformed");
  });

  test("the byte limit applies to the address as sent, even if enforcement would shorten it", () => {
    expect(refused(`Romeo${" ".repeat(1100)}`, Infinity).condition).toBe("jid-malformed");
  });

  test("the byte limit applies again after NFKC expansion", () => {
    // U+FDFA is 3 bytes but 33 bytes after NFKC: 60 of them are 180 bytes sent, 1980 after.
    const result = refused("ﷺ".repeat(60), Infinity);
    expect(result.condition).toBe("jid-malformed");
  });
});
