// The pooler contract: what every pooling technique offers to `model.embed`, the trainer and the CLI.
// Legend: B batch, T tokens, H hidden, L layers (hiddenStates has L+1 entries), D output size.
import type { RobertaConfig } from "../encoder/config.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import type { DType } from "./module.js";

/** The encoder's size as a pooler sees it: L layers (hiddenStates has L+1 entries) of width H. */
export interface PoolingDims {
  numLayers: number;
  hiddenSize: number;
}

/** The PoolingDims of an encoder config. */
export function poolingDims(config: RobertaConfig): PoolingDims {
  return { numLayers: config.numHiddenLayers, hiddenSize: config.hiddenSize };
}

/** A normalised pooling spec: its type and every option of that type, defaults filled in. */
export interface NormalisedSpec {
  readonly type: string;
}

/** What a pooler reads: every layer's token vectors and the mask of real tokens. */
export interface PoolerInput {
  /** L+1 tensors [B,T,H] of the pooler's dtype; index 0 is the embeddings output, index L the last layer. */
  hiddenStates: Tensor<FloatArray>[];
  /** [B,T], 1 = real token, 0 = padding (on either side). */
  attentionMask: Int32Array;
}

/** One vector per text plus what the backward pass needs. */
export interface PoolerOutput {
  /** [B,D] */
  pooled: Tensor<FloatArray>;
  /** Opaque to callers; only the pooler that made it can use it. */
  cache: unknown;
}

/** Gradients of a scalar loss, in fresh buffers the caller owns. */
export interface PoolerGradients {
  /** Length L+1; [B,T,H] for every layer the pooler read, null for the others. */
  dHiddenStates: (Tensor<FloatArray> | null)[];
  /** Same keys and shapes as `Pooler.parameters`. */
  dParameters: Map<string, Tensor<FloatArray>>;
}

/** What a pooler's forward pass reads, so that a training cache can keep only that. */
export interface PoolerReads {
  /** Layer indices 0..L, ascending. */
  layers: number[];
  /** True when only token 0 of each layer is read: the pooler then works unchanged on T = 1 inputs. */
  firstTokenOnly: boolean;
}

/** A pooling technique with its parameters, forward pass and hand-written backward pass. */
export interface Pooler<Spec extends NormalisedSpec = NormalisedSpec> {
  /** The normalised JSON spec, every default filled in. */
  readonly spec: Spec;
  /** D, the width of one pooled vector. */
  readonly outputSize: number;
  /** Element type of its parameters, inputs, outputs and gradients (createPooler's `dtype`). */
  readonly dtype: DType;
  /** PyTorch state_dict names -> tensors (an empty map for parameter-free poolers). */
  readonly parameters: Map<string, Tensor<FloatArray>>;
  readonly reads: PoolerReads;
  /** hiddenStates, attentionMask -> pooled [B,D]. The inputs are never written to. */
  forward(input: PoolerInput): PoolerOutput;
  /** dLoss/dPooled [B,D] -> dLoss/d(every parameter) and dLoss/d(every hidden state read). */
  backward(output: PoolerOutput, dPooled: Tensor<FloatArray>): PoolerGradients;
}
