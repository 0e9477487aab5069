// Node side of the input readers: fetch the bytes of a file or of standard input (`-`), pick the
// format from the extension, and hand over to the pure parser in records.ts.
import { extname, resolve } from "node:path";
import type { Readable } from "node:stream";
import { UsageError } from "../errors.js";
import { readBytes } from "./files.js";
import { INPUT_FORMATS, parseRecords, type InputFormat, type ParsedRecords } from "../formats/records.js";

export interface ReadOptions {
  /** Overrides the format the extension implies; `-` (stdin) is read as txt unless this says otherwise. */
  format?: InputFormat;
  /** JSONL field or CSV column holding the text (default `text`). */
  textField?: string;
  /** JSONL field or CSV column holding the label (training data). */
  labelField?: string;
  /** Stream read for `-` (default `process.stdin`). */
  stdin?: Readable;
  /** Directory a relative path is resolved against (default the process's working directory). */
  cwd?: string;
}

/** The name used for standard input in messages. */
export const STDIN_SOURCE = "<stdin>";

/**
 * Input format from a file name: `.txt`, `.jsonl` or `.csv` (any letter case); `-` means stdin and
 * gives txt. Anything else is a UsageError listing the formats.
 */
export function formatFromInputPath(path: string): InputFormat {
  if (path === "-") return "txt";
  const ext = extname(path).slice(1).toLowerCase();
  const format = INPUT_FORMATS.find((f) => f === ext);
  if (format === undefined) {
    const list = INPUT_FORMATS.map((f) => `.${f}`).join(", ");
    throw new UsageError(`${path}: cannot tell the input format from the extension "${extname(path)}"; expected one of ${list}`);
  }
  return format;
}

/**
 * Reads every record of an input file (or of stdin for `-`) in input order, with warnings for the
 * caller to print. A missing file is an error naming it.
 * @example const { records, warnings } = await readRecords("reviews.csv", { textField: "review", labelField: "stars" });
 */
export async function readRecords(path: string, options: ReadOptions = {}): Promise<ParsedRecords> {
  const format = options.format ?? formatFromInputPath(path);
  const isStdin = path === "-";
  const bytes = isStdin
    ? await readStream(options.stdin ?? process.stdin)
    : await readBytes(options.cwd === undefined ? path : resolve(options.cwd, path), "input");
  return parseRecords(bytes, {
    source: isStdin ? STDIN_SOURCE : path,
    format,
    textField: options.textField,
    labelField: options.labelField,
  });
}

/** Collects a whole stream into one byte array (string chunks are taken as UTF-8). */
export async function readStream(stream: Readable): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    chunks.push(bytes);
    total += bytes.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

