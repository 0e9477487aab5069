// The encoder side of pre-training: RoBERTa parameters initialised as Hugging Face does, and the
// MlmEncoder that MlmPretrainer drives.
// TEMPORARY (until the encoder backward lands): the encoder runs forward only and is frozen; the
// pre-trainer then trains the LM head alone.
import type { RobertaConfig } from "../encoder/config.js";
import { initRobertaWeights } from "../encoder/init.js";
import { initLmHead } from "../encoder/lm-head.js";
import { RobertaModel } from "../encoder/roberta.js";
import type { Backend } from "../tensor/backend.js";
import { Rng } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import type { MlmEncoder } from "./pretrain.js";

/**
 * Every parameter of a RobertaForMaskedLM (encoder without pooler, then lm_head.*) under its Hugging
 * Face name (no `roberta.` prefix), from `seed`: N(0, std²) weights, zero biases, LayerNorm 1 and 0.
 */
export function initMaskedLm(config: RobertaConfig, seed: number, std = 0.02): Map<string, Tensor> {
  const rng = new Rng(seed);
  return new Map([...initRobertaWeights(config, rng, { pooler: false, std }), ...initLmHead(config, rng, std)]);
}

/** The encoder of `params` on `backend`, as pre-training drives it. */
export function createMlmEncoder(config: RobertaConfig, backend: Backend, params: Map<string, Tensor>): MlmEncoder {
  const encoderParams = new Map([...params].filter(([name]) => !name.startsWith("lm_head.")));
  const model = RobertaModel.fromTensors(config, encoderParams, { backend });
  return {
    config,
    backend,
    trainable: [],
    forward(_params, inputIds, B, T) {
      const out = model.forward({ inputIds, attentionMask: new Int32Array(B * T).fill(1), batchSize: B, seqLen: T }, { outputHiddenStates: false });
      return { hidden: out.lastHiddenState.data, backward() {}, free() {} };
    },
  };
}
