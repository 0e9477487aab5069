// GPT-2's reversible map between the 256 byte values and 256 printable Unicode characters.
//
// Byte-level BPE works on UTF-8 bytes, but the vocabulary files store tokens as JSON strings, so every
// byte is shown as a visible character: the 188 bytes that are already printable Latin-1 characters
// (`!`..`~`, `¡`..`¬`, `®`..`ÿ`) stand for themselves, and the other 68 (controls, space, NBSP, soft
// hyphen) are moved to U+0100 and up in byte order. This is why a space shows up as `Ġ` (U+0120) and a
// newline as `Ċ` (U+010A) in vocab.json.

/** Whether byte `b` is printable Latin-1 and therefore stands for itself in the table. */
function isPrintableByte(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(isPrintableByte(b) ? b : next++);
  }
  return table;
}

/** `BYTE_TO_CHAR[b]` is the one-character string that stands for byte `b` in vocab.json and merges.txt. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The inverse of BYTE_TO_CHAR, indexed by the character's UTF-16 code unit (all lie below U+0144). */
export const CHAR_CODE_TO_BYTE: Int16Array = (() => {
  const inverse = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((char, b) => {
    inverse[char.charCodeAt(0)] = b;
  });
  return inverse;
})();

/** The byte a table character stands for, or -1 if `code` is not one of the 256 table characters. */
export function byteOfCharCode(code: number): number {
  return code < CHAR_CODE_TO_BYTE.length ? CHAR_CODE_TO_BYTE[code]! : -1;
}
