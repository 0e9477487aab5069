// Node side of streaming input: the records of a file or of standard input, read chunk by chunk
// through the pure RecordParser, so that a corpus of any size passes in bounded memory; and shards —
// byte ranges of a file — so that n processes can share one corpus without a scheduler.
// A line belongs to the shard where its first byte lies: shard i of n reads the lines that start in
// [⌊i·size/n⌋, ⌊(i+1)·size/n⌋). Shards of a file therefore hold every line exactly once, in order, and
// their outputs put end to end are the output of one run.
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { EncoderPoolingError, UsageError } from "../errors.js";
import { RecordParser, type InputFormat, type RecordWarning, type TextRecord } from "../formats/records.js";
import { formatFromInputPath, STDIN_SOURCE } from "./readers.js";

/** Shard `index` (0-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

export interface RecordStreamOptions {
  /** Overrides the format the extension implies; `-` (stdin) is read as txt unless this says otherwise. */
  format?: InputFormat;
  /** JSONL field or CSV column holding the text (default `text`). */
  textField?: string;
  /** JSONL field or CSV column holding an id to carry to the output. */
  idField?: string;
  /** Read only this shard of the file (.txt and .jsonl files only). */
  shard?: Shard;
  /** Stream read for `-` (default `process.stdin`). */
  stdin?: Readable;
  /** Receives each non-fatal problem with the source it is about (`in.txt`, `<stdin>`, `in.txt@1048576`). */
  onWarning?: (warning: RecordWarning & { source: string }) => void;
}

/** Records arriving from a file or stdin, with how far the reading has got (for an ETA). */
export interface RecordStream {
  /** The name messages use: the path, `<stdin>`, or `path@start` for a shard (lines counted from there). */
  readonly source: string;
  /** Bytes to read in all (the file's or the shard's), or undefined for stdin. */
  readonly totalBytes: number | undefined;
  /** Bytes of the records handed out so far (estimated within a chunk). */
  readonly bytesRead: number;
  readonly records: AsyncIterable<TextRecord>;
}

/** Bytes per read: the size of a pipe's buffer; larger chunks only make the heap swing wider (measured: 1 MB
 * chunks added 25 MB of peak RSS over a 50 MB file, 64 KB add 8 MB). */
const CHUNK_BYTES = 1 << 16;

/** Parses "i/n" (0 ≤ i < n) as a shard; anything else is a UsageError naming `flag`. */
export function parseShard(text: string, flag: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || !(count >= 1) || !(index < count)) {
    throw new UsageError(`${flag} must be i/n with 0 ≤ i < n (e.g. 0/4 for the first of four shards), got "${text}"`);
  }
  return { index, count };
}

/** The byte range [start, end) in which shard i of n finds the first bytes of its lines. */
export function shardRange(size: number, shard: Shard): { start: number; end: number } {
  return { start: Math.floor((shard.index * size) / shard.count), end: Math.floor(((shard.index + 1) * size) / shard.count) };
}

/**
 * Opens the records of a .txt / .jsonl / .csv file, or of stdin for `-`, as a stream: nothing is read
 * until the records are iterated. A missing file is an error naming it.
 * @example
 * const input = openRecordStream("corpus.jsonl", { idField: "id", shard: { index: 0, count: 4 } });
 * for await (const record of input.records) console.log(record.id, record.text);
 */
export function openRecordStream(path: string, options: RecordStreamOptions = {}): RecordStream {
  const format = options.format ?? formatFromInputPath(path);
  const isStdin = path === "-";
  const size = isStdin ? undefined : fileSize(path);
  const shard = options.shard;
  if (shard !== undefined && (isStdin || format === "csv")) {
    throw new UsageError(
      isStdin
        ? "--shard needs an input file: a stream has no byte ranges (to split a stream, use GNU parallel --pipe)"
        : `--shard: not supported for .csv (a quoted field may span lines, so a byte range cannot be cut safely); convert ${path} to .jsonl`,
    );
  }
  const range = size !== undefined && shard !== undefined ? shardRange(size, shard) : { start: 0, end: size ?? Infinity };
  const source = isStdin ? STDIN_SOURCE : range.start > 0 ? `${path}@${range.start}` : path;
  let bytesRead = 0;
  const parser = new RecordParser({
    source,
    format,
    textField: options.textField,
    idField: options.idField,
    atFileStart: range.start === 0,
    onWarning: (w) => options.onWarning?.({ ...w, source }),
  });
  const chunks = isStdin ? (options.stdin ?? process.stdin) : readRange(path, range.start, range.end);

  async function* records(): AsyncGenerator<TextRecord> {
    for await (const chunk of chunks) {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
      const parsed = parser.push(bytes);
      // spread the chunk's bytes over its records, so that the ETA moves with the records handed out
      const start = bytesRead;
      for (let k = 0; k < parsed.length; k++) {
        bytesRead = start + Math.round((bytes.length * (k + 1)) / parsed.length);
        yield parsed[k]!;
      }
      bytesRead = start + bytes.length;
    }
    yield* parser.end();
  }

  return {
    source,
    totalBytes: size === undefined ? undefined : range.end - range.start,
    get bytesRead() {
      return bytesRead;
    },
    records: records(),
  };
}

function fileSize(path: string): number {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new EncoderPoolingError(`input: ${path} is a directory, expected a file`, { code: "EP_IO" });
    return stat.size;
  } catch (err) {
    if (err instanceof EncoderPoolingError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new EncoderPoolingError(`input: file not found: ${path}`, { code: "EP_IO" });
    throw new EncoderPoolingError(`input: cannot read ${path}: ${(err as Error).message}`, { code: "EP_IO", cause: err });
  }
}

/**
 * The bytes of the lines that start in [start, end): from `start` (or, after the line break that ends
 * the line running into `start`), up to and including the line break that ends the line holding byte end − 1.
 */
async function* readRange(path: string, start: number, end: number): AsyncGenerator<Uint8Array> {
  if (start >= end) return;
  // Read from start − 1: if that byte is a line break, a line starts exactly at `start`.
  const from = start === 0 ? 0 : start - 1;
  let position = from; // file position just after the chunk read so far
  let skipping = start > 0; // dropping the end of the line that runs into `start` (the previous shard's)
  for await (const chunk of createReadStream(path, { start: from, highWaterMark: CHUNK_BYTES })) {
    const buffer = chunk as Buffer;
    let bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    position += bytes.length;
    if (skipping) {
      const newline = bytes.indexOf(0x0a);
      if (newline < 0) continue;
      skipping = false;
      bytes = bytes.subarray(newline + 1);
      if (position - bytes.length >= end) return; // no line starts inside this shard
    }
    if (position < end) {
      yield bytes;
      continue;
    }
    // The chunk reaches `end`: the line holding byte end − 1 is ours, to its line break.
    const offset = position - bytes.length; // file position of bytes[0]
    const newline = bytes.indexOf(0x0a, Math.max(0, end - 1 - offset));
    if (newline < 0) {
      yield bytes;
      continue;
    }
    yield bytes.subarray(0, newline + 1);
    return;
  }
}
