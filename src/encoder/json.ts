// Reading JSON from files we did not write: config.json, tokenizer.json, vocab.json, a safetensors
// header, pooling specs and head folders all come through parseJson. It caps the nesting depth before
// parsing (a few kilobytes of `[` must not cost a stack overflow anywhere downstream), and when the
// text is invalid it reports the line and column, found by one non-recursive walk of the grammar
// (JSON.parse's messages differ between engines and often give no position).
import { type EncoderPoolingError, type EncoderPoolingErrorOptions } from "../errors.js";

/** The deepest nesting of arrays and objects accepted in any JSON file (real files need fewer than 8). */
export const MAX_JSON_DEPTH = 64;

/** An error class of ours: the caller's kind of failure (ConfigError, TokenizerError, …). */
export type ErrorClass = new (message: string, options?: EncoderPoolingErrorOptions) => EncoderPoolingError;

// Engines quote part of the text in their message; keep that part short.
const MAX_ENGINE_MESSAGE = 160;

/**
 * JSON.parse for a file's text, with failures as `ErrorClass` errors that start with `source`: invalid
 * JSON names the line and column, nesting deeper than MAX_JSON_DEPTH is refused (code EP_LIMIT).
 * @example const raw = parseJson(text, "model/config.json", ConfigError);
 */
export function parseJson(text: string, source: string, ErrorClass: ErrorClass): unknown {
  const deep = nestingBeyond(text, MAX_JSON_DEPTH);
  if (deep >= 0) {
    throw new ErrorClass(`${source}: JSON nested deeper than ${MAX_JSON_DEPTH} levels at ${lineAndColumn(text, deep)}`, { code: "EP_LIMIT" });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    let message = error instanceof Error ? error.message : String(error);
    if (message.length > MAX_ENGINE_MESSAGE) message = `${message.slice(0, MAX_ENGINE_MESSAGE)}…`;
    const index = jsonErrorIndex(text);
    const where = index >= 0 ? ` at ${lineAndColumn(text, index)}` : "";
    throw new ErrorClass(`${source}: not valid JSON${where}: ${message}`);
  }
}

/** "line L, column C" (both from 1) of the character at `index`. */
export function lineAndColumn(text: string, index: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${index - lineStart + 1}`;
}

/**
 * Index of the bracket that opens level `maxDepth + 1` of nesting, or -1 when the text stays within
 * `maxDepth` levels. Brackets inside strings do not count; the text need not be valid JSON.
 */
export function nestingBeyond(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip the string: up to the next quote that is not escaped
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

// The open brackets on the walk's stack are their character codes.
const OBJECT = 0x7b; // {

/**
 * Index of the first character at which `text` stops being valid JSON (text.length if it ends too
 * early), or -1 when it is valid. One pass with an explicit stack of open brackets: no recursion, so
 * any depth is fine.
 */
export function jsonErrorIndex(text: string): number {
  const open: number[] = []; // per level: OBJECT or [ (0x5b)
  let i = 0;
  const ws = (): void => {
    while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
  };
  // A key and its colon, after "{" or ",": leaves i at the value; false when malformed.
  const key = (): boolean => {
    ws();
    const end = stringEnd(text, i);
    if (end < 0) {
      i = -end - 1;
      return false;
    }
    i = end;
    ws();
    if (text.charCodeAt(i) !== 0x3a) return false;
    i++;
    return true;
  };
  let wantValue = true;
  for (;;) {
    if (wantValue) {
      ws();
      const c = text.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        i++;
        ws();
        if (text.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          i++;
          wantValue = false;
          continue;
        }
        open.push(c);
        if (c === OBJECT && !key()) return Math.min(i, text.length);
        continue;
      }
      const end = c === 0x22 ? stringEnd(text, i) : scalarEnd(text, i);
      if (end < 0) return Math.min(-end - 1, text.length);
      i = end;
      wantValue = false;
      continue;
    }
    ws();
    const top = open[open.length - 1];
    if (top === undefined) return i === text.length ? -1 : i;
    const c = text.charCodeAt(i);
    if (c === 0x2c) {
      i++;
      if (top === OBJECT && !key()) return Math.min(i, text.length);
      wantValue = true;
    } else if (c === (top === OBJECT ? 0x7d : 0x5d)) {
      open.pop();
      i++;
    } else {
      return Math.min(i, text.length);
    }
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** End of the string starting at `start` (after its closing quote), or -(bad index + 1). */
function stringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x22) return -(start + 1);
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -(i + 1);
    if (c === 0x5c) {
      i++;
      if (text[i] === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return -(i + 1);
        i += 4;
      } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) {
        return -(i + 1);
      }
    }
  }
  return -(text.length + 1);
}

/** End of the literal or number starting at `start`, or -(start + 1) when there is none. */
function scalarEnd(text: string, start: number): number {
  for (const word of ["true", "false", "null"]) {
    if (text.startsWith(word, start)) return start + word.length;
  }
  const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(start, start + 400));
  return m === null ? -(start + 1) : start + m[0].length;
}
