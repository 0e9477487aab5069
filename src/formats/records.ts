// The pure core of the input readers: bytes of a .txt, .jsonl or .csv file in, texts (and labels, and
// ids) out, in file order, each with the line it came from. RecordParser takes the bytes in pieces, so a
// file of any size streams through in bounded memory; parseRecords is the one-piece case. The Node side
// (src/io/readers.ts, src/io/record-stream.ts) only fetches the bytes.
import { replaceLoneSurrogates } from "../encoder/tokenizer/index.js";
import { MAX_JSON_DEPTH, nestingBeyond } from "../encoder/json.js";
import { describeValue, InputError } from "../errors.js";
import { CsvSplitter, type CsvRow } from "./csv.js";
import { INVALID_UTF8, lineWarnings, refuseBinary, Utf8LineDecoder, type DecodedLines } from "./utf8.js";

export type InputFormat = "txt" | "jsonl" | "csv";

export const INPUT_FORMATS: readonly InputFormat[] = ["txt", "jsonl", "csv"];

/** One input text; `label` and `id` are present exactly when their field was asked for. */
export interface TextRecord {
  text: string;
  label?: unknown;
  /** The value of the id field (`--id-field`): any JSON value from .jsonl, a string from .csv. */
  id?: unknown;
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
  /** JSONL field or CSV column holding an id to carry along (a join key); .txt files have none. */
  idField?: string;
  /** Bytes are decoded at most this many at a time, in whole lines (default and maximum 32 MiB). */
  blockBytes?: number;
}

/** Text is decoded at most this much at a time, in whole lines: one JS string holds at most ~512 M characters. */
const BLOCK_BYTES = 32 * 1024 * 1024;

/** The longest line of an input file, in bytes; longer is an InputError (code EP_LIMIT). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/** The longest CSV record (which may span lines), in characters; longer is an InputError (code EP_LIMIT). */
export const MAX_CSV_RECORD_CHARS = 256 * 1024 * 1024;

/** A non-fatal problem on one line; records of one kind share the same `message`. */
export interface RecordWarning {
  line: number;
  message: string;
}

export interface RecordParserOptions extends ParseOptions {
  /** Receives each non-fatal problem as it is found. */
  onWarning?: (warning: RecordWarning) => void;
  /** False when the bytes start inside a file (a shard of it): no byte-order mark is looked for. */
  atFileStart?: boolean;
}

/** The message of a blank .txt line. */
export const BLANK_LINE = "blank line kept as an empty text";

/**
 * Parses an input file pushed in pieces of any size into records, in file order.
 * - txt: one text per line; LF or CRLF; a final line break does not add a record. Blank lines are KEPT
 *   as empty texts so that output row i is input line i, each with a warning.
 * - jsonl: one JSON object per line; blank lines are skipped.
 * - csv: RFC 4180 with a required header row; completely empty lines are skipped.
 * Bytes that are not text (a NUL byte, UTF-16, mostly invalid UTF-8) are refused with an InputError.
 * Invalid UTF-8 and lone surrogates become U+FFFD with a warning naming the line. Malformed input
 * (bad JSON, a missing field or label, a ragged CSV row) throws an InputError naming the line.
 * @example
 * const parser = new RecordParser({ source: "in.jsonl", format: "jsonl", idField: "id" });
 * for await (const chunk of stream) for (const r of parser.push(chunk)) use(r);
 * for (const r of parser.end()) use(r);
 */
export class RecordParser {
  private readonly decoder: Utf8LineDecoder;
  private readonly csv: CsvSplitter | null;
  private csvColumns: { text: number; label: number; id: number; count: number } | null = null;
  private readonly fields: { text: string; label: string | undefined; id: string | undefined };

  constructor(private readonly options: RecordParserOptions) {
    this.decoder = new Utf8LineDecoder({ atStreamStart: options.atFileStart ?? true });
    this.csv = options.format === "csv" ? new CsvSplitter(options.source) : null;
    this.fields = { text: options.textField ?? "text", label: options.labelField, id: options.idField };
    if (options.format === "txt") {
      if (options.labelField !== undefined) {
        throw new InputError(`${options.source}: a .txt file has no labels; use .jsonl or .csv with a label field`);
      }
      if (options.idField !== undefined) throw new InputError(`${options.source}: a .txt file has no id field; use .jsonl or .csv`);
    }
  }

  /**
   * Adds bytes; returns the records they complete. A malformed record ends the parse, but the records
   * before it are still returned: the error is thrown by the next call (push or end).
   */
  push(bytes: Uint8Array): TextRecord[] {
    const block = Math.min(this.options.blockBytes ?? BLOCK_BYTES, BLOCK_BYTES);
    return this.guarded((out) => {
      // bytes that are not text (a NUL byte, UTF-16, mostly invalid UTF-8) are refused, not decoded
      refuseBinary(bytes, this.options.source, this.bytesSeen, this.bytesSeen === 0 && (this.options.atFileStart ?? true));
      this.bytesSeen += bytes.length;
      for (let start = 0; start < bytes.length; start += block) {
        const piece = bytes.subarray(start, start + block);
        this.checkLineLength(piece);
        this.parse(this.decoder.push(piece), false, out);
      }
    });
  }

  /** Ends the input: returns the last records (a .csv input without even a header row is an error). */
  end(): TextRecord[] {
    const records = this.guarded((out) => this.parse(this.decoder.end(), true, out));
    if (this.failure !== null) throw this.failure;
    if (this.csv !== null && this.csvColumns === null) {
      throw new InputError(`${this.options.source}: the CSV file is empty; a header row naming the columns is required`);
    }
    return records;
  }

  private failure: unknown = null;
  private bytesSeen = 0;

  /** Runs a parse into a fresh list; an error is kept for the next call, the records before it returned. */
  private guarded(parse: (out: TextRecord[]) => void): TextRecord[] {
    if (this.failure !== null) throw this.failure;
    const out: TextRecord[] = [];
    try {
      parse(out);
    } catch (err) {
      this.failure = err;
    }
    return out;
  }

  /** The unfinished line grows by `piece` up to its first line break: past MAX_LINE_BYTES it is refused. */
  private checkLineLength(piece: Uint8Array): void {
    const newline = piece.indexOf(0x0a);
    const bytes = this.decoder.pendingBytes + (newline < 0 ? piece.length : newline + 1);
    if (bytes > MAX_LINE_BYTES) {
      throw new InputError(`${this.options.source}:${this.decoder.lineNumber}: a line longer than the limit of ${MAX_LINE_BYTES} bytes`, { code: "EP_LIMIT" });
    }
  }

  private warn(line: number, message: string): void {
    this.options.onWarning?.({ line, message });
  }

  private parse(lines: DecodedLines, last: boolean, out: TextRecord[]): void {
    if (this.csv !== null) {
      for (const line of lines.badLines) this.warn(line, INVALID_UTF8);
      const rows = this.csv.push(lines.text);
      if (this.csv.pendingChars > MAX_CSV_RECORD_CHARS) {
        throw new InputError(`${this.options.source}:${this.csv.pendingLine}: a CSV record longer than the limit of ${MAX_CSV_RECORD_CHARS} characters`, { code: "EP_LIMIT" });
      }
      if (last) rows.push(...this.csv.end());
      for (const row of rows) out.push(...this.csvRecord(row));
      return;
    }
    const split = lines.text.split("\n");
    if (split[split.length - 1] === "") split.pop();
    const bad = new Set(lines.badLines);
    split.forEach((raw, i) => {
      const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      const line = lines.firstLine + i;
      if (bad.has(line)) this.warn(line, INVALID_UTF8);
      if (this.options.format === "txt") {
        if (text === "") this.warn(line, BLANK_LINE);
        out.push({ text, line });
      } else if (text.trim() !== "") {
        out.push(this.jsonlRecord(text, line));
      }
    });
  }

  private jsonlRecord(raw: string, line: number): TextRecord {
    const { source } = this.options;
    const { text: textField, label: labelField, id: idField } = this.fields;
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
    if (fixed.replaced) this.warn(line, `lone surrogate in field "${textField}" replaced with U+FFFD`);
    const record: TextRecord = { text: fixed.text, line };
    if (labelField !== undefined) {
      if (!Object.hasOwn(object, labelField)) throw new InputError(`${source}:${line}: no label field "${labelField}"`);
      const label = object[labelField];
      if (label === null) throw new InputError(`${source}:${line}: label field "${labelField}" is null`);
      record.label = label;
    }
    if (idField !== undefined) {
      if (!Object.hasOwn(object, idField)) throw new InputError(`${source}:${line}: no id field "${idField}"`);
      record.id = object[idField];
    }
    return record;
  }

  /** The record of one CSV row; the first row is the header, which only names the columns. */
  private csvRecord(row: CsvRow): TextRecord[] {
    const { source } = this.options;
    const { text: textColumn, label: labelColumn, id: idColumn } = this.fields;
    if (this.csvColumns === null) {
      const header = row.fields;
      this.csvColumns = {
        text: columnIndex(header, textColumn, source, "text"),
        label: labelColumn === undefined ? -1 : columnIndex(header, labelColumn, source, "label"),
        id: idColumn === undefined ? -1 : columnIndex(header, idColumn, source, "id"),
        count: header.length,
      };
      return [];
    }
    const columns = this.csvColumns;
    if (row.fields.length !== columns.count) {
      throw new InputError(`${source}:${row.line}: ${row.fields.length} field${row.fields.length === 1 ? "" : "s"}, but the header has ${columns.count}`);
    }
    const record: TextRecord = { text: row.fields[columns.text] ?? "", line: row.line };
    if (labelColumn !== undefined) {
      const label = row.fields[columns.label] ?? "";
      if (label === "") throw new InputError(`${source}:${row.line}: empty label in column "${labelColumn}"`);
      record.label = label;
    }
    if (idColumn !== undefined) record.id = row.fields[columns.id] ?? "";
    return [record];
  }
}

/**
 * Parses a whole input file's bytes into records, in file order (see RecordParser for the formats).
 * Warnings come back as lines `source:line: what`, each kind capped (blank .txt lines in one line).
 * @example parseRecords(bytes, { source: "in.jsonl", format: "jsonl", labelField: "label" })
 */
export function parseRecords(bytes: Uint8Array, options: ParseOptions): ParsedRecords {
  const byKind = new Map<string, number[]>();
  const parser = new RecordParser({
    ...options,
    onWarning: ({ line, message }) => {
      const lines = byKind.get(message) ?? [];
      lines.push(line);
      byKind.set(message, lines);
    },
  });
  const records = [...parser.push(bytes), ...parser.end()];
  const warnings = [...byKind].flatMap(([message, lines]) =>
    message === BLANK_LINE ? [blankLinesWarning(options.source, lines)] : lineWarnings(options.source, lines, message),
  );
  return { records, warnings };
}

function blankLinesWarning(source: string, blank: number[]): string {
  const list = blank.length <= 10 ? blank.join(", ") : `${blank.slice(0, 10).join(", ")}, ...`;
  const s = blank.length === 1 ? "" : "s";
  return `${source}: ${blank.length} blank line${s} kept as empty texts (line${s} ${list})`;
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
