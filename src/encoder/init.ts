// Random RoBERTa weights as Hugging Face's _init_weights makes them: every Linear weight and Embedding
// table ~ N(0, std²) (std = initializer_range, 0.02), biases 0, LayerNorm weight 1 and bias 0, and the
// padding row (pad_token_id) of the word and position tables zeroed, as nn.Embedding(padding_idx) does.
// Legend: V vocab, P max positions, H hidden, I intermediate.
import { numel, type Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import type { RobertaConfig } from "./config.js";
import { robertaWeightShapes } from "./weights.js";

export interface RobertaInitOptions {
  /** Include pooler.dense.* (roberta-base ships without one). */
  pooler: boolean;
  /** Standard deviation of the normal init (HF's initializer_range); default 0.02. */
  std?: number;
}

/**
 * Every RobertaModel parameter under its HF name, randomly initialised from `rng`.
 * @example const model = RobertaModel.fromTensors(config, initRobertaWeights(config, new Rng(1), { pooler: false }));
 */
export function initRobertaWeights(config: RobertaConfig, rng: Rng, options: RobertaInitOptions): Map<string, Tensor> {
  const std = options.std ?? 0.02;
  const H = config.hiddenSize;
  const pad = config.padTokenId;
  const out = new Map<string, Tensor>();
  for (const [name, shape] of robertaWeightShapes(config, options.pooler)) {
    const data = new Float32Array(numel(shape));
    if (name.includes("LayerNorm.weight")) data.fill(1);
    else if (shape.length === 2) rng.fillNormal(data, std);
    // biases and LayerNorm biases stay 0
    if (name === "embeddings.word_embeddings.weight" || name === "embeddings.position_embeddings.weight") {
      data.fill(0, pad * H, (pad + 1) * H);
    }
    out.set(name, { data, shape });
  }
  return out;
}
