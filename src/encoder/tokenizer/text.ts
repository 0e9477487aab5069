// Text plumbing for the tokenizer: lone-surrogate repair and UTF-8 encoding with a map from every byte
// back to the UTF-16 span of the character it came from (that map is what token offsets are made of).

/**
 * Replaces every unpaired UTF-16 surrogate by U+FFFD, as Hugging Face tokenizers do. U+FFFD is one
 * code unit, like the surrogate it replaces, so offsets into the result are offsets into the input.
 */
export function replaceLoneSurrogates(text: string): { text: string; replaced: boolean } {
  // In a /u regex a valid surrogate pair is one astral code point, so \p{Cs} matches only lone halves.
  const fixed = text.replace(/\p{Cs}/gu, "\uFFFD");
  return { text: fixed, replaced: fixed !== text };
}

/**
 * Growable buffers holding the UTF-8 bytes of one pre-tokenised word and, for each byte, the
 * [charStart, charEnd) UTF-16 span of the source character in the original text.
 */
export class ByteSpans {
  bytes = new Uint8Array(64);
  charStart = new Int32Array(64);
  charEnd = new Int32Array(64);
  length = 0;

  private push(byte: number, start: number, end: number): void {
    if (this.length === this.bytes.length) this.grow();
    this.bytes[this.length] = byte;
    this.charStart[this.length] = start;
    this.charEnd[this.length] = end;
    this.length++;
  }

  private grow(): void {
    const size = this.bytes.length * 2;
    const bytes = new Uint8Array(size);
    const charStart = new Int32Array(size);
    const charEnd = new Int32Array(size);
    bytes.set(this.bytes);
    charStart.set(this.charStart);
    charEnd.set(this.charEnd);
    this.bytes = bytes;
    this.charStart = charStart;
    this.charEnd = charEnd;
  }

  /** Appends a space that is not in the original text (add_prefix_space); it maps to the empty span [at, at). */
  pushSyntheticSpace(at: number): void {
    this.push(0x20, at, at);
  }

  /**
   * Appends the UTF-8 bytes of `text[start, end)`; `origin` is the index in the original text of `text[0]`.
   * The text must be free of lone surrogates (see replaceLoneSurrogates).
   */
  pushUtf8(text: string, start: number, end: number, origin: number): void {
    for (let i = start; i < end; i++) {
      let cp = text.charCodeAt(i);
      const from = origin + i;
      if (cp < 0x80) {
        this.push(cp, from, from + 1);
      } else if (cp < 0x800) {
        this.push(0xc0 | (cp >> 6), from, from + 1);
        this.push(0x80 | (cp & 63), from, from + 1);
      } else if (cp >= 0xd800 && cp <= 0xdbff) {
        // surrogate pair -> one code point of four bytes, spanning two code units
        cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
        i++;
        this.push(0xf0 | (cp >> 18), from, from + 2);
        this.push(0x80 | ((cp >> 12) & 63), from, from + 2);
        this.push(0x80 | ((cp >> 6) & 63), from, from + 2);
        this.push(0x80 | (cp & 63), from, from + 2);
      } else {
        this.push(0xe0 | (cp >> 12), from, from + 1);
        this.push(0x80 | ((cp >> 6) & 63), from, from + 1);
        this.push(0x80 | (cp & 63), from, from + 1);
      }
    }
  }

  clear(): void {
    this.length = 0;
  }
}
