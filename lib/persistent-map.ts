// A persistent (immutable, structurally shared) string-keyed map, built as a
// hash array mapped trie (HAMT). The service keeps up to ~100k rooms in an
// immutable state; copying a native Map on every stanza would cost O(rooms).
//
// The idea: hash each key to 32 bits and read the hash 5 bits at a time, from
// the lowest. Each 5-bit "fragment" (0..31) picks a slot in a branch node, so
// the tree is at most 7 levels deep (6 × 5 bits + 2 bits). A branch stores only
// its occupied slots, packed in an array, plus a 32-bit bitmap saying which
// slots are occupied; a slot's array index is the number of set bits below it.
// An update copies only the nodes on the path from the root to the key (≤ 7
// small arrays) and shares every other node with the previous version.
// Keys whose 32-bit hashes are all equal share a collision node (a plain list).
//
// The shape depends only on the set of keys: one key is a leaf, keys with one
// hash are a collision node, anything else is a branch. Delete keeps that true
// by replacing a branch left with a single leaf or collision node by that node.

export interface PersistentMap<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  /** A new map; the old one is unchanged. Setting the identical value returns this map. */
  set(key: string, value: V): PersistentMap<V>;
  /** A new map, or this map when the key is absent. */
  delete(key: string): PersistentMap<V>;
  /** In no particular order. */
  entries(): IterableIterator<[string, V]>;
  values(): IterableIterator<V>;
  keys(): IterableIterator<string>;
}

export type HashFn = (key: string) => number;

type Leaf<V> = { kind: "leaf"; hash: number; key: string; value: V };
type Collision<V> = { kind: "collision"; hash: number; leaves: Leaf<V>[] };
type Branch<V> = { kind: "branch"; bitmap: number; children: Node<V>[] };
type Node<V> = Leaf<V> | Collision<V> | Branch<V>;

/** FNV-1a over UTF-16 code units, as an unsigned 32-bit integer. */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Number of set bits in a 32-bit integer. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The slot bit for `hash` at this level. 1 << 31 is negative, which bitwise ops handle. */
const bitFor = (hash: number, shift: number) => 1 << ((hash >>> shift) & 31);
/** Index in the packed children array of the slot `bit`. */
const indexOf = (bitmap: number, bit: number) => popcount(bitmap & (bit - 1));

function find<V>(node: Node<V> | undefined, shift: number, hash: number, key: string): Leaf<V> | undefined {
  while (node && node.kind === "branch") {
    const bit = bitFor(hash, shift);
    if ((node.bitmap & bit) === 0) return undefined;
    node = node.children[indexOf(node.bitmap, bit)];
    shift += 5;
  }
  if (node?.kind === "leaf") return node.key === key ? node : undefined;
  return node?.leaves.find((leaf) => leaf.key === key);
}

/** A node holding `a` and `b`, whose hashes differ, below level `shift`. */
function fork<V>(shift: number, a: Leaf<V> | Collision<V>, b: Leaf<V>): Branch<V> {
  const slotA = (a.hash >>> shift) & 31;
  const slotB = (b.hash >>> shift) & 31;
  const bitmap = (1 << slotA) | (1 << slotB);
  if (slotA === slotB) return { kind: "branch", bitmap, children: [fork(shift + 5, a, b)] };
  return { kind: "branch", bitmap, children: slotA < slotB ? [a, b] : [b, a] };
}

/** A copy of `node` with `leaf` added, or replacing the leaf with its key. */
function insert<V>(node: Node<V>, shift: number, leaf: Leaf<V>): Node<V> {
  if (node.kind === "branch") {
    const bit = bitFor(leaf.hash, shift);
    const i = indexOf(node.bitmap, bit);
    const children = node.children.slice();
    if ((node.bitmap & bit) === 0) {
      children.splice(i, 0, leaf);
      return { kind: "branch", bitmap: node.bitmap | bit, children };
    }
    children[i] = insert(children[i], shift + 5, leaf);
    return { kind: "branch", bitmap: node.bitmap, children };
  }
  if (node.hash !== leaf.hash) return fork(shift, node, leaf);
  if (node.kind === "leaf") {
    return node.key === leaf.key ? leaf : { kind: "collision", hash: leaf.hash, leaves: [node, leaf] };
  }
  const i = node.leaves.findIndex((l) => l.key === leaf.key);
  const leaves = node.leaves.slice();
  leaves[i >= 0 ? i : leaves.length] = leaf;
  return { kind: "collision", hash: leaf.hash, leaves };
}

/** `node` without `key`: undefined when emptied, the same node when absent. */
function remove<V>(node: Node<V>, shift: number, hash: number, key: string): Node<V> | undefined {
  if (node.kind === "leaf") return node.key === key ? undefined : node;
  if (node.kind === "collision") {
    const leaves = node.leaves.filter((leaf) => leaf.key !== key);
    if (leaves.length === node.leaves.length) return node;
    return leaves.length === 1 ? leaves[0] : { kind: "collision", hash, leaves };
  }
  const bit = bitFor(hash, shift);
  if ((node.bitmap & bit) === 0) return node;
  const i = indexOf(node.bitmap, bit);
  const child = remove(node.children[i], shift + 5, hash, key);
  if (child === node.children[i]) return node;
  const children = node.children.slice();
  if (child) children[i] = child;
  else children.splice(i, 1);
  // Collapse: a lone leaf or collision node needs no branch above it.
  if (children.length === 0) return undefined;
  if (children.length === 1 && children[0].kind !== "branch") return children[0];
  return { kind: "branch", bitmap: child ? node.bitmap : node.bitmap ^ bit, children };
}

function* leavesOf<V>(node: Node<V> | undefined): Generator<Leaf<V>> {
  if (!node) return;
  if (node.kind === "leaf") yield node;
  else if (node.kind === "collision") yield* node.leaves;
  else for (const child of node.children) yield* leavesOf(child);
}

class HamtMap<V> implements PersistentMap<V> {
  constructor(
    readonly size: number,
    private readonly root: Node<V> | undefined,
    private readonly hashFn: HashFn,
  ) {}

  /** As an unsigned 32-bit integer, whatever the hash function returns. */
  private hash(key: string): number {
    return this.hashFn(key) >>> 0;
  }

  get(key: string): V | undefined {
    return find(this.root, 0, this.hash(key), key)?.value;
  }

  has(key: string): boolean {
    return find(this.root, 0, this.hash(key), key) !== undefined;
  }

  set(key: string, value: V): PersistentMap<V> {
    const hash = this.hash(key);
    const old = find(this.root, 0, hash, key);
    if (old && Object.is(old.value, value)) return this;
    const leaf: Leaf<V> = { kind: "leaf", hash, key, value };
    const root = this.root ? insert(this.root, 0, leaf) : leaf;
    return new HamtMap(old ? this.size : this.size + 1, root, this.hashFn);
  }

  delete(key: string): PersistentMap<V> {
    if (!this.root) return this;
    const root = remove(this.root, 0, this.hash(key), key);
    return root === this.root ? this : new HamtMap(this.size - 1, root, this.hashFn);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const leaf of leavesOf(this.root)) yield [leaf.key, leaf.value];
  }

  *values(): IterableIterator<V> {
    for (const leaf of leavesOf(this.root)) yield leaf.value;
  }

  *keys(): IterableIterator<string> {
    for (const leaf of leavesOf(this.root)) yield leaf.key;
  }
}

/** For tests: an empty map using `hash` (e.g. a colliding one) instead of FNV-1a. */
export function emptyMapWithHash<V>(hash: HashFn): PersistentMap<V> {
  return new HamtMap<V>(0, undefined, hash);
}

const EMPTY = emptyMapWithHash<never>(fnv1a);

export function emptyMap<V>(): PersistentMap<V> {
  return EMPTY;
}

export function mapFrom<V>(entries: Iterable<[string, V]>): PersistentMap<V> {
  let map = emptyMap<V>();
  for (const [key, value] of entries) map = map.set(key, value);
  return map;
}
