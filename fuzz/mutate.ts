// The mutation engine: one file of a case is changed by 1–4 stacked mutations, AFL's "havoc" style.
// Bytes are flipped, cut, repeated and spliced; JSON texts (and a safetensors header, re-framed so
// that its length still matches) get numbers, strings and nesting swapped for the values that break
// parsers: huge and negative sizes, ids past 2^24, thousands of levels of brackets, invalid UTF-8.
import { type Case, FuzzRng } from "./case.js";

/** How a target's file is read, which decides the mutations that make sense for it. */
export type FileKind = "json" | "text" | "safetensors";

/** Cases larger than this are not produced: the fuzzer looks for small inputs that cost a lot. */
export const MAX_CASE_BYTES = 1_000_000;

const INTERESTING_NUMBERS = [
  "0", "-1", "1", "2", "3", "8", "255", "256", "65535", "65536", "65537", "100000", "16777215", "16777216",
  "2147483647", "2147483648", "4294967296", "9007199254740993", "1e5", "1e9", "2e9", "1e15", "1e21", "1e308",
  "-1e308", "1e309", "1e-300", "5e-324", "0.5", "1.5", "-0", "3e38", "-2", "1000", "1000000",
];

const INTERESTING_VALUES = [
  "null", "true", "false", "[]", "{}", '""', '"x"', "[1]", '{"a":1}', '[[["deep"]]]', '"\\ud800"', '"\\u0000"',
  '"<|im-start|>"', '"[a-z]+"', '"<s>"', '"F32"', '"F16"', '"BF16"', '"I64"', '"BOOL"', '"F8_E4M3"', '"gelu"',
  '"lstm"', '"gem"', '"combine"', '"attention"', '"concat"', '"BPE"', '"ByteLevel"', "[0, 0]", "[0, 4]", "[-1]",
];

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x5b, 0x7b, 0x5d, 0x7d, 0x2c, 0x3a, 0x5c, 0x2d, 0x39, 0x0a, 0x0d, 0x20, 0xc0, 0xed];

const INVALID_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]];

const INTERESTING_U64 = [0n, 1n, 7n, 8n, 0xffn, 0xffffffffn, 0x100000000n, 100_000_001n, 1_500_000_000n, 0x7fffffffffffffffn, 0xffffffffffffffffn, 2n ** 53n + 1n];

const NEST_DEPTHS = [2, 10, 63, 64, 65, 100];
const BOMB_NEST_DEPTHS = [1000, 8192, 100_000];

// Most mutations are small; one in BOMB_ODDS is a size bomb (a million-character string, 100,000
// brackets, a chunk repeated 100,000 times). Bombs are slow to build and to parse, and one is enough
// to find what they find.
const BOMB_ODDS = 0.01;

/** Once a file is this large, no further mutation is stacked on it. */
const STACK_LIMIT_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A new case: `base` with one of its files mutated. `others` are splice partners; `words` a dictionary. */
export function mutateCase(base: Case, others: readonly Case[], kinds: ReadonlyMap<string, FileKind>, words: readonly string[], rng: FuzzRng): Case {
  const names = [...base.keys()];
  const name = rng.pick(names);
  const kind = kinds.get(name) ?? "text";
  let data = base.get(name)!;
  const rounds = 1 + rng.below(4);
  for (let r = 0; r < rounds; r++) {
    const partner = rng.pick(others).get(name) ?? data;
    data = mutateFile(data, partner, kind, words, rng);
    if (data.length > MAX_CASE_BYTES) data = data.subarray(0, MAX_CASE_BYTES);
    if (data.length > STACK_LIMIT_BYTES) break;
  }
  const out: Case = new Map(base);
  out.set(name, data);
  return out;
}

function mutateFile(data: Uint8Array, partner: Uint8Array, kind: FileKind, words: readonly string[], rng: FuzzRng): Uint8Array {
  if (kind === "safetensors" && rng.chance(0.5)) return mutateSafetensorsHeader(data, words, rng);
  if (kind !== "safetensors" && rng.chance(0.5)) return encoder.encode(mutateText(decoder.decode(data), words, rng));
  return mutateBytes(data, partner, rng);
}

// ---------------------------------------------------------------------------------------------------
// Bytes

function mutateBytes(data: Uint8Array, partner: Uint8Array, rng: FuzzRng): Uint8Array {
  const n = data.length;
  const at = rng.below(n + 1);
  switch (rng.below(9)) {
    case 0: { // flip one bit
      if (n === 0) return data;
      const out = data.slice();
      out[rng.below(n)]! ^= 1 << rng.below(8);
      return out;
    }
    case 1: { // set one byte to an interesting value
      if (n === 0) return data;
      const out = data.slice();
      out[rng.below(n)] = rng.pick(INTERESTING_BYTES);
      return out;
    }
    case 2: // delete a range
      return concat(data.subarray(0, at), data.subarray(Math.min(n, at + 1 + rng.below(64))));
    case 3: { // duplicate a range in place
      const end = Math.min(n, at + 1 + rng.below(256));
      return concat(data.subarray(0, end), data.subarray(at, end), data.subarray(end));
    }
    case 4: // insert invalid UTF-8
      return concat(data.subarray(0, at), Uint8Array.from(rng.pick(INVALID_UTF8)), data.subarray(at));
    case 5: // truncate
      return data.subarray(0, at);
    case 6: // splice: our head, the partner's tail
      return concat(data.subarray(0, at), partner.subarray(rng.below(partner.length + 1)));
    case 7: { // overwrite a little-endian u64 (a safetensors header length, an offset)
      if (n < 8) return data;
      const out = data.slice();
      const position = rng.chance(0.5) ? 0 : rng.below(n - 7);
      new DataView(out.buffer).setBigUint64(position, rng.pick(INTERESTING_U64), true);
      return out;
    }
    default: { // repeat a short chunk many times (size bombs)
      const chunk = data.subarray(at, Math.min(n, at + 1 + rng.below(8)));
      const times = rng.chance(BOMB_ODDS) ? rng.pick([10_000, 100_000]) : rng.pick([2, 10, 100]);
      if (chunk.length * times > MAX_CASE_BYTES) return data;
      const repeated = new Uint8Array(chunk.length * times);
      for (let i = 0; i < times; i++) repeated.set(chunk, i * chunk.length);
      return concat(data.subarray(0, at), repeated, data.subarray(at));
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// JSON and text

// Spans of JSON scalars: strings (with escapes) and numbers.
const STRING = /"(?:[^"\\\n]|\\.)*"/g;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

function mutateText(text: string, words: readonly string[], rng: FuzzRng): string {
  switch (rng.below(8)) {
    case 0:
      return replaceMatch(text, NUMBER, () => rng.pick(INTERESTING_NUMBERS), rng);
    case 1:
      return replaceMatch(text, STRING, () => (rng.chance(0.5) ? rng.pick(INTERESTING_VALUES) : JSON.stringify(rng.pick(words))), rng);
    case 2: // a scalar becomes something of another type
      return replaceMatch(text, rng.chance(0.5) ? NUMBER : STRING, () => rng.pick(INTERESTING_VALUES), rng);
    case 3: { // wrap a scalar in deep brackets
      const depth = rng.chance(BOMB_ODDS) ? rng.pick(BOMB_NEST_DEPTHS) : rng.pick(NEST_DEPTHS);
      const open = rng.chance(0.7) ? "[" : '{"a":';
      const close = open === "[" ? "]" : "}";
      return replaceMatch(text, rng.chance(0.5) ? NUMBER : STRING, (m) => open.repeat(depth) + m + close.repeat(depth), rng);
    }
    case 4: { // insert a dictionary word or value at a random place
      const at = rng.below(text.length + 1);
      const piece = rng.chance(0.5) ? JSON.stringify(rng.pick(words)) : rng.pick(INTERESTING_VALUES);
      return text.slice(0, at) + piece + text.slice(at);
    }
    case 5: { // duplicate one line or list element
      const parts = text.split(rng.chance(0.5) ? "\n" : ",");
      const i = rng.below(parts.length);
      const copies = rng.chance(BOMB_ODDS) ? 5000 : rng.pick([1, 2, 50]);
      if (parts[i]!.length * copies > MAX_CASE_BYTES) return text;
      const repeated = Array.from({ length: copies }, () => parts[i]!);
      return [...parts.slice(0, i + 1), ...repeated, ...parts.slice(i + 1)].join(rng.chance(0.5) ? "\n" : ",");
    }
    case 6: { // a long string where a short one was
      const length = rng.chance(BOMB_ODDS) ? 500_000 : rng.pick([100, 10_000]);
      return replaceMatch(text, STRING, () => JSON.stringify(rng.pick(words).padEnd(length, "x")), rng);
    }
    default: { // drop a line (a field, a merge rule, a record)
      const lines = text.split("\n");
      lines.splice(rng.below(lines.length), 1);
      return lines.join("\n");
    }
  }
}

/** Replaces one randomly chosen match of `pattern` (global) by `make(match)`. */
function replaceMatch(text: string, pattern: RegExp, make: (match: string) => string, rng: FuzzRng): string {
  const spans: [number, number][] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null && spans.length < 4096; m = pattern.exec(text)) spans.push([m.index, m.index + m[0].length]);
  if (spans.length === 0) return text;
  const [start, end] = rng.pick(spans);
  return text.slice(0, start) + make(text.slice(start, end)) + text.slice(end);
}

// A safetensors file: mutate the JSON header as text, then write its length back (or, sometimes, not).
function mutateSafetensorsHeader(data: Uint8Array, words: readonly string[], rng: FuzzRng): Uint8Array {
  if (data.length < 8) return data;
  const length = Number(new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true));
  if (length > data.length - 8) return data;
  const header = encoder.encode(mutateText(decoder.decode(data.subarray(8, 8 + length)), words, rng));
  const out = concat(new Uint8Array(8), header, data.subarray(8 + length));
  const claimed = rng.chance(0.9) ? BigInt(header.length) : rng.pick(INTERESTING_U64);
  new DataView(out.buffer).setBigUint64(0, claimed, true);
  return out;
}

/** The JSON keys and string values of the seeds: the words a mutation splices in. */
export function dictionaryOf(cases: readonly Case[], kinds: ReadonlyMap<string, FileKind>): string[] {
  const words = new Set<string>();
  for (const c of cases) {
    for (const [name, data] of c) {
      if (kinds.get(name) === "text" || data.length > 200_000) continue;
      const start = kinds.get(name) === "safetensors" ? 8 : 0;
      const text = decoder.decode(data.subarray(start, start + 20_000));
      for (const m of text.matchAll(STRING)) if (m[0].length < 40 && words.size < 500) words.add(m[0].slice(1, -1));
    }
  }
  return words.size === 0 ? ["x"] : [...words];
}
