import { describe, expect, test } from "bun:test";
import {
  emptyMap,
  emptyMapWithHash,
  fnv1a,
  mapFrom,
  type HashFn,
  type PersistentMap,
} from "../lib/persistent-map.ts";

/** Deterministic pseudo-random numbers: a 32-bit LCG (Numerical Recipes constants). */
function lcg(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
}

/** The map's entries, sorted by key, failing on a key seen twice. */
function sortedEntries<V>(map: PersistentMap<V>): [string, V][] {
  const entries = [...map.entries()];
  expect(new Set(entries.map(([k]) => k)).size).toBe(entries.length);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function expectSameAs<V>(map: PersistentMap<V>, reference: Map<string, V>): void {
  expect(map.size).toBe(reference.size);
  const expected = [...reference.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  expect(sortedEntries(map)).toEqual(expected);
  expect([...map.keys()].sort()).toEqual([...reference.keys()].sort());
  expect([...map.values()].sort()).toEqual([...reference.values()].sort());
}

const hashes: [string, HashFn][] = [
  ["FNV-1a", fnv1a],
  ["a constant (every key collides)", () => 7],
  ["10 bits (shallow tree, many collisions)", (k) => fnv1a(k) >>> 22],
  ["the top 12 bits only (deep tree, using bit 31)", (k) => fnv1a(k) & 0xfff00000],
];

describe("persistent map against a reference Map", () => {
  for (const [name, hash] of hashes) {
    test(`20k random operations, hash: ${name}`, () => {
      const random = lcg(42);
      const keyCount = name === "FNV-1a" ? 3000 : 300;
      let map = emptyMapWithHash<number>(hash);
      const reference = new Map<string, number>();
      const snapshots: [PersistentMap<number>, Map<string, number>][] = [];

      for (let step = 0; step < 20_000; step++) {
        const key = `room${random(keyCount)}`;
        const op = random(10);
        if (op < 6) {
          const value = random(100);
          map = map.set(key, value);
          reference.set(key, value);
        } else if (op < 9) {
          map = map.delete(key);
          reference.delete(key);
        }
        expect(map.get(key)).toBe(reference.get(key));
        expect(map.has(key)).toBe(reference.has(key));
        expect(map.size).toBe(reference.size);
        if (step % 1000 === 0) {
          expectSameAs(map, reference);
          snapshots.push([map, new Map(reference)]);
        }
      }
      expectSameAs(map, reference);
      // Persistence: every earlier version still holds what it held then.
      for (const [old, then] of snapshots) expectSameAs(old, then);
    });
  }
});

describe("persistent map", () => {
  test("the empty map", () => {
    const map = emptyMap<number>();
    expect(map.size).toBe(0);
    expect(map.get("a")).toBeUndefined();
    expect(map.has("a")).toBe(false);
    expect([...map.entries()]).toEqual([]);
    expect(map.delete("a")).toBe(map);
  });

  test("set returns a new map and leaves the old one unchanged", () => {
    const a = mapFrom([["x", 1], ["y", 2]]);
    const b = a.set("x", 10).set("z", 3);
    expect(sortedEntries(a)).toEqual([["x", 1], ["y", 2]]);
    expect(sortedEntries(b)).toEqual([["x", 10], ["y", 2], ["z", 3]]);
    expect(a.size).toBe(2);
    expect(b.size).toBe(3);
  });

  test("delete returns a new map and leaves the old one unchanged", () => {
    const a = mapFrom([["x", 1], ["y", 2]]);
    const b = a.delete("x");
    expect(sortedEntries(a)).toEqual([["x", 1], ["y", 2]]);
    expect(sortedEntries(b)).toEqual([["y", 2]]);
  });

  test("setting the identical value or deleting an absent key returns the same map", () => {
    const room = { name: "lobby" };
    const a = mapFrom([["lobby", room]]);
    expect(a.set("lobby", room)).toBe(a);
    expect(a.set("lobby", { name: "lobby" })).not.toBe(a);
    expect(a.delete("absent")).toBe(a);
    const nan = mapFrom([["n", NaN]]);
    expect(nan.set("n", NaN)).toBe(nan);
  });

  test("undefined is a value like any other", () => {
    const map = emptyMap<undefined>().set("u", undefined);
    expect(map.has("u")).toBe(true);
    expect(map.size).toBe(1);
    expect(map.set("u", undefined)).toBe(map);
  });

  test("keys are compared exactly, with UTF-16 code units", () => {
    const map = mapFrom([["é", 1], ["e\u0301", 2], ["😀", 3], ["", 4]]);
    expect(map.size).toBe(4);
    expect(map.get("é")).toBe(1);
    expect(map.get("e\u0301")).toBe(2);
    expect(map.get("😀")).toBe(3);
    expect(map.get("")).toBe(4);
  });

  test("fnv1a matches the reference values", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });
});

describe("hash collisions", () => {
  const collide: HashFn = () => 7;

  test("keys with one hash are all kept, found and deleted", () => {
    let map = emptyMapWithHash<number>(collide);
    for (let i = 0; i < 50; i++) map = map.set(`k${i}`, i);
    expect(map.size).toBe(50);
    for (let i = 0; i < 50; i++) expect(map.get(`k${i}`)).toBe(i);
    expect(map.get("other")).toBeUndefined();
    map = map.set("k3", 300);
    expect(map.get("k3")).toBe(300);
    expect(map.size).toBe(50);
    for (let i = 0; i < 50; i += 2) map = map.delete(`k${i}`);
    expect(map.size).toBe(25);
    expect(sortedEntries(map).map(([k]) => k)).toEqual(
      Array.from({ length: 25 }, (_, i) => `k${2 * i + 1}`).sort(),
    );
  });

  test("a collision node next to keys with other hashes", () => {
    // "a*" keys collide on hash 1; other keys spread out.
    const hash: HashFn = (k) => (k.startsWith("a") ? 1 : fnv1a(k));
    let map = emptyMapWithHash<string>(hash);
    const reference = new Map<string, string>();
    for (const k of ["a1", "b", "a2", "c", "a3", "d", "e", "f"]) {
      map = map.set(k, k.toUpperCase());
      reference.set(k, k.toUpperCase());
    }
    expectSameAs(map, reference);
    for (const k of ["a1", "b", "a2", "c"]) {
      map = map.delete(k);
      reference.delete(k);
      expectSameAs(map, reference);
    }
  });

  test("hash values are read as unsigned 32-bit integers", () => {
    // -1 and 0xffffffff have the same 32 bits, so these keys collide.
    const hash: HashFn = (k) => (k === "a" ? -1 : 0xffffffff);
    const map = emptyMapWithHash<number>(hash).set("a", 1).set("b", 2);
    expect(sortedEntries(map)).toEqual([["a", 1], ["b", 2]]);
    expect(map.delete("a").get("b")).toBe(2);
  });

  test("hashes that differ only in the last (31st) bit", () => {
    const hash: HashFn = (k) => (k === "high" ? 0x80000000 : 0);
    const map = emptyMapWithHash<number>(hash).set("low", 1).set("high", 2);
    expect(map.get("low")).toBe(1);
    expect(map.get("high")).toBe(2);
    expect(map.delete("low").get("high")).toBe(2);
    expect(map.delete("high").get("low")).toBe(1);
  });
});

describe("delete collapses emptied nodes", () => {
  const keys = Array.from({ length: 5000 }, (_, i) => `room${i}@muc.example`);

  test("deleting every key leaves the empty map", () => {
    let map = mapFrom(keys.map((k, i) => [k, i]));
    expect(map.size).toBe(5000);
    for (const k of keys) map = map.delete(k);
    expect(map.size).toBe(0);
    expect([...map.entries()]).toEqual([]);
    expect(map).toEqual(emptyMap<number>());
  });

  test("after deletes, the trie is the one built from the remaining keys alone", () => {
    const random = lcg(7);
    let map = mapFrom(keys.map((k, i) => [k, i]));
    const reference = new Map(keys.map((k, i) => [k, i]));
    for (let i = 0; i < 4900; i++) {
      const k = keys[random(keys.length)];
      map = map.delete(k);
      reference.delete(k);
    }
    expectSameAs(map, reference);
    // Same shape, node for node: no empty or single-leaf branches left behind.
    expect(map).toEqual(mapFrom(reference));
  });

  test("collision nodes shrink back to a leaf, then to nothing", () => {
    const seven: HashFn = () => 7;
    let map = emptyMapWithHash<number>(seven).set("a", 1).set("b", 2).set("c", 3);
    map = map.delete("a").delete("b");
    expect(map).toEqual(emptyMapWithHash<number>(seven).set("c", 3));
    expect(sortedEntries(map)).toEqual([["c", 3]]);
    map = map.delete("c");
    expect(map.size).toBe(0);
    expect([...map.keys()]).toEqual([]);
  });
});

describe("iteration", () => {
  test("yields every entry exactly once", () => {
    const n = 20_000;
    const map = mapFrom(Array.from({ length: n }, (_, i): [string, number] => [`k${i}`, i]));
    const seen = new Map<string, number>();
    for (const [k, v] of map.entries()) {
      expect(seen.has(k)).toBe(false);
      seen.set(k, v);
    }
    expect(seen.size).toBe(n);
    for (let i = 0; i < n; i++) expect(seen.get(`k${i}`)).toBe(i);
    expect([...map.keys()].length).toBe(n);
    expect([...map.values()].reduce((a, b) => a + b, 0)).toBe((n * (n - 1)) / 2);
  });
});
