// The pure core of the input readers: bytes of a .txt, .jsonl or .csv file in, texts (and labels) out,
// in file order, each with the line it came from. The Node side (src/io/readers.ts) only fetches the bytes.
import { replaceLoneSurrogates } from "../encoder/tokenizer/index.js";
import { InputError } from "../errors.js";
import { parseCsv } from "./csv.js";
import { decodeUtf8, lineWarnings, refuseBinary } from "./utf8.js";

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
  const { text, warnings } = decodeUtf8(bytes, options.source);
  const textField = options.textField ?? "text";
  switch (options.format) {
    case "txt":
      if (options.labelField !== undefined) {
        throw new InputError(`${options.source}: a .txt file has no labels; use .jsonl or .csv with a label field`);
      }
      return parseTxt(text, options.source, warnings);
    case "jsonl":
      return parseJsonl(text, options.source, textField, options.labelField, warnings);
    case "csv":
      return parseCsvRecords(text, options.source, textField, options.labelField, warnings);
  }
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

function parseTxt(text: string, source: string, warnings: string[]): ParsedRecords {
  const lines = splitLines(text);
  const records = lines.map((line, i) => ({ text: line, line: i + 1 }));
  const blank = records.filter((r) => r.text === "").map((r) => r.line);
  if (blank.length > 0) {
    const list = blank.length <= 10 ? blank.join(", ") : `${blank.slice(0, 10).join(", ")}, ...`;
    const s = blank.length === 1 ? "" : "s";
    warnings.push(`${source}: ${blank.length} blank line${s} kept as empty texts (line${s} ${list})`);
  }
  return { records, warnings };
}

function parseJsonl(
  text: string,
  source: string,
  textField: string,
  labelField: string | undefined,
  warnings: string[],
): ParsedRecords {
  const records: TextRecord[] = [];
  const surrogateLines: number[] = [];
  splitLines(text).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
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
  });
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

/** Index of `name` in the header; an unknown or repeated name is an error listing the columns. */
function columnIndex(header: string[], name: string, source: string, role: string): number {
  const index = header.indexOf(name);
  const columns = header.map((c) => JSON.stringify(c)).join(", ");
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
