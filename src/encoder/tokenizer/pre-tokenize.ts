// GPT-2's pre-tokeniser: the regular expression that cuts text into words before BPE runs on each.
//
// The original pattern is
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// In Python's `regex` module and in Oniguruma (used by Hugging Face tokenizers) `\s` is the Unicode
// White_Space property, while JavaScript's `\s` differs (it adds U+FEFF and lacks U+0085), so we spell
// `\s` as `\p{White_Space}`. `\s+(?!\S)` leaves the last space of a run for the next word: "a   b"
// becomes "a", "  ", " b".

/** The GPT-2 pattern, global and Unicode-aware. Use a fresh copy per call (it carries lastIndex). */
export const GPT2_PATTERN_SOURCE =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+" +
  "|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

const pattern = new RegExp(GPT2_PATTERN_SOURCE, "gu");

/**
 * Calls `onWord(start, end)` for each GPT-2 word of `text[from, to)`, in order, until it returns false.
 * The words tile the range exactly: every code unit belongs to one word.
 * @example forEachWord("Hello world", 0, 11, (s, e) => ...) // (0,5) "Hello", (5,11) " world"
 */
export function forEachWord(text: string, from: number, to: number, onWord: (start: number, end: number) => boolean | void): void {
  const slice = from === 0 && to === text.length ? text : text.slice(from, to);
  pattern.lastIndex = 0;
  for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) {
    if (onWord(from + m.index, from + m.index + m[0].length) === false) return;
  }
}

/** The GPT-2 words of `text` as strings (for tests and for the BPE trainer). */
export function preTokenize(text: string): string[] {
  const words: string[] = [];
  forEachWord(text, 0, text.length, (start, end) => {
    words.push(text.slice(start, end));
  });
  return words;
}
