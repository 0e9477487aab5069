// The head contract and the machinery every head shares, on the same module pattern as the poolers
// (src/pooling/module.ts): a head file declares its parameters once on a store (PyTorch state_dict names),
// and returns a forward/backward pair with a cache of its own type; wrapHead checks inputs and owns the
// gradient buffers (fresh for each backward call, returned to the caller).
// Legend: N examples, D pooled size (the head's input), k outputs (regression targets, classes, labels).
import { TrainingError } from "../../errors.js";
import type { ModuleKernels } from "../../pooling/kernels.js";
import { Gradients, type DType, type Init, type Parameter } from "../../pooling/module.js";
import { sameShape, shapeToString, type FloatArray, type Tensor } from "../../tensor/tensor.js";
import type { DropoutMode } from "../dropout.js";

export type HeadForwardOptions = DropoutMode;

export interface HeadOutput {
  /** logits: [N,k] */
  logits: Tensor<FloatArray>;
  /** What backward needs; opaque to callers. */
  cache: unknown;
}

export interface HeadGradients {
  /** d loss / d x: [N,D], to hand to the pooler's backward. */
  dx: Tensor<FloatArray>;
  /** Same keys and shapes as `parameters`. */
  dParameters: Map<string, Tensor<FloatArray>>;
}

/** A prediction head on pooled vectors: x [N,D] -> logits [N,k]. */
export interface Head {
  readonly kind: string;
  /** D */
  readonly inputSize: number;
  /** k */
  readonly outputSize: number;
  /** Dropout probability used in training mode (0 = none). */
  readonly dropout: number;
  readonly dtype: DType;
  /** PyTorch state_dict names -> tensors, updated in place by the optimizer. */
  readonly parameters: Map<string, Tensor<FloatArray>>;
  forward(x: Tensor<FloatArray>, options?: HeadForwardOptions): HeadOutput;
  backward(output: HeadOutput, dLogits: Tensor<FloatArray>): HeadGradients;
}

/** A head's own math; `Cache` is what its forward hands its backward. */
export interface HeadCore<Cache> {
  /** logits [N,k] of x [N,D]. */
  forward(x: FloatArray, N: number, mode: HeadForwardOptions): { logits: FloatArray; cache: Cache };
  /** Accumulates the parameter gradients into `grads`; returns dx [N,D]. */
  backward(cache: Cache, dLogits: FloatArray, N: number, grads: Gradients): FloatArray;
}

/** What a head's `build` gets. */
export interface HeadContext {
  /** D */
  inputSize: number;
  /** k */
  outputSize: number;
  dropout: number;
  alloc(n: number): FloatArray;
  /** The linear kernels: the pure-TS reference, or the model's backend (createHead's `backend`). */
  kernels: ModuleKernels;
  /** Declares a parameter, filled from a state_dict or by `init` (in declaration order, as PyTorch registers them). */
  param(name: string, shape: number[], init: Init): Parameter;
}

/** What one head file exports. */
export interface HeadDefinition<Kind extends string, Cache> {
  readonly kind: Kind;
  build(ctx: HeadContext): HeadCore<Cache>;
}

/** A head definition with its cache type erased, as the HEADS table holds it. */
export interface RegisteredHead {
  readonly kind: string;
  build(ctx: HeadContext): HeadCore<unknown>;
}

interface WrappedCache<Cache> {
  owner: object;
  N: number;
  inner: Cache;
}

/**
 * Makes the public Head of a core: checks x [N,D] and dLogits [N,k], allocates the gradients; each
 * forward and backward is one scope of the context's kernels.
 */
export function wrapHead<Cache>(
  kind: string, ctx: HeadContext, dtype: DType, parameters: Map<string, Parameter>, core: HeadCore<Cache>,
): Head {
  const { inputSize: D, outputSize: k } = ctx;
  const head: Head = {
    kind,
    inputSize: D,
    outputSize: k,
    dropout: ctx.dropout,
    dtype,
    parameters,
    forward(x, options = {}) {
      const [N, d] = x.shape;
      if (x.shape.length !== 2 || N === undefined || d !== D) {
        throw new TrainingError(`${kind} head: x must be [N,${D}], got ${shapeToString(x.shape)}`);
      }
      const { logits, cache } = ctx.kernels.scope(() => core.forward(x.data, N, options));
      const wrapped: WrappedCache<Cache> = { owner: head, N, inner: cache };
      return { logits: { data: logits, shape: [N, k] }, cache: wrapped };
    },
    backward(output, dLogits) {
      const cache = output.cache as WrappedCache<Cache> | undefined;
      if (cache?.owner !== head) throw new TrainingError(`${kind} head: backward was given an output of a different head`);
      const { N } = cache;
      if (!sameShape(dLogits.shape, [N, k]) || dLogits.data.length !== N * k) {
        throw new TrainingError(`${kind} head: dLogits: expected [${N},${k}], got ${shapeToString(dLogits.shape)}`);
      }
      const grads = new Gradients(parameters.values(), dtype);
      const dx = ctx.kernels.scope(() => core.backward(cache.inner, dLogits.data, N, grads));
      return { dx: { data: dx, shape: [N, D] }, dParameters: grads.dParameters };
    },
  };
  return head;
}
