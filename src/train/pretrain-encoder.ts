// The encoder side of pre-training: RoBERTa parameters initialised as Hugging Face does, and the
// MlmEncoder that MlmPretrainer drives, over TrainableRoberta (the encoder's training forward and
// hand-written backward, src/encoder/trainable.ts). Legend: B rows, T tokens, H hidden, L layers.
import type { RobertaConfig } from "../encoder/config.js";
import { initRobertaWeights } from "../encoder/init.js";
import { initLmHead } from "../encoder/lm-head.js";
import { TrainableRoberta } from "../encoder/trainable.js";
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

/**
 * The whole encoder of `params`, trainable, on `backend`, with hidden and attention dropout `dropout`
 * in training. `params` is re-pointed at the encoder's own master tensors, so that an optimizer
 * stepping `params` steps the encoder (which re-uploads them on parametersChanged).
 */
export function createMlmEncoder(config: RobertaConfig, backend: Backend, params: Map<string, Tensor>, dropout: number): MlmEncoder {
  const encoderParams = new Map([...params].filter(([name]) => !name.startsWith("lm_head.")));
  const encoder = TrainableRoberta.fromTensors(config, encoderParams, { backend });
  for (const [name, t] of encoder.parameters) params.set(name, t);
  return {
    config,
    backend,
    trainable: encoder.trainableNames(),
    parametersChanged: () => encoder.sync(),
    forward(inputIds, B, T, { train, rng }) {
      const inputs = { inputIds, attentionMask: new Int32Array(B * T).fill(1), batchSize: B, seqLen: T };
      if (!train) {
        const hidden = encoder.model.forward(inputs, { outputHiddenStates: false }).lastHiddenState.data;
        return { hidden, backward() { throw new Error("MlmEncoder: backward after an inference forward"); }, free() {} };
      }
      const p = rng === null ? 0 : dropout;
      const out = encoder.forward(inputs, p === 0 ? {} : { hiddenDropout: p, attentionDropout: p, rng: rng! });
      let taped = true;
      return {
        hidden: out.lastHiddenState.data,
        backward(dHidden, grads) {
          const L = config.numHiddenLayers;
          const dHiddenStates = [...Array<null>(L).fill(null), { data: dHidden, shape: [B, T, config.hiddenSize] }];
          taped = false;
          for (const [name, g] of encoder.backward(out.tape, { dHiddenStates })) {
            const into = grads.get(name);
            if (into !== undefined) for (let i = 0; i < into.length; i++) into[i] = into[i]! + g.data[i]!;
          }
        },
        free() {
          if (taped) out.tape.free();
          taped = false;
        },
      };
    },
  };
}
