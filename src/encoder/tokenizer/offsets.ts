// Character offsets of byte-level tokens.
//
// Offsets are [start, end) in UTF-16 code units of the ORIGINAL input, so `text.slice(start, end)` is
// the token's text. A token made of part of a character's bytes (one piece of an emoji) gets the span
// of the whole character, as Hugging Face does. Like Hugging Face's `trim_offsets: true` for RoBERTa, a
// token's leading and trailing spaces (`Ġ`) are left out of its span, and a token of spaces only gets
// the empty span at its end: " world" -> "world", "Ġ" at index 3 -> [4, 4].

import type { ByteSpans } from "./text.js";

const SPACE = 0x20;

/** The trimmed offsets of the token made of bytes [a, b) of the word in `spans`. */
export function tokenOffsets(spans: ByteSpans, a: number, b: number): [number, number] {
  const { bytes, charStart, charEnd } = spans;
  let s = a;
  while (s < b && bytes[s] === SPACE) s++;
  let e = b;
  while (e > s && bytes[e - 1] === SPACE) e--;
  if (s === e) {
    const at = charEnd[b - 1]!;
    return [at, at];
  }
  return [charStart[s]!, charEnd[e - 1]!];
}
