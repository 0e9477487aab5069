// Reading back what `embed` wrote, a row at a time, for `similar`: a .jsonl line
// {"text"?, "embedding": [...]} and the header of a float32 .npy file. Pure; src/io/vectors.ts streams
// the files through these.
import { parseJson } from "../encoder/json.js";
import { describeValue, InputError, NotSupportedError } from "../errors.js";

/** One stored row: its vector, and its text when the file has one. */
export interface VectorRow {
  vector: Float32Array;
  text?: string;
}

/** Parses one .jsonl line of `embed`'s output; `where` (file:line) names it in errors. */
export function parseVectorLine(line: string, where: string): VectorRow {
  const value = parseJson(line, where, InputError);
  const record = (value ?? {}) as Record<string, unknown>;
  const embedding = record["embedding"];
  if (typeof value !== "object" || Array.isArray(value) || !Array.isArray(embedding)) {
    throw new InputError(`${where}: expected an object with an "embedding" list, as \`embed --output FILE.jsonl\` writes`);
  }
  const vector = new Float32Array(embedding.length);
  embedding.forEach((x: unknown, i) => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new InputError(`${where}: embedding[${i}] is ${describeValue(x)}, expected a finite number`);
    vector[i] = x;
  });
  const text = record["text"];
  return typeof text === "string" ? { vector, text } : { vector };
}

/** Bytes to read for any .npy version 1 header: magic (6), version (2), length (2), then the header. */
export const NPY_PREAMBLE = 10;

/**
 * The layout of a .npy file of float32 rows [N,D] (C order, little-endian), from its first bytes
 * (at least NPY_PREAMBLE + the header length they announce).
 * @example parseNpyHeader(firstBytes, "vectors.npy") // { rows: 100, cols: 64, dataOffset: 128 }
 */
export function parseNpyHeader(bytes: Uint8Array, source: string): { rows: number; cols: number; dataOffset: number } {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (bytes.length < NPY_PREAMBLE || magic !== "\x93NUMPY") throw new InputError(`${source}: not a .npy file (no \\x93NUMPY magic)`);
  if (bytes[6] !== 1) throw new NotSupportedError(`${source}: .npy format version ${bytes[6]} (only 1.0, as numpy writes for small headers)`);
  const headerLength = bytes[8]! | (bytes[9]! << 8);
  if (bytes.length < NPY_PREAMBLE + headerLength) throw new InputError(`${source}: the .npy header is cut short`);
  const header = new TextDecoder("latin1").decode(bytes.subarray(NPY_PREAMBLE, NPY_PREAMBLE + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\((\d+),\s*(\d+)\)/.exec(header);
  if (descr !== "<f4" || fortran !== "False" || shape === null) {
    throw new NotSupportedError(`${source}: .npy with header ${describeValue(header.trim())} (only float32 '<f4' rows [N,D] in C order, as \`embed\` writes)`);
  }
  return { rows: Number(shape[1]), cols: Number(shape[2]), dataOffset: NPY_PREAMBLE + headerLength };
}
