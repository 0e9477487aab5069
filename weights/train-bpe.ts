// A small, readable byte-level BPE trainer (the algorithm of GPT-2's vocabulary, at toy scale).
//
// 1. Cut every text into GPT-2 words with the same pattern the tokenizer uses, and count each word.
// 2. Write each distinct word as a list of byte symbols.
// 3. Repeatedly take the most frequent adjacent pair of symbols (counted over all words, weighted by
//    word frequency), record it as a merge, and rewrite the words that contain it.
// Ties go to the smallest pair in (left, right) string order, so training is deterministic.
// Pair counts are kept incrementally: a merge only re-counts the words that contained the pair, and a
// lazy max-heap (stale entries are skipped when popped) finds the most frequent pair.
//
// The vocabulary is laid out like roberta-base's: <s>=0, <pad>=1, </s>=2, <unk>=3, the 256 byte
// symbols in byte order, the merged symbols in merge order, and <mask> last.

import { BYTE_TO_CHAR } from "../src/encoder/tokenizer/byte-unicode.js";
import { preTokenize } from "../src/encoder/tokenizer/pre-tokenize.js";
import { replaceLoneSurrogates } from "../src/encoder/tokenizer/text.js";

export interface TrainedBpe {
  /** Token -> id, ids dense from 0. */
  vocab: Record<string, number>;
  /** Merge rules in the order they were learned (= rank). */
  merges: [string, string][];
}

const SPECIALS_BEFORE = ["<s>", "<pad>", "</s>", "<unk>"];
// pair (left, right) of symbol ids -> left * PAIR_STRIDE + right
const PAIR_STRIDE = 2 ** 20;

/**
 * Trains a byte-level BPE vocabulary of at most `vocabSize` tokens (specials included). Training
 * stops early when no pair occurs at least `minFrequency` times (default 2).
 * @example const { vocab, merges } = trainByteLevelBpe(["the cat sat on the mat"], { vocabSize: 270 });
 */
export function trainByteLevelBpe(texts: string[], options: { vocabSize: number; minFrequency?: number }): TrainedBpe {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  const smallest = SPECIALS_BEFORE.length + 256 + 1;
  if (!Number.isInteger(vocabSize) || vocabSize < smallest || vocabSize >= PAIR_STRIDE) {
    throw new RangeError(`trainByteLevelBpe: vocabSize must be an integer in [${smallest}, ${PAIR_STRIDE - 1}], got ${vocabSize}`);
  }
  // symbols: id -> string; ids 0..255 are the bytes
  const symbols: string[] = [...BYTE_TO_CHAR];
  const symbolId = new Map<string, number>(symbols.map((s, i) => [s, i]));
  const { words, counts } = countWords(texts);
  const pairs = new PairCounts(symbols);
  words.forEach((word, w) => pairs.addWord(word, counts[w]!, w));

  const merges: [string, string][] = [];
  // tokens in the vocabulary so far: the specials (4 before, <mask> after) and the distinct symbols
  while (SPECIALS_BEFORE.length + symbols.length + 1 < vocabSize) {
    const best = pairs.popBest(minFrequency);
    if (best === null) break;
    const [left, right] = best;
    const mergedText = symbols[left]! + symbols[right]!;
    let merged = symbolId.get(mergedText);
    if (merged === undefined) {
      merged = symbols.length;
      symbols.push(mergedText);
      symbolId.set(mergedText, merged);
    }
    merges.push([symbols[left]!, symbols[right]!]);
    for (const w of pairs.wordsWith(left, right)) {
      const word = words[w]!;
      if (!containsPair(word, left, right)) continue;
      pairs.removeWord(word, counts[w]!);
      words[w] = mergeWord(word, left, right, merged);
      pairs.addWord(words[w]!, counts[w]!, w);
    }
    pairs.refreshHeap();
  }

  const vocab: Record<string, number> = {};
  let next = 0;
  for (const special of SPECIALS_BEFORE) vocab[special] = next++;
  for (const symbol of symbols) vocab[symbol] = next++;
  vocab["<mask>"] = next;
  return { vocab, merges };
}

/** Distinct GPT-2 words of all texts as byte-symbol lists, with their counts. */
function countWords(texts: string[]): { words: number[][]; counts: number[] } {
  const countOf = new Map<string, number>();
  for (const text of texts) {
    for (const word of preTokenize(replaceLoneSurrogates(text).text)) countOf.set(word, (countOf.get(word) ?? 0) + 1);
  }
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [word, count] of countOf) {
    words.push(Array.from(encoder.encode(word)));
    counts.push(count);
  }
  return { words, counts };
}

function containsPair(word: number[], left: number, right: number): boolean {
  for (let k = 0; k + 1 < word.length; k++) if (word[k] === left && word[k + 1] === right) return true;
  return false;
}

/** Replaces each (left, right), scanning left to right without overlaps, by `merged`. */
function mergeWord(word: number[], left: number, right: number, merged: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < word.length; k++) {
    if (k + 1 < word.length && word[k] === left && word[k + 1] === right) {
      out.push(merged);
      k++;
    } else {
      out.push(word[k]!);
    }
  }
  return out;
}

/** Pair frequencies, the words each pair occurs in, and a lazy max-heap over (count, pair). */
class PairCounts {
  private readonly count = new Map<number, number>();
  private readonly words = new Map<number, Set<number>>();
  private readonly touched = new Set<number>();
  private readonly heap: [number, number][] = []; // [count, key]

  constructor(private readonly symbols: string[]) {}

  addWord(word: number[], weight: number, w: number): void {
    for (let k = 0; k + 1 < word.length; k++) {
      const key = word[k]! * PAIR_STRIDE + word[k + 1]!;
      this.count.set(key, (this.count.get(key) ?? 0) + weight);
      let set = this.words.get(key);
      if (set === undefined) this.words.set(key, (set = new Set()));
      set.add(w);
      this.touched.add(key);
    }
  }

  removeWord(word: number[], weight: number): void {
    for (let k = 0; k + 1 < word.length; k++) {
      const key = word[k]! * PAIR_STRIDE + word[k + 1]!;
      this.count.set(key, this.count.get(key)! - weight);
      this.touched.add(key);
    }
  }

  /** Words that contained (left, right) at some point (a word may have lost it since). */
  wordsWith(left: number, right: number): number[] {
    return [...(this.words.get(left * PAIR_STRIDE + right) ?? [])];
  }

  /** Pushes the current count of every pair changed since the last refresh. */
  refreshHeap(): void {
    for (const key of this.touched) {
      const c = this.count.get(key)!;
      if (c > 0) this.push([c, key]);
    }
    this.touched.clear();
  }

  /** The most frequent pair (ties: smallest (left, right) strings), or null below minFrequency. */
  popBest(minFrequency: number): [number, number] | null {
    this.refreshHeap();
    while (this.heap.length > 0) {
      const [c, key] = this.pop();
      if (this.count.get(key) !== c) continue; // stale: the count changed after this entry was pushed
      if (c < minFrequency) return null;
      return [Math.floor(key / PAIR_STRIDE), key % PAIR_STRIDE];
    }
    return null;
  }

  /** a before b in the heap: higher count, then smaller (left, right) strings. */
  private before(a: [number, number], b: [number, number]): boolean {
    if (a[0] !== b[0]) return a[0] > b[0];
    const la = this.symbols[Math.floor(a[1] / PAIR_STRIDE)]!;
    const lb = this.symbols[Math.floor(b[1] / PAIR_STRIDE)]!;
    if (la !== lb) return la < lb;
    return this.symbols[a[1] % PAIR_STRIDE]! < this.symbols[b[1] % PAIR_STRIDE]!;
  }

  private push(entry: [number, number]): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): [number, number] {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && this.before(heap[r]!, heap[l]!) ? r : l;
      if (!this.before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

/** vocab.json text: the vocabulary as one JSON object in id order. */
export function vocabJsonText(vocab: Record<string, number>): string {
  const ordered = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
  return JSON.stringify(Object.fromEntries(ordered));
}

/** merges.txt text: a `#version: 0.2` line as in GPT-2's file, then one "left right" rule per line. */
export function mergesTxtText(merges: [string, string][]): string {
  return "#version: 0.2\n" + merges.map(([left, right]) => `${left} ${right}\n`).join("");
}
