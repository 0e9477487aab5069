// Writing embeddings to a file in the format its extension names (the encoders are pure code in
// src/formats/embeddings.ts); the write is atomic and refuses to overwrite without `force`.
import { extname, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { encodeEmbeddings, OUTPUT_FORMATS, type EmbeddingsExtra, type OutputFormat } from "../formats/embeddings.js";
import { writeFileAtomic } from "./files.js";

/** Output format from the file extension (any letter case); anything else is a UsageError listing the three. */
export function formatFromOutputPath(path: string): OutputFormat {
  const ext = extname(path).slice(1).toLowerCase();
  const format = OUTPUT_FORMATS.find((f) => f === ext);
  if (format === undefined) {
    const list = OUTPUT_FORMATS.map((f) => `.${f}`).join(", ");
    throw new UsageError(`${path}: cannot tell the output format from the file name; use one of ${list}`);
  }
  return format;
}

/**
 * Writes embeddings to `path` in the format its extension names, atomically; an existing file is
 * refused unless `force`. Returns the format written.
 * @example await writeEmbeddings("out.npy", vectors, n, 768, { force: false })
 */
export async function writeEmbeddings(
  path: string,
  embeddings: Float32Array,
  rows: number,
  dim: number,
  options: EmbeddingsExtra & { force: boolean; cwd?: string },
): Promise<OutputFormat> {
  const format = formatFromOutputPath(path);
  const bytes = encodeEmbeddings(format, embeddings, rows, dim, options);
  await writeFileAtomic(options.cwd === undefined ? path : resolve(options.cwd, path), bytes, options.force);
  return format;
}
