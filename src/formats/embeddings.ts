// Embeddings [N,D] as the bytes of an output file: .safetensors (tensor "embeddings", F32 [N,D]), .npy
// (float32, C order) or .jsonl (one {"text", "embedding"} line per text, in input order). Pure: the
// Node side (src/io/writers.ts) adds the file name rules and the atomic write.
import { serializeSafetensors } from "../encoder/safetensors.js";
import { InputError, NotSupportedError } from "../errors.js";
import { encodeNpyFloat32 } from "./npy.js";

export type OutputFormat = "safetensors" | "jsonl" | "npy";

export const OUTPUT_FORMATS: readonly OutputFormat[] = ["safetensors", "jsonl", "npy"];

/** Name of the tensor in .safetensors outputs. */
export const EMBEDDINGS_TENSOR = "embeddings";

export interface EmbeddingsExtra {
  /** The N input texts; .jsonl lines then carry a "text" field before the embedding. */
  texts?: string[];
  /** String metadata for the .safetensors header (e.g. model and pooling); only safetensors has a place for it. */
  metadata?: Record<string, string>;
}

/**
 * Encodes embeddings [rows,dim] (row-major) as the bytes of a .safetensors, .jsonl or .npy file.
 * @example encodeEmbeddings("npy", vectors, texts.length, 768)
 */
export function encodeEmbeddings(
  format: OutputFormat,
  embeddings: Float32Array,
  rows: number,
  dim: number,
  extra: EmbeddingsExtra = {},
): Uint8Array {
  if (embeddings.length !== rows * dim) {
    throw new InputError(`encodeEmbeddings: embeddings has ${embeddings.length} values, shape [${rows},${dim}] needs ${rows * dim}`);
  }
  if (extra.texts !== undefined && extra.texts.length !== rows) {
    throw new InputError(`encodeEmbeddings: ${extra.texts.length} texts for ${rows} embedding rows`);
  }
  switch (format) {
    case "safetensors":
      return serializeSafetensors(
        new Map([[EMBEDDINGS_TENSOR, { dtype: "F32", shape: [rows, dim], data: embeddings }]]),
        extra.metadata,
      );
    case "npy":
      return encodeNpyFloat32(embeddings, rows, dim);
    case "jsonl":
      return new TextEncoder().encode(embeddingsToJsonl(embeddings, rows, dim, extra.texts));
  }
}

/** One JSON line per row: `{"text":...,"embedding":[...]}` (text only when given), each ending in "\n". */
export function embeddingsToJsonl(embeddings: Float32Array, rows: number, dim: number, texts?: string[]): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const text = texts?.[r];
    lines.push(embeddingJsonLine(embeddings.subarray(r * dim, (r + 1) * dim), text === undefined ? {} : { text }, r));
  }
  return lines.join("");
}

/** What a JSONL row carries besides its embedding: an id under its input field's name, and the text. */
export interface RowFields {
  id?: { field: string; value: unknown };
  text?: string;
}

/**
 * One JSONL row `{"<id field>":…,"text":…,"embedding":[…]}\n` (id and text only when given), every
 * value printed as the shortest decimal of its float32. `row` names the row in the error for a NaN.
 * @example embeddingJsonLine(vector, { id: { field: "doc", value: 7 }, text: "a cat" }, 0)
 */
export function embeddingJsonLine(vector: Float32Array, fields: RowFields, row: number): string {
  const values: string[] = new Array<string>(vector.length);
  for (let d = 0; d < vector.length; d++) {
    const x = vector[d]!;
    if (!Number.isFinite(x)) {
      throw new NotSupportedError(`JSON cannot hold ${x} (embedding row ${row}, column ${d}); write .npy or .safetensors instead`);
    }
    values[d] = float32ToString(x);
  }
  const id = fields.id === undefined ? "" : `${JSON.stringify(fields.id.field)}:${JSON.stringify(fields.id.value ?? null)},`;
  const text = fields.text === undefined ? "" : `"text":${JSON.stringify(fields.text)},`;
  return `{${id}${text}"embedding":[${values.join(",")}]}\n`;
}

/**
 * The shortest decimal that reads back (through Math.fround) as the same float32: 0.1f prints as
 * "0.1", not as its float64 expansion "0.10000000149011612". Nine significant digits always suffice.
 */
export function float32ToString(x: number): string {
  const f = Math.fround(x);
  if (f === 0 || !Number.isFinite(f)) return String(f);
  // Rounding to more digits is never farther from f (the coarser decimal grid is a subset of the finer
  // one), so "p digits round-trip" is monotone in p and a binary search finds the smallest p.
  let lo = 1;
  let hi = 9;
  let best = f.toPrecision(9);
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const candidate = f.toPrecision(mid);
    if (Math.fround(Number(candidate)) === f) {
      hi = mid;
      best = candidate;
    } else {
      lo = mid + 1;
    }
  }
  // Number() then String() turns "1.50e+3"-style output into plain JSON number syntax.
  return String(Number(best));
}
