// Byte-pair encoding of one word by merge rank, as in GPT-2: start from one symbol per byte and keep
// merging the adjacent pair whose merge was learned first (lowest rank) until no learned pair is left.
//
// GPT-2's reference rebuilds the word after every merge, which is O(n²) on a long word. Here the
// symbols form a doubly linked list and the candidate pairs sit in a binary min-heap keyed by
// (rank, position), so a word of n bytes costs O(n log n). Ties in rank (the same pair at several
// places) go leftmost-first, which is the order GPT-2's left-to-right scan merges them in.

/** The merge table resolved to vocabulary ids, in rank order (rank = index). */
export interface MergeTable {
  /** Vocabulary id of each byte's symbol: byteIds[b] for b in 0..255. */
  byteIds: Int32Array;
  /** Per rank: ids of the left and right symbols and of the merged symbol. */
  left: Int32Array;
  right: Int32Array;
  result: Int32Array;
}

// A heap entry packs (rank, position) as rank * POSITION_LIMIT + position, so numeric order is (rank, position).
const POSITION_LIMIT = 2 ** 28;

export class BpeModel {
  private readonly rankOfPair: PairTable;

  constructor(private readonly table: MergeTable) {
    this.rankOfPair = new PairTable(table.left.length);
    for (let rank = 0; rank < table.left.length; rank++) {
      // A pair listed twice keeps its last rank, as Hugging Face does when it builds its merge map.
      this.rankOfPair.set(table.left[rank]!, table.right[rank]!, rank);
    }
  }

  // Scratch buffers reused from word to word (a tokenizer encodes millions of words).
  private symbol = new Int32Array(64);
  private next = new Int32Array(64);
  private prev = new Int32Array(64);
  private readonly heap = new MinHeap();

  private growScratch(n: number): void {
    this.symbol = new Int32Array(n);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
  }

  private rank(left: number, right: number): number {
    return this.rankOfPair.get(left, right);
  }

  /** Vocabulary ids of the BPE tokens of `bytes[0, n)` (one pre-tokenised word). */
  encode(bytes: Uint8Array, n: number): number[] {
    if (n >= POSITION_LIMIT) throw new RangeError(`BPE: word of ${n} bytes is longer than ${POSITION_LIMIT - 1}`);
    const byteIds = this.table.byteIds;
    if (n === 1) return [byteIds[bytes[0]!]!];
    // symbol: ids of live symbols, -1 marks a symbol swallowed by its left neighbour; next/prev link them
    if (this.symbol.length < n) this.growScratch(n);
    const { symbol, next, prev } = this;
    for (let i = 0; i < n; i++) {
      symbol[i] = byteIds[bytes[i]!]!;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = this.heap;
    heap.clear();
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rank(symbol[i]!, symbol[i + 1]!);
      if (r >= 0) heap.push(r * POSITION_LIMIT + i);
    }
    const result = this.table.result;
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / POSITION_LIMIT);
      const i = key - rank * POSITION_LIMIT;
      const j = next[i]!;
      // stale entry: the symbol at i or its right neighbour changed since the pair was pushed
      if (symbol[i] === -1 || j === -1 || this.rank(symbol[i]!, symbol[j]!) !== rank) continue;
      // merge: symbol[i] <- result, unlink j
      symbol[i] = result[rank]!;
      symbol[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k !== -1) prev[k] = i;
      const p = prev[i]!;
      if (p !== -1) {
        const r = this.rank(symbol[p]!, symbol[i]!);
        if (r >= 0) heap.push(r * POSITION_LIMIT + p);
      }
      if (k !== -1) {
        const r = this.rank(symbol[i]!, symbol[k]!);
        if (r >= 0) heap.push(r * POSITION_LIMIT + i);
      }
    }
    const ids: number[] = [];
    for (let i = 0; i !== -1; i = next[i]!) ids.push(symbol[i]!);
    return ids;
  }

  /**
   * The reference: GPT-2's encoder.py loop. Find the lowest-ranked adjacent pair, merge every
   * occurrence of it left to right, rebuild the word, repeat. O(n) per pass and up to n passes.
   */
  encodeNaive(bytes: Uint8Array, n: number): number[] {
    let word = Array.from(bytes.subarray(0, n), (b) => this.table.byteIds[b]!);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.rank(word[i]!, word[i + 1]!);
        if (r >= 0 && (best < 0 || r < best)) best = r;
      }
      if (best < 0) return word;
      const left = this.table.left[best]!;
      const right = this.table.right[best]!;
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          merged.push(this.table.result[best]!);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      word = merged;
    }
  }
}

/**
 * (left id, right id) -> rank, an open-addressing hash table in typed arrays. The lookup is the
 * innermost operation of BPE; a Map keyed by left·2^24 + right was the bottleneck (such keys are not
 * small integers, so V8 hashes them as heap numbers).
 */
class PairTable {
  private readonly mask: number;
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly ranks: Int32Array;

  constructor(count: number) {
    let size = 16;
    while (size < count * 2) size *= 2; // load factor <= 1/2
    this.mask = size - 1;
    this.lefts = new Int32Array(size).fill(-1);
    this.rights = new Int32Array(size);
    this.ranks = new Int32Array(size);
  }

  private slot(left: number, right: number): number {
    return (Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca77)) & this.mask;
  }

  set(left: number, right: number, rank: number): void {
    let i = this.slot(left, right);
    while (this.lefts[i] !== -1 && !(this.lefts[i] === left && this.rights[i] === right)) i = (i + 1) & this.mask;
    this.lefts[i] = left;
    this.rights[i] = right;
    this.ranks[i] = rank;
  }

  /** The rank of (left, right), or -1 if the pair was never merged. */
  get(left: number, right: number): number {
    for (let i = this.slot(left, right); ; i = (i + 1) & this.mask) {
      const l = this.lefts[i]!;
      if (l === -1) return -1;
      if (l === left && this.rights[i] === right) return this.ranks[i]!;
    }
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  clear(): void {
    this.items.length = 0;
  }

  push(value: number): void {
    const items = this.items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && items[r]! < items[l]! ? r : l;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
