// Decoding input bytes to text the way Hugging Face pipelines do (invalid UTF-8 and lone surrogates
// become U+FFFD), while telling the user which lines were damaged instead of hiding it. The bytes may
// arrive in pieces (a file read chunk by chunk, standard input): Utf8LineDecoder hands out whole lines.
// Pure: no node:* imports, so that the readers' core can be tested on plain Uint8Arrays.
import { InputError } from "../errors.js";

/** After this many per-line warnings, the rest are summarised in one line. */
const MAX_LINE_WARNINGS = 10;

const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** The decoded text and one warning per line that held invalid UTF-8. */
export interface DecodedText {
  text: string;
  warnings: string[];
}

/** Whole lines decoded from a piece of a byte stream. */
export interface DecodedLines {
  /** The lines, each ending in "\n" except the last line of the stream when the stream has no final "\n". */
  text: string;
  /** 1-based number of the first line in `text`. */
  firstLine: number;
  /** Lines (1-based, counted from the start of the stream) whose invalid bytes became U+FFFD. */
  badLines: number[];
}

/**
 * Decodes a byte stream pushed in pieces of any size into whole lines. A leading byte-order mark is
 * dropped (spreadsheet exports add one). Splitting at 0x0A is safe because that byte never occurs
 * inside a multi-byte UTF-8 sequence, so a piece that ends in the middle of a character is simply
 * kept until the rest of its line arrives. Memory held: the unfinished last line.
 * @example
 * const d = new Utf8LineDecoder();
 * d.push(bytesA); d.push(bytesB); const rest = d.end();
 */
export class Utf8LineDecoder {
  private pending: Uint8Array[] = [];
  private held = 0;
  private nextLine = 1;
  private atStart: boolean;

  /** `atStreamStart: false` when the bytes start in the middle of a file (a shard): no BOM is looked for. */
  constructor(options: { atStreamStart?: boolean } = {}) {
    this.atStart = options.atStreamStart ?? true;
  }

  /** Bytes of the unfinished line held so far. */
  get pendingBytes(): number {
    return this.held;
  }

  /** 1-based number of the next line to be completed (the unfinished one, if any). */
  get lineNumber(): number {
    return this.nextLine;
  }

  /** Adds bytes; returns the lines they complete (possibly none). */
  push(bytes: Uint8Array): DecodedLines {
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      this.keep(bytes);
      return { text: "", firstLine: this.nextLine, badLines: [] };
    }
    const complete = this.take(bytes.subarray(0, lastNewline + 1));
    this.keep(bytes.subarray(lastNewline + 1));
    return this.decode(complete);
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.held += bytes.length;
  }

  /** Ends the stream: returns the last line if it had no final "\n". */
  end(): DecodedLines {
    return this.decode(this.take(new Uint8Array(0)));
  }

  /** The pending bytes followed by `bytes`, as one array; clears the pending list. */
  private take(bytes: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return bytes;
    const parts = [...this.pending, bytes];
    this.pending = [];
    this.held = 0;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  private decode(bytes: Uint8Array): DecodedLines {
    let body = bytes;
    if (this.atStart && body.length > 0) {
      if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
      this.atStart = false;
    }
    const firstLine = this.nextLine;
    const { text, badLines } = decodeLines(body, firstLine);
    this.nextLine += countLines(body);
    return { text, firstLine, badLines };
  }
}

/** Lines in a piece of bytes: one per 0x0A, plus one for a last line without it. */
function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) lines++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? lines + 1 : lines;
}

/** The message of a line whose invalid UTF-8 was replaced. */
export const INVALID_UTF8 = "invalid UTF-8 replaced with U+FFFD";

/**
 * Decodes UTF-8 bytes in one go. A leading byte-order mark is dropped; invalid sequences are replaced
 * by U+FFFD (one per maximal invalid subpart, as Python's `errors="replace"` and WHATWG decoders do),
 * with a warning `source:line: ...` per damaged physical line (1-based).
 * @example decodeUtf8(new Uint8Array([0x61, 0x0a, 0xff]), "in.txt") // { text: "a\n\uFFFD", warnings: ["in.txt:2: ..."] }
 */
export function decodeUtf8(bytes: Uint8Array, source: string): DecodedText {
  const decoder = new Utf8LineDecoder();
  const head = decoder.push(bytes);
  const tail = decoder.end();
  return { text: head.text + tail.text, warnings: lineWarnings(source, [...head.badLines, ...tail.badLines], INVALID_UTF8) };
}

/**
 * Decodes `bytes` (no BOM handling) and lists the damaged lines, numbered from `firstLine`. The
 * readers call it on blocks of whole lines, so that no single string has to hold a whole big file.
 */
export function decodeLines(bytes: Uint8Array, firstLine: number): { text: string; badLines: number[] } {
  try {
    return { text: fatalDecoder.decode(bytes), badLines: [] };
  } catch {
    // Some bytes are invalid: decode line by line to find which. Splitting at 0x0A is safe because
    // that byte never occurs inside a multi-byte UTF-8 sequence.
  }
  // A line was damaged when its text holds more U+FFFD than its bytes spelled out (EF BF BD). No
  // exception per line: a file of 100,000 damaged lines took 9 s when each line's decode threw.
  const parts: string[] = [];
  const badLines: number[] = [];
  let lineStart = 0;
  let line = firstLine;
  while (lineStart < bytes.length) {
    const newline = bytes.indexOf(0x0a, lineStart);
    const lineEnd = newline < 0 ? bytes.length : newline + 1;
    const segment = bytes.subarray(lineStart, lineEnd);
    const decoded = lenientDecoder.decode(segment);
    if (countReplacements(decoded) > countEncodedReplacements(segment)) badLines.push(line);
    parts.push(decoded);
    lineStart = lineEnd;
    line++;
  }
  return { text: parts.join(""), badLines };
}

function countReplacements(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\uFFFD"); i !== -1; i = text.indexOf("\uFFFD", i + 1)) count++;
  return count;
}

/** How many times the bytes EF BF BD (U+FFFD written in UTF-8) occur. */
function countEncodedReplacements(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0xef); i !== -1 && i + 2 < bytes.length; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) count++;
  }
  return count;
}

/**
 * One warning per line (`source:line: what`), capped so that a binary file fed by mistake does not
 * flood the terminal: after the first few, the remaining lines are counted in a single warning.
 */
export function lineWarnings(source: string, lines: readonly number[], what: string): string[] {
  const warnings = lines.slice(0, MAX_LINE_WARNINGS).map((line) => `${source}:${line}: ${what}`);
  if (lines.length > MAX_LINE_WARNINGS) {
    const rest = lines.length - MAX_LINE_WARNINGS;
    warnings.push(`${source}: ${rest} more line${rest === 1 ? "" : "s"} with the same problem (${what})`);
  }
  return warnings;
}

/** How much of a file's start the text check reads. */
const SNIFF_BYTES = 65536;

/**
 * Refuses bytes that are not text, before anything is embedded: UTF-16 (a byte-order mark), a NUL
 * byte anywhere (UTF-8 text never has one; binary files nearly always do), or a start of at least 64
 * characters where more than one in three is invalid UTF-8 or a control character (random bytes give
 * about two in three; Latin-1 text a few in a hundred). Text with some damaged lines passes, and
 * decodeUtf8 warns about them. A stream checks each piece: `offset` is where the piece starts in the file;
 * only a piece at the file's start (`atStart`) is looked at for a byte-order mark and sniffed.
 * @example refuseBinary(bytes, "mails.txt") // throws InputError "mails.txt: not text: a NUL byte at offset 18"
 */
export function refuseBinary(bytes: Uint8Array, source: string, offset = 0, atStart = offset === 0): void {
  const fail = (why: string): never => {
    throw new InputError(`${source}: not text: ${why}; give a UTF-8 text file (.txt, .jsonl or .csv)`);
  };
  const nul = bytes.indexOf(0);
  if (atStart && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) fail("a UTF-16 byte-order mark (convert the file to UTF-8)");
  if (nul >= 0) fail(`a NUL byte at offset ${offset + nul} (a binary file?)`);
  if (!atStart) return;
  const start = lenientDecoder.decode(bytes.subarray(0, SNIFF_BYTES));
  let odd = 0;
  for (const ch of start) {
    const c = ch.codePointAt(0)!;
    // U+FFFD = invalid UTF-8 (or a cut at the 64 KiB edge); C0 controls other than tab, line breaks, form feed, escape
    if (c === 0xfffd || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x0d && c !== 0x1b) || c === 0x7f) odd++;
  }
  if (start.length >= 64 && odd * 3 > start.length) fail(`${odd} of its first ${start.length} characters are invalid UTF-8 or control characters (a binary file?)`);
}
