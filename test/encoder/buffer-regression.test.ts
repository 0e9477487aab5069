// Issue 11's reproducer: loadModelFromBuffers with a Node Buffer. A small Buffer lives in Node's shared
// 8 KB pool, so its .buffer is the whole pool; reading tensors through `.slice().buffer` took the pool's
// bytes as weights and the first embed() failed. Sub-views at unaligned offsets, likewise. This file uses
// only the API that existed before the fix, so that it can be run against the old code to show it failing.
import { describe, expect, it } from "vitest";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { initRobertaWeights } from "../../src/encoder/init.js";
import { serializeSafetensors, type SafeTensor } from "../../src/encoder/safetensors.js";
import { BYTE_TO_CHAR } from "../../src/encoder/tokenizer/byte-unicode.js";
import { loadModelFromBuffers } from "../../src/pipeline/model.js";
import { Rng } from "../../src/tensor/random.js";

// hidden size 2, a byte-level vocabulary of 4 + 256 tokens, BF16: a whole model file under 4 KB
const config = {
  hidden_size: 2, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4, hidden_act: "gelu",
  layer_norm_eps: 1e-5, max_position_embeddings: 10, type_vocab_size: 1, pad_token_id: 1, vocab_size: 260,
};
const vocab: Record<string, number> = { "<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3 };
BYTE_TO_CHAR.forEach((ch, b) => (vocab[ch] = 4 + b));
const tensors = initRobertaWeights(parseRobertaConfig(config, "config"), new Rng(11), { pooler: false, std: 0.5 });
const weights = serializeSafetensors(new Map([...tensors].map(([k, t]): [string, SafeTensor] => [k, { dtype: "BF16", ...t }])));
const files = { config: JSON.stringify(config), vocab: JSON.stringify(vocab), merges: "#version: 0.2\n" };
const texts = ["hi", "a cat"];

async function embedWith(bytes: Uint8Array): Promise<Float32Array> {
  const model = await loadModelFromBuffers({ ...files, weights: bytes });
  return (await model.embed(texts, { pooling: "mean" })).data;
}

describe("loadModelFromBuffers with Node Buffers (issue 11)", () => {
  it("a Buffer from Node's pool", async () => {
    const pooled = Buffer.from(weights);
    expect(weights.length).toBeLessThan(Buffer.poolSize / 2);
    expect(pooled.buffer.byteLength, "the Buffer sits in the shared pool").toBe(Buffer.poolSize);
    expect(await embedWith(pooled)).toEqual(await embedWith(weights));
  });
  it("a Buffer sub-view and unaligned byteOffsets", async () => {
    const expected = await embedWith(weights);
    for (const offset of [1, 2, 3, 4]) {
      const big = Buffer.alloc(offset + weights.length + 7);
      big.set(weights, offset);
      expect(await embedWith(big.subarray(offset, offset + weights.length)), `offset ${offset}`).toEqual(expected);
    }
  });
});
