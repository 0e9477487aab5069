// The pure core of the input readers: bytes of a .txt, .jsonl or .csv file in, texts (and labels) out,
// in file order, each with the line it came from. The Node side (src/io/readers.ts) only fetches the bytes.
import { replaceLoneSurrogates } from "../encoder/tokenizer/index.js";
import { MAX_JSON_DEPTH, nestingBeyond } from "../encoder/json.js";
import { describeValue, InputError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { decodeLines, decodeUtf8, lineWarnings, refuseBinary } from "./utf8.js";

export type InputFormat = "txt" | "jsonl" | "csv";

export const INPUT_FORMATS: readonly InputFormat[] = ["txt", "jsonl", "csv"];

/** One input text; `label` is present exactly when a label field was asked for. */
export interface TextRecord {
  text: string;
  label?: unknown;
  /** 1-based physical line of the file where the record starts (for CSV, where its first field starts). */
  line: number;
}

export interface ParsedRecords {
  records: TextRecord[];
  /** Non-fatal problems, each `source:line: what`, for the caller to print. */
  warnings: string[];
}

export interface ParseOptions {
  /** File name or `<stdin>`; every error and warning starts with it. */
  source: string;
  format: InputFormat;
  /** JSONL field or CSV column holding the text (default `text`); ignored for .txt. */
  textField?: string;
  /** JSONL field or CSV column holding the label; .txt files cannot carry labels. */
  labelField?: string;
  /** .txt and .jsonl are decoded this many bytes at a time, in whole lines (default 32 MiB). */
  blockBytes?: number;
}

/**
 * Parses an input file's bytes into records, in file order.
 * - txt: one text per line; LF or CRLF; a final line break does not add a record. Blank lines are KEPT
 *   as empty texts so that output row i is input line i, with one warning listing them.
 * - jsonl: one JSON object per line; blank lines are skipped.
 * - csv: RFC 4180 with a required header row; completely empty lines are skipped.
 * Bytes that are not text (a NUL byte, UTF-16, mostly invalid UTF-8) are refused with an InputError.
 * Invalid UTF-8 and lone surrogates become U+FFFD with a warning naming the line. Malformed input
 * (bad JSON, a missing field or label, a ragged CSV row) throws an InputError naming the line.
 * @example parseRecords(bytes, { source: "in.jsonl", format: "jsonl", labelField: "label" })
 */
export function parseRecords(bytes: Uint8Array, options: ParseOptions): ParsedRecords {
  refuseBinary(bytes, options.source);
  const textField = options.textField ?? "text";
  const { source } = options;
  switch (options.format) {
    case "txt":
      if (options.labelField !== undefined) {
        throw new InputError(`${source}: a .txt file has no labels; use .jsonl or .csv with a label field`);
      }
      return parseTxt(bytes, source, options.blockBytes);
    case "jsonl":
      return parseJsonl(bytes, source, textField, options.labelField, options.blockBytes);
    case "csv": {
      // A record may span lines, so CSV is decoded whole: up to what one string can hold.
      if (bytes.length > MAX_CSV_BYTES) {
        throw new InputError(`${source}: a CSV file of ${bytes.length} bytes is above the limit of ${MAX_CSV_BYTES}; use .jsonl or .txt`, { code: "EP_LIMIT" });
      }
      const { text, warnings } = decodeUtf8(bytes, source);
      return parseCsvRecords(text, source, textField, options.labelField, warnings);
    }
  }
}

/** Text is decoded this much at a time, in whole lines: one JS string holds at most ~512 M characters. */
const BLOCK_BYTES = 32 * 1024 * 1024;

/** The longest line of a .txt or .jsonl file, in bytes; longer is an InputError (code EP_LIMIT). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** The largest .csv file, in bytes (it is decoded as one string). */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;

/**
 * Calls `onLine(text, lineNumber)` for every line of `bytes` (LF or CRLF; a final line break adds no
 * line), decoding a block of whole lines at a time, so that a 600 MB file never becomes one string
 * ("RangeError: Invalid string length"). Returns the warnings about damaged UTF-8.
 */
function forEachLine(bytes: Uint8Array, source: string, onLine: (text: string, line: number) => void, blockBytes = BLOCK_BYTES): string[] {
  const badLines: number[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 1;
  while (start < bytes.length) {
    let end = Math.min(bytes.length, start + blockBytes);
    if (end < bytes.length) {
      const newline = bytes.lastIndexOf(0x0a, end - 1);
      if (newline >= start) {
        end = newline + 1;
      } else {
        // one line longer than a block: it is one string, up to the line limit
        const next = bytes.indexOf(0x0a, end);
        end = next < 0 ? bytes.length : next + 1;
        if (end - start > MAX_LINE_BYTES) {
          throw new InputError(`${source}:${line}: a line of ${end - start} bytes is above the limit of ${MAX_LINE_BYTES}`, { code: "EP_LIMIT" });
        }
      }
    }
    const block = decodeLines(bytes.subarray(start, end), line);
    for (const bad of block.badLines) badLines.push(bad);
    const lines = block.text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    for (const raw of lines) onLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw, line++);
    start = end;
  }
  return lineWarnings(source, badLines, "invalid UTF-8 replaced with U+FFFD");
}

function parseTxt(bytes: Uint8Array, source: string, blockBytes: number | undefined): ParsedRecords {
  const records: TextRecord[] = [];
  const blank: number[] = [];
  const warnings = forEachLine(bytes, source, (text, line) => {
    records.push({ text, line });
    if (text === "") blank.push(line);
  }, blockBytes);
  if (blank.length > 0) {
    const list = blank.length <= 10 ? blank.join(", ") : `${blank.slice(0, 10).join(", ")}, ...`;
    const s = blank.length === 1 ? "" : "s";
    warnings.push(`${source}: ${blank.length} blank line${s} kept as empty texts (line${s} ${list})`);
  }
  return { records, warnings };
}

function parseJsonl(
  bytes: Uint8Array,
  source: string,
  textField: string,
  labelField: string | undefined,
  blockBytes: number | undefined,
): ParsedRecords {
  const records: TextRecord[] = [];
  const surrogateLines: number[] = [];
  const warnings = forEachLine(bytes, source, (raw, line) => {
    if (raw.trim() === "") return;
    if (nestingBeyond(raw, MAX_JSON_DEPTH) >= 0) {
      throw new InputError(`${source}:${line}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`, { code: "EP_LIMIT" });
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new InputError(`${source}:${line}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputError(`${source}:${line}: expected a JSON object, got ${jsonKind(value)}`);
    }
    const object = value as Record<string, unknown>;
    if (!Object.hasOwn(object, textField)) throw new InputError(`${source}:${line}: no field "${textField}"`);
    const rawText = object[textField];
    if (typeof rawText !== "string") {
      throw new InputError(`${source}:${line}: field "${textField}" is ${jsonKind(rawText)}, expected a string`);
    }
    const fixed = replaceLoneSurrogates(rawText);
    if (fixed.replaced) surrogateLines.push(line);
    const record: TextRecord = { text: fixed.text, line };
    if (labelField !== undefined) {
      if (!Object.hasOwn(object, labelField)) throw new InputError(`${source}:${line}: no label field "${labelField}"`);
      const label = object[labelField];
      if (label === null) throw new InputError(`${source}:${line}: label field "${labelField}" is null`);
      record.label = label;
    }
    records.push(record);
  }, blockBytes);
  warnings.push(...lineWarnings(source, surrogateLines, `lone surrogate in field "${textField}" replaced with U+FFFD`));
  return { records, warnings };
}

function parseCsvRecords(
  text: string,
  source: string,
  textColumn: string,
  labelColumn: string | undefined,
  warnings: string[],
): ParsedRecords {
  const [header, ...rows] = parseCsv(text, source);
  if (header === undefined) {
    throw new InputError(`${source}: the CSV file is empty; a header row naming the columns is required`);
  }
  const textIndex = columnIndex(header.fields, textColumn, source, "text");
  const labelIndex = labelColumn === undefined ? -1 : columnIndex(header.fields, labelColumn, source, "label");
  const records = rows.map((row): TextRecord => {
    if (row.fields.length !== header.fields.length) {
      throw new InputError(
        `${source}:${row.line}: ${row.fields.length} field${row.fields.length === 1 ? "" : "s"}, but the header has ${header.fields.length}`,
      );
    }
    const record: TextRecord = { text: row.fields[textIndex] ?? "", line: row.line };
    if (labelColumn !== undefined) {
      const label = row.fields[labelIndex] ?? "";
      if (label === "") throw new InputError(`${source}:${row.line}: empty label in column "${labelColumn}"`);
      record.label = label;
    }
    return record;
  });
  return { records, warnings };
}

/** How many column names an error lists before it only counts them. */
const MAX_COLUMNS_LISTED = 20;

/** Index of `name` in the header; an unknown or repeated name is an error listing the columns. */
function columnIndex(header: string[], name: string, source: string, role: string): number {
  const index = header.indexOf(name);
  const shown = header.slice(0, MAX_COLUMNS_LISTED).map((c) => describeValue(c)).join(", ");
  const columns = header.length > MAX_COLUMNS_LISTED ? `${shown}, … (${header.length} columns)` : shown;
  if (index < 0) throw new InputError(`${source}: no ${role} column "${name}"; the header has ${columns}`);
  if (header.indexOf(name, index + 1) >= 0) {
    throw new InputError(`${source}: the ${role} column "${name}" appears more than once in the header (${columns})`);
  }
  return index;
}

function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
