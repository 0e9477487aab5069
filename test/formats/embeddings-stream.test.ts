// Outputs written row by row: preamble + rows + the final header written over the preamble give the
// file that the one-shot encoders give (.npy byte for byte; .safetensors read back by our parser with
// the provenance as metadata), whatever the row count; NaN is refused in every format.
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { EncoderPoolingError, NotSupportedError } from "../../src/errors.js";
import { embeddingJsonLine, embeddingsToJsonl, encodeEmbeddings, type OutputFormat } from "../../src/formats/embeddings.js";
import {
  jsonlProvenanceLine, npySidecarJson, outputHeader, outputPreamble, outputRow, provenanceMetadata, safetensorsEmbeddingsHeader,
  type EmbeddingsProvenance, type StreamedOutput,
} from "../../src/formats/embeddings-stream.js";
import { npyHeaderFloat32 } from "../../src/formats/npy.js";
import { readNpy } from "./npy-reader.js";

const provenance: EmbeddingsProvenance = { model: "default", pooling: { type: "mean" }, normalize: true, max_length: 38, dim: 3 };
const rows = [new Float32Array([0.1, -2.5, 3]), new Float32Array([1e-8, 65504, -0]), new Float32Array([1 / 3, 0, 7])];

/** The bytes of a streamed output of `rows`: preamble, rows, then the header written over the preamble. */
function streamed(output: StreamedOutput, vectors: Float32Array[]): Uint8Array {
  const parts = [outputPreamble(output), ...vectors.map((v, i) => outputRow(output.format, v, { text: `t${i}` }, i))];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const header = outputHeader(output, vectors.length);
  if (header !== null) {
    expect(header.length).toBe(parts[0]!.length);
    bytes.set(header, 0);
  }
  return bytes;
}

describe("streamed outputs", () => {
  it(".npy: the very bytes of encodeNpyFloat32, for 0 to 3 rows", () => {
    for (let n = 0; n <= rows.length; n++) {
      const flat = new Float32Array(rows.slice(0, n).flatMap((r) => [...r]));
      expect(streamed({ format: "npy", provenance }, rows.slice(0, n))).toEqual(encodeEmbeddings("npy", flat, n, 3));
    }
  });

  it(".npy: the header has one length (128 bytes) from 0 rows to 10^30 rows, and numpy's layout", () => {
    for (let n = 1; n < 1e30; n *= 1000) expect(npyHeaderFloat32(n, 768).length, `${n} rows`).toBe(128);
    expect(readNpy(streamed({ format: "npy", provenance }, rows)).shape).toEqual([3, 3]);
  });

  it(".safetensors: one F32 tensor embeddings [N,D] with the provenance as metadata, read back by our parser", () => {
    const { tensors, metadata } = parseSafetensors(streamed({ format: "safetensors", provenance }, rows), "s");
    expect([...tensors.keys()]).toEqual(["embeddings"]);
    expect(tensors.get("embeddings")!.shape).toEqual([3, 3]);
    expect(Array.from(tensors.get("embeddings")!.data as Float32Array)).toEqual(rows.flatMap((r) => [...r]));
    expect(metadata).toEqual({ model: "default", pooling: '{"type":"mean"}', normalize: "true", max_length: "38", dim: "3" });
    expect(provenanceMetadata(provenance)).toEqual(metadata);
  });

  it(".safetensors: the header's length does not depend on the row count, and the data is 8-byte aligned", () => {
    const metadata = provenanceMetadata(provenance);
    const lengths = [0, 1, 999, 123456789, 2 ** 40].map((n) => safetensorsEmbeddingsHeader(n, 768, metadata).length);
    expect(new Set(lengths).size).toBe(1);
    expect(lengths[0]! % 8).toBe(0);
  });

  it(".jsonl: the lines of embeddingsToJsonl; an id goes first under its field's name; the provenance line is told apart", () => {
    const flat = new Float32Array(rows.flatMap((r) => [...r]));
    const text = new TextDecoder().decode(streamed({ format: "jsonl", provenance }, rows));
    expect(text).toBe(embeddingsToJsonl(flat, 3, 3, ["t0", "t1", "t2"]));
    expect(embeddingJsonLine(rows[0]!, { id: { field: "doc_id", value: "a7" } }, 0)).toBe('{"doc_id":"a7","embedding":[0.1,-2.5,3]}\n');
    expect(embeddingJsonLine(rows[0]!, { id: { field: "n", value: [1, null] }, text: "x" }, 0)).toBe('{"n":[1,null],"text":"x","embedding":[0.1,-2.5,3]}\n');
    expect(new TextDecoder().decode(outputPreamble({ format: "jsonl", provenance, jsonlHeader: true }))).toBe(jsonlProvenanceLine(provenance));
    expect(JSON.parse(jsonlProvenanceLine(provenance))).toEqual({ provenance });
    expect(JSON.parse(npySidecarJson(5, provenance))).toEqual({ shape: [5, 3], dtype: "float32", ...provenance });
  });

  it("refuses NaN and infinities in every format, naming the row and column", () => {
    const bad = new Float32Array([0, NaN, 1]);
    expect(() => outputRow("jsonl", bad, {}, 7)).toThrow(NotSupportedError);
    for (const format of ["npy", "safetensors"] as OutputFormat[]) {
      expect(() => outputRow(format, bad, {}, 7)).toThrow(new EncoderPoolingError("embedding row 7, column 1 is NaN; nothing of it was written", { code: "EP_NONFINITE" }));
      expect(() => outputRow(format, new Float32Array([Infinity]), {}, 0)).toThrow(/column 0 is Infinity/);
    }
  });

  it("writes them in .npy and .safetensors rows with allowNonFinite (JSON has no NaN: still refused)", () => {
    const bad = new Float32Array([0, NaN, -Infinity]);
    for (const format of ["npy", "safetensors"] as OutputFormat[]) {
      const bytes = outputRow(format, bad, {}, 7, true);
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual([0, NaN, -Infinity]);
    }
    expect(() => outputRow("jsonl", bad, {}, 7, true)).toThrow(NotSupportedError);
  });
});
