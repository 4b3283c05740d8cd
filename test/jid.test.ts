// lib/jid.ts: XMPP addresses (RFC 7622) parsed, refused, and put in canonical form.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parse as xmppParse } from "@xmpp/jid";
import { canonicalBare, canonicalJid, parseJid } from "../lib/jid.ts";

describe("what is an address", () => {
  test("the usual shapes", () => {
    expect(parseJid("romeo@example.net/orchard")).toEqual({ local: "romeo", domain: "example.net", resource: "orchard" });
    expect(parseJid("romeo@example.net")).toEqual({ local: "romeo", domain: "example.net" });
    expect(parseJid("example.net")).toEqual({ local: "", domain: "example.net" });
    expect(parseJid("example.net/res")).toEqual({ local: "", domain: "example.net", resource: "res" });
    expect(parseJid("[::1]")).toEqual({ local: "", domain: "[::1]" });
    expect(parseJid("u@127.0.0.1")).toEqual({ local: "u", domain: "127.0.0.1" });
  });

  test("a resource may hold '@' and '/' and spaces (RFC 7622 §3.1: split at the first '/')", () => {
    expect(parseJid("a@b.c/d@e/f g")).toEqual({ local: "a", domain: "b.c", resource: "d@e/f g" });
  });

  const refused = [
    "",
    "@@@",
    "@",
    "@example.net",
    "romeo@",
    "romeo@/x",
    "romeo@example.net/",
    "ro meo@example.net",
    'ro"meo@example.net',
    "ro&meo@example.net",
    "ro'meo@example.net",
    "ro:meo@example.net",
    "ro<meo@example.net",
    "ro>meo@example.net",
    "romeo@juliet@example.net",
    "romeo@exa mple.net",
    "romeo@example..net",
    "romeo@-example.net",
    "romeo@example.net-",
    "romeo@exa<mple.net",
    "romeo@exa\u0000mple.net",
    "ro\u0007meo@example.net",
    "romeo@example.net/ab\u0001c",
    "ro\u202Emeo@example.net", // a bidi override
    "ro\uE000meo@example.net", // private use
    "ro＠meo@example.net", // a fullwidth @ is an @ once normalised
    `${"a".repeat(1024)}@example.net`,
    `romeo@example.net/${"r".repeat(1024)}`,
    `romeo@${"d".repeat(64)}.net`,
  ];
  for (const raw of refused) test(`refused: ${JSON.stringify(raw).slice(0, 60)}`, () => expect(parseJid(raw)).toBeUndefined());

  test("the longest parts allowed are allowed", () => {
    expect(parseJid(`${"a".repeat(1023)}@example.net`)).toBeDefined();
    expect(parseJid(`romeo@example.net/${"r".repeat(1023)}`)).toBeDefined();
    expect(parseJid(`romeo@${"d".repeat(63)}.net`)).toBeDefined();
  });
});

describe("canonical forms", () => {
  test("the domain and the localpart are case-folded; the resource is not", () => {
    expect(canonicalJid("GARBAGE@CONFERENCE.LOCALHOST/Upper")).toBe("garbage@conference.localhost/Upper");
    expect(canonicalJid("Romeo@Example.NET/Orchard")).toBe("romeo@example.net/Orchard");
  });

  test("width and compatibility forms fold to the same address (RFC 8265 width mapping; NFKC as Prosody's nodeprep)", () => {
    expect(canonicalJid("ＲＯＭＥＯ@example.net")).toBe("romeo@example.net");
    expect(canonicalJid("romeo@ＥＸＡＭＰＬＥ．ＮＥＴ")).toBe("romeo@example.net");
    expect(canonicalBare("Ǆemal@example.net")).toBe(canonicalBare("ǆemal@example.net"));
  });

  test("a trailing dot and ideographic full stops in the domain", () => {
    expect(canonicalJid("romeo@example.net.")).toBe("romeo@example.net");
    expect(canonicalJid("romeo@example\u3002net")).toBe("romeo@example.net");
  });

  test("what stringprep maps to nothing is removed (a zero-width joiner in a localpart)", () => {
    expect(canonicalJid("ro\u200Dmeo@example.net")).toBe("romeo@example.net");
  });

  test("non-ASCII localparts and domains are addresses too", () => {
    expect(canonicalJid("Ελένη@Παράδειγμα.ελ/Σπίτι")).toBe("ελένη@παράδειγμα.ελ/Σπίτι");
    expect(canonicalJid("☃@example.net")).toBe("☃@example.net"); // Prosody's nodeprep accepts symbols
  });

  test("the bare form drops the resource", () => {
    expect(canonicalBare("Romeo@Example.NET/Orchard")).toBe("romeo@example.net");
    expect(canonicalBare("not an address")).toBeUndefined();
  });

  test("canonicalisation is idempotent, and an accepted address reads back unchanged in @xmpp/jid", () => {
    const char = fc.constantFrom(..."aZ09.-_@/ \u00e9\u00c9\u0130\u03a3\u200d\uff21\u3002\u00ad\\\"'<>&:\u0007".split(""));
    fc.assert(
      fc.property(fc.array(char, { maxLength: 24 }).map((cs) => cs.join("")), (raw) => {
        const canonical = canonicalJid(raw);
        if (canonical === undefined) return;
        expect(canonicalJid(canonical)).toBe(canonical);
        // @xmpp/jid (what the client library addresses stanzas with) splits the same way.
        if (!canonical.split("/")[0]!.includes("\\")) expect(xmppParse(canonical).toString()).toBe(canonical);
      }),
      { numRuns: 3000 },
    );
  });
});
