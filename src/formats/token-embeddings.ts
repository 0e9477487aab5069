// Token embeddings (every real token's vector of each text, a ragged [N][n_i,H]) as the bytes of an
// output file: .jsonl, one {"text", "tokens", "input_ids", "token_embeddings"} line per text, or
// .safetensors, the rows back to back ("token_embeddings" F32 [Σn_i,H], "input_ids" I32 [Σn_i]) with
// "lengths" I32 [N] saying where each text's rows end. .npy holds one rectangular array and is refused.
import { serializeSafetensors } from "../encoder/safetensors.js";
import { InputError, NotSupportedError } from "../errors.js";
import { float32ToString, type OutputFormat } from "./embeddings.js";

/** Per text: its token vectors [n_i,dim] row-major, its ids and (for .jsonl) its token strings. */
export interface TokenRows {
  dim: number;
  tokens: Float32Array[];
  inputIds: number[][];
}

/**
 * Encodes token embeddings as the bytes of a .jsonl or .safetensors file.
 * @example encodeTokenEmbeddings("safetensors", { dim, tokens, inputIds }, { texts })
 */
export function encodeTokenEmbeddings(format: OutputFormat, rows: TokenRows, extra: { texts?: string[]; tokenStrings?: string[][] } = {}): Uint8Array {
  const { dim, tokens, inputIds } = rows;
  tokens.forEach((t, i) => {
    if (t.length !== inputIds[i]!.length * dim) throw new InputError(`encodeTokenEmbeddings: text ${i + 1} has ${inputIds[i]!.length} ids but ${t.length / dim} vectors`);
  });
  switch (format) {
    case "npy":
      throw new NotSupportedError("token embeddings in .npy: texts have different numbers of tokens; write .safetensors (token_embeddings, input_ids and lengths) or .jsonl");
    case "safetensors": {
      const lengths = Int32Array.from(inputIds.map((ids) => ids.length));
      const total = lengths.reduce((s, n) => s + n, 0);
      const data = new Float32Array(total * dim);
      const ids = new Int32Array(total);
      let at = 0;
      tokens.forEach((t, i) => {
        data.set(t, at * dim);
        ids.set(inputIds[i]!, at);
        at += inputIds[i]!.length;
      });
      return serializeSafetensors(new Map([
        ["token_embeddings", { dtype: "F32", shape: [total, dim], data }],
        ["input_ids", { dtype: "I32", shape: [total], data: ids }],
        ["lengths", { dtype: "I32", shape: [lengths.length], data: lengths }],
      ]));
    }
    case "jsonl": {
      const lines = tokens.map((t, i) => {
        const vectors: string[] = [];
        for (let r = 0; r < t.length / dim; r++) {
          const row = Array.from(t.subarray(r * dim, (r + 1) * dim), (x, d) => {
            if (!Number.isFinite(x)) throw new NotSupportedError(`JSON cannot hold ${x} (text ${i + 1}, token ${r}, column ${d}); write .safetensors instead`);
            return float32ToString(x);
          });
          vectors.push(`[${row.join(",")}]`);
        }
        const text = extra.texts === undefined ? "" : `"text":${JSON.stringify(extra.texts[i])},`;
        const strings = extra.tokenStrings === undefined ? "" : `"tokens":${JSON.stringify(extra.tokenStrings[i])},`;
        return `{${text}${strings}"input_ids":${JSON.stringify(inputIds[i])},"token_embeddings":[${vectors.join(",")}]}\n`;
      });
      return new TextEncoder().encode(lines.join(""));
    }
  }
}
