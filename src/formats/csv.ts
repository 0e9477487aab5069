// A strict RFC 4180 CSV parser: comma-separated fields, optionally enclosed in double quotes; inside
// quotes a doubled quote ("") is one quote, and commas and line breaks are part of the field. Records
// end at LF or CRLF. What RFC 4180 forbids (a quote inside an unquoted field, text after a closing
// quote, a quote never closed) is an error naming the line, never guessed at.
// Pure: works on an already-decoded string; CsvSplitter cuts text that arrives in pieces at record
// boundaries so that each complete part can be parsed as it comes.
import { InputError } from "../errors.js";

/** One CSV record: its fields and the 1-based physical line on which it starts. */
export interface CsvRow {
  fields: string[];
  line: number;
}

/**
 * Splits CSV text into records. Completely empty lines are skipped (as pandas and Python's
 * `csv.DictReader` do); a quoted empty field `""` is a record. A final line break does not make an
 * extra record. Line breaks inside quoted fields are kept exactly as written (CRLF stays CRLF).
 * `firstLine` is the number of the text's first line (for a piece of a longer file).
 * @example parseCsv('text,label\n"a, b",1\n', "x.csv") // [{fields:["text","label"],line:1}, {fields:["a, b","1"],line:2}]
 */
export function parseCsv(text: string, source: string, firstLine = 1): CsvRow[] {
  const rows: CsvRow[] = [];
  const n = text.length;
  let i = 0;
  let line = firstLine;
  while (i < n) {
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n")) {
      i += text[i] === "\n" ? 1 : 2;
      line++;
      continue;
    }
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text[i] === '"') {
        // Quoted field: runs to the next quote that is not doubled, across line breaks.
        const quoteLine = line;
        let value = "";
        let from = i + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote < 0) {
            throw new InputError(`${source}:${quoteLine}: quoted field starting on this line is never closed`);
          }
          line += countNewlines(text, from, quote);
          if (text[quote + 1] === '"') {
            value += text.slice(from, quote + 1);
            from = quote + 2;
          } else {
            value += text.slice(from, quote);
            i = quote + 1;
            break;
          }
        }
        fields.push(value);
      } else {
        // Unquoted field: runs to the next comma or line break.
        let j = i;
        while (j < n && text[j] !== "," && text[j] !== "\n" && !(text[j] === "\r" && text[j + 1] === "\n")) {
          if (text[j] === '"') {
            throw new InputError(
              `${source}:${line}: quote inside an unquoted field; enclose the whole field in quotes and double the quote ("")`,
            );
          }
          j++;
        }
        fields.push(text.slice(i, j));
        i = j;
      }
      if (i >= n) break;
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n")) {
        i += text[i] === "\n" ? 1 : 2;
        line++;
        break;
      }
      throw new InputError(`${source}:${line}: unexpected text after a closing quote; expected a comma or the end of the line`);
    }
    rows.push({ fields, line: startLine });
  }
  return rows;
}

/**
 * Cuts CSV text pushed in pieces at record boundaries and parses each complete part. A line break
 * ends a record exactly when an even number of quotes came before it in the record (a doubled quote
 * "" opens and closes again), so one scan of each new piece suffices. Memory held: one unfinished record.
 */
export class CsvSplitter {
  private buffer = "";
  private inQuotes = false;
  private line = 1;

  constructor(private readonly source: string) {}

  /** Characters of the unfinished record held so far. */
  get pendingChars(): number {
    return this.buffer.length;
  }

  /** 1-based line on which the unfinished record starts. */
  get pendingLine(): number {
    return this.line;
  }

  /** Adds text; returns the records it completes. */
  push(text: string): CsvRow[] {
    const from = this.buffer.length;
    this.buffer += text;
    let boundary = -1;
    for (let k = from; k < this.buffer.length; k++) {
      const c = this.buffer.charCodeAt(k);
      if (c === 34) this.inQuotes = !this.inQuotes;
      else if (c === 10 && !this.inQuotes) boundary = k + 1;
    }
    if (boundary < 0) return [];
    const complete = this.buffer.slice(0, boundary);
    this.buffer = this.buffer.slice(boundary);
    const rows = parseCsv(complete, this.source, this.line);
    this.line += countNewlines(complete, 0, complete.length);
    return rows;
  }

  /** Ends the text: parses what is left (an unclosed quote is an error naming its line). */
  end(): CsvRow[] {
    const rows = parseCsv(this.buffer, this.source, this.line);
    this.buffer = "";
    return rows;
  }
}

/** Number of LF characters in text[from, to). */
function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === 10) count++;
  return count;
}
