// From token strings back to text: map each character of a byte-level token to its byte, then read
// the bytes as UTF-8. Invalid UTF-8 (a sequence cut in the middle of a character) decodes to U+FFFD,
// as Hugging Face's `from_utf8_lossy` does.

import { byteOfCharCode } from "./byte-unicode.js";

// ignoreBOM keeps a leading U+FEFF in the text instead of dropping it as a byte-order mark.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Collects the bytes of consecutive byte-level tokens and turns them into text. */
export class ByteDecoder {
  private bytes: number[] = [];

  /**
   * Appends the bytes a token stands for. A token with a character outside the byte table is taken
   * as its own UTF-8 text, as Hugging Face's ByteLevel decoder does.
   */
  pushToken(token: string): void {
    const start = this.bytes.length;
    for (let i = 0; i < token.length; i++) {
      const byte = byteOfCharCode(token.charCodeAt(i));
      if (byte < 0) {
        this.bytes.length = start;
        for (const b of utf8Encoder.encode(token)) this.bytes.push(b);
        return;
      }
      this.bytes.push(byte);
    }
  }

  /** The text of the bytes collected so far; empties the buffer. */
  flush(): string {
    if (this.bytes.length === 0) return "";
    const text = utf8.decode(Uint8Array.from(this.bytes));
    this.bytes = [];
    return text;
  }
}
