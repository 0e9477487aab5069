// Embeddings written row by row, so that an output of any length needs no more memory than one row:
// the bytes a file starts with, the bytes of each row, and — for .npy and .safetensors, whose header
// holds the row count — a final header of exactly the same length, written over the first one at the end.
// Every output also says how it was made (the provenance): safetensors in its `__metadata__`, JSONL in an
// optional first line, .npy in a JSON file beside it (the .npy header has no room for it).
// Pure: bytes in, bytes out; src/io/embeddings-output.ts does the files.
import { EncoderPoolingError, NotSupportedError } from "../errors.js";
import { EMBEDDINGS_TENSOR, embeddingJsonLine, type OutputFormat, type RowFields } from "./embeddings.js";
import { npyHeaderFloat32 } from "./npy.js";

/** How a file of embeddings was made: enough to know whether two files can be compared or merged. */
export interface EmbeddingsProvenance {
  /** The model folder as the user named it (`default` for the shipped model). */
  model: string;
  /** The normalised pooling spec, every default filled in. */
  pooling: object;
  /** The trained pooler parameters file, when one was given. */
  params?: string;
  /** The trained head folder whose pooler made the vectors, when one was given. */
  head?: string;
  normalize: boolean;
  /** Token limit per text, <s> and </s> included. */
  max_length: number;
  /** Width of one vector. */
  dim: number;
}

/** The provenance as safetensors metadata: a map of strings (objects and numbers as JSON). */
export function provenanceMetadata(provenance: EmbeddingsProvenance): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(provenance)) {
    if (value !== undefined) metadata[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return metadata;
}

/** The JSONL header line: `{"provenance":{…}}`, which carries no "embedding" and so is told apart from rows. */
export function jsonlProvenanceLine(provenance: EmbeddingsProvenance): string {
  return `${JSON.stringify({ provenance })}\n`;
}

/** The JSON file beside a .npy output: its shape and dtype, and the provenance. */
export function npySidecarJson(rows: number, provenance: EmbeddingsProvenance): string {
  return `${JSON.stringify({ shape: [rows, provenance.dim], dtype: "float32", ...provenance }, null, 2)}\n`;
}

/** Room left in a streamed safetensors header for the two numbers that grow with the row count. */
const SAFETENSORS_DIGITS_RESERVE = 2 * 20;

/**
 * The header of a safetensors file holding one F32 tensor "embeddings" [rows,dim] with `metadata`,
 * padded with spaces (which the format allows) to a length that does not depend on `rows`, so the
 * header of a file written row by row can be rewritten in place once the count is known.
 */
export function safetensorsEmbeddingsHeader(rows: number, dim: number, metadata: Record<string, string>): Uint8Array {
  const json = (n: number): Uint8Array =>
    new TextEncoder().encode(JSON.stringify({
      __metadata__: metadata,
      [EMBEDDINGS_TENSOR]: { dtype: "F32", shape: [n, dim], data_offsets: [0, n * dim * 4] },
    }));
  const reserved = Math.ceil((json(0).length + SAFETENSORS_DIGITS_RESERVE) / 8) * 8;
  const body = json(rows);
  if (body.length > reserved) throw new NotSupportedError(`a safetensors output of ${rows} rows of ${dim} values`);
  const out = new Uint8Array(8 + reserved).fill(0x20);
  new DataView(out.buffer).setBigUint64(0, BigInt(reserved), true);
  out.set(body, 8);
  return out;
}

/** What every streamed output needs to know before its first row. */
export interface StreamedOutput {
  format: OutputFormat;
  provenance: EmbeddingsProvenance;
  /** JSONL only: start with the provenance line. */
  jsonlHeader?: boolean;
}

/** The bytes an output starts with: the header for 0 rows (.npy, .safetensors), or the JSONL header line if asked. */
export function outputPreamble(output: StreamedOutput): Uint8Array {
  return outputHeader(output, 0) ?? new TextEncoder().encode(output.jsonlHeader === true ? jsonlProvenanceLine(output.provenance) : "");
}

/**
 * The header of a finished .npy or .safetensors output of `rows` rows — as long as the preamble, to be
 * written over it — or null for JSONL, which has no header to finish.
 */
export function outputHeader(output: StreamedOutput, rows: number): Uint8Array | null {
  const { dim } = output.provenance;
  switch (output.format) {
    case "npy":
      return npyHeaderFloat32(rows, dim);
    case "safetensors":
      return safetensorsEmbeddingsHeader(rows, dim, provenanceMetadata(output.provenance));
    case "jsonl":
      return null;
  }
}

/**
 * The bytes of one row: a JSON line with `fields`, or `dim` little-endian float32 values. A NaN or an
 * infinity is refused in every format (it would be a broken result, not a vector), naming the row —
 * except in the binary formats with `allowNonFinite` (inspecting a broken checkpoint): JSON has no NaN.
 */
export function outputRow(format: OutputFormat, vector: Float32Array, fields: RowFields, row: number, allowNonFinite = false): Uint8Array {
  if (format === "jsonl") return new TextEncoder().encode(embeddingJsonLine(vector, fields, row));
  const out = new Uint8Array(vector.length * 4);
  const view = new DataView(out.buffer);
  for (let d = 0; d < vector.length; d++) {
    const x = vector[d]!;
    if (!allowNonFinite && !Number.isFinite(x)) throw new EncoderPoolingError(`embedding row ${row}, column ${d} is ${x}; nothing of it was written`, { code: "EP_NONFINITE" });
    view.setFloat32(4 * d, x, true);
  }
  return out;
}
