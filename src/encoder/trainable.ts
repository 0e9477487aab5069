// A RoBERTa encoder whose parameters train: the master copy of every parameter as a host Float32 tensor
// under its Hugging Face name (what an optimizer updates and what is saved), the RobertaModel that runs
// the forward on the backend, and the Float32 copies of the trainable linear weights that backward reads.
// After the optimizer has changed the parameters, `sync()` puts them on the backend again.
// Legend: H hidden, L layers.
import type { Backend, DeviceArray } from "../tensor/backend.js";
import { jsBackend } from "../tensor/choose-backend.js";
import { writeFloat32 } from "../tensor/ops/half.js";
import type { Tensor } from "../tensor/tensor.js";
import { parseRobertaConfig, type RobertaConfig } from "./config.js";
import { robertaBackward } from "./backward.js";
import { RobertaModel, type RobertaInputs } from "./roberta.js";
import { bufferSource, readSafetensorsHeader, type ByteSource } from "./safetensors.js";
import {
  checkScope, robertaTrainingForward, type BackwardWeights, type RobertaOutputGradients, type RobertaTape,
  type RobertaTrainingOutput, type TrainableScope, type TrainingForwardOptions,
} from "./training.js";
import { safetensorsWeightSource, storedInfo } from "./weight-source.js";
import { resolveRobertaTensors, robertaWeightShapes } from "./weights.js";

export interface TrainableRobertaOptions {
  /** Where the forward and backward run; default jsBackend. Weights are kept in Float32 (training needs it). */
  backend?: Backend;
  /** What trains; default everything ({ embeddings: true, fromLayer: 0 }). */
  scope?: TrainableScope;
  /** Label of the weights in error messages. */
  source?: string;
  log?: (msg: string) => void;
}

/** A RoBERTa encoder with host master parameters, a training forward and its backward. */
export class TrainableRoberta {
  private current: RobertaModel;
  private backwardWeights: BackwardWeights;
  readonly scope: TrainableScope;

  private constructor(
    readonly config: RobertaConfig,
    /** Every parameter under its HF name (no "roberta." prefix), Float32; updated in place by an optimizer. */
    readonly parameters: Map<string, Tensor>,
    readonly backend: Backend,
    scope: TrainableScope,
  ) {
    checkScope(config, scope);
    this.scope = { ...scope };
    this.current = RobertaModel.fromTensors(config, parameters, { backend });
    this.backwardWeights = this.uploadBackwardWeights();
  }

  /**
   * From HF-named Float32 tensors (e.g. initRobertaWeights, or a state dict); keys may carry the "roberta."
   * prefix and other heads' tensors (lm_head.*) are ignored. The tensors are copied.
   */
  static fromTensors(config: RobertaConfig, tensors: Map<string, Tensor>, options: TrainableRobertaOptions = {}): TrainableRoberta {
    const info = new Map([...tensors].map(([k, t]) => [k, { dtype: "F32", shape: t.shape }]));
    const keys = resolveRobertaTensors(config, info, options.source ?? "weights", options.log);
    const parameters = new Map<string, Tensor>();
    for (const [name, key] of keys) {
      const t = tensors.get(key)!;
      parameters.set(name, { data: Float32Array.from(t.data), shape: [...t.shape] });
    }
    return new TrainableRoberta(config, parameters, options.backend ?? jsBackend, options.scope ?? { embeddings: true, fromLayer: 0 });
  }

  /** From a model folder's config.json text and model.safetensors bytes (F16/BF16/F64 widened or rounded to Float32). */
  static load(configJson: string, weights: Uint8Array | ArrayBuffer | ByteSource, options: TrainableRobertaOptions = {}): TrainableRoberta {
    const source = options.source ?? "model";
    const config = parseRobertaConfig(configJson, `${source}/config.json`);
    const bytes = weights instanceof Uint8Array || weights instanceof ArrayBuffer ? bufferSource(weights) : weights;
    const index = readSafetensorsHeader(bytes, `${source}/model.safetensors`);
    const keys = resolveRobertaTensors(config, storedInfo(index), index.source, options.log);
    const values = safetensorsWeightSource(index, keys);
    const parameters = new Map<string, Tensor>();
    for (const [name, shape] of robertaWeightShapes(config, keys.has("pooler.dense.weight"))) {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      writeFloat32(data, values.values(name, 0, data.length));
      parameters.set(name, { data, shape });
    }
    return new TrainableRoberta(config, parameters, options.backend ?? jsBackend, options.scope ?? { embeddings: true, fromLayer: 0 });
  }

  /** The encoder as it stands (after the last sync), for inference with RobertaModel.forward. */
  get model(): RobertaModel {
    return this.current;
  }

  /** Names of the parameters that train, in state_dict order (pooler.dense.* only when the checkpoint has it). */
  trainableNames(): string[] {
    const { embeddings, fromLayer } = this.scope;
    return [...this.parameters.keys()].filter((name) => {
      if (name.startsWith("embeddings.")) return embeddings;
      const layer = /^encoder\.layer\.(\d+)\./.exec(name);
      return layer === null || Number(layer[1]) >= fromLayer;
    });
  }

  /** The training-mode forward (dropout as asked); its tape goes to `backward`, or to `tape.free()`. */
  forward(inputs: RobertaInputs, options: TrainingForwardOptions = {}): RobertaTrainingOutput {
    return robertaTrainingForward(this.current, this.scope, inputs, options);
  }

  /** Gradients of the trainable parameters (HF names, fresh host tensors) from the output gradients; frees the tape. */
  backward(tape: RobertaTape, gradients: RobertaOutputGradients): Map<string, Tensor> {
    return robertaBackward(this.current, this.backwardWeights, tape, gradients);
  }

  /** Puts the (updated) parameters on the backend again: the next forward and backward use them. */
  sync(): void {
    this.dispose();
    this.current = RobertaModel.fromTensors(this.config, this.parameters, { backend: this.backend });
    this.backwardWeights = this.uploadBackwardWeights();
  }

  /** Releases the backend memory (the host parameters stay). */
  dispose(): void {
    this.current.dispose();
    const bw = this.backwardWeights;
    for (const l of bw.layers) if (l !== null) for (const a of Object.values(l)) this.backend.free(a);
    if (bw.pooler !== null) this.backend.free(bw.pooler);
  }

  private uploadBackwardWeights(): BackwardWeights {
    const be = this.backend;
    const p = (name: string): Float32Array => this.parameters.get(name)!.data;
    const H = this.config.hiddenSize;
    const layers: BackwardWeights["layers"] = [];
    for (let l = 0; l < this.config.numHiddenLayers; l++) {
      if (l < this.scope.fromLayer) {
        layers.push(null);
        continue;
      }
      const pre = `encoder.layer.${l}`;
      // [Wq; Wk; Wv] stacked as the forward's fused qkv weight [3H,H]
      const qkv = new Float32Array(3 * H * H);
      ["query", "key", "value"].forEach((part, i) => qkv.set(p(`${pre}.attention.self.${part}.weight`), i * H * H));
      layers.push({
        qkv: be.upload(qkv),
        attentionOutput: be.upload(p(`${pre}.attention.output.dense.weight`)),
        intermediate: be.upload(p(`${pre}.intermediate.dense.weight`)),
        output: be.upload(p(`${pre}.output.dense.weight`)),
      });
    }
    const pooler: DeviceArray | null = this.parameters.has("pooler.dense.weight") ? be.upload(p("pooler.dense.weight")) : null;
    return { layers, pooler };
  }
}
