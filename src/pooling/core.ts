// The machinery every pooler shares, so that each pooler file holds only its own math:
// - PoolerDefinition is what a pooler file exports: its type name, its options (names, defaults,
//   checks), a small example spec, and `build`, which declares the parameters and returns a PoolerCore;
// - PoolerCore is a pooler's forward/backward on already-checked inputs, written into given buffers,
//   with a cache of its own type between the two;
// - wrapPooler turns a core into the public Pooler: it checks inputs, allocates outputs and the
//   gradient buffers (zeroed here, once; the cores' backward passes only accumulate into them).
// Legend: B batch, T tokens, H hidden, L layers (hiddenStates has L+1 entries), D output size.
import { InputError } from "../errors.js";
import { sameShape, shapeToString, type FloatArray, type Tensor } from "../tensor/tensor.js";
import { referenceKernels, type ModuleKernels } from "./kernels.js";
import { allocate, Gradients, type DType, type Init, type Parameter } from "./module.js";
import type { OptionReader, OptionReaders } from "./options.js";
import type { NormalisedSpec, Pooler, PoolerGradients, PoolerInput, PoolerOutput, PoolerReads, PoolingDims } from "./pooler.js";

/** Checked inputs with their sizes. */
export interface Batch {
  hiddenStates: Tensor<FloatArray>[];
  /** [B,T] of 0/1, every row with at least one real token. */
  attentionMask: Int32Array;
  B: number;
  T: number;
  H: number;
}

/** Where a backward pass accumulates (+=): buffers allocated and zeroed by wrapPooler. */
export interface PoolerGrads {
  /** d hiddenStates[layer]: [B,T,H], for a layer the pooler (or its enclosing combine) reads. */
  layer(layer: number): FloatArray;
  /** The gradient of a parameter the pooler declared, same shape. */
  param(parameter: Parameter): FloatArray;
}

/** A pooler's own math on checked inputs; `Cache` is what its forward hands its backward. */
export interface PoolerCore<Cache> {
  readonly outputSize: number;
  readonly reads: PoolerReads;
  /**
   * Whether position 0 of every row must be a real token (no left padding). Default: `reads.firstTokenOnly`;
   * combine sets it when any part reads the first token.
   */
  readonly needsFirstToken?: boolean;
  /** Writes pooled [B,D] into `pooled`; returns what backward needs. */
  forward(batch: Batch, pooled: FloatArray): Cache;
  /** Accumulates the gradients of dPooled [B,D] into `grads`. */
  backward(batch: Batch, cache: Cache, dPooled: FloatArray, grads: PoolerGrads): void;
}

/** What a pooler's `build` gets. */
export interface BuildContext {
  dims: PoolingDims;
  /** A zero-filled array of the pooler's element type. */
  alloc(n: number): FloatArray;
  /** The linear and LSTM-cell kernels: the pure-TS reference, or the model's backend (createPooler's `backend`). */
  kernels: ModuleKernels;
  /** Declares parameter `name` (prefixed with `parts.<k>.` inside combine), filled from a state_dict or by `init`. */
  param(name: string, shape: number[], init: Init): Parameter;
  /** Builds a nested pooler (combine's part k), its parameters under `parts.<k>.`. */
  part(spec: NormalisedSpec, k: number): PoolerCore<unknown>;
}

/** What one pooler file exports. */
export interface PoolerDefinition<Spec extends NormalisedSpec, Cache> {
  /** The name of the technique in specs and on the command line. */
  readonly type: Spec["type"];
  /** Every option with its default and its check, in the order the normalised spec lists them. */
  readonly options: OptionReaders<Spec>;
  /** A small spec of this type: the docs' example and what the pooler-contract test runs. */
  readonly example: unknown;
  /** Declares the parameters for an encoder of `ctx.dims` and returns the forward/backward pair. */
  build(spec: Spec, ctx: BuildContext): PoolerCore<Cache>;
}

/** A pooler definition with its spec and cache types erased, as the registry holds it. */
export interface RegisteredPooler {
  readonly type: string;
  readonly options: Readonly<Record<string, OptionReader<unknown>>>;
  readonly example: unknown;
  build(spec: NormalisedSpec, ctx: BuildContext): PoolerCore<unknown>;
}

/** Declares a pooler; the identity, there for type inference. */
export function definePooler<Spec extends NormalisedSpec, Cache>(definition: PoolerDefinition<Spec, Cache>): PoolerDefinition<Spec, Cache> {
  return definition;
}

/** Whether a core reads position 0 as a real token (so that a left-padded batch must be refused). */
export function needsFirstToken(core: PoolerCore<unknown>): boolean {
  return core.needsFirstToken ?? core.reads.firstTokenOnly;
}

function checkInput(input: PoolerInput, dims: PoolingDims, firstTokenMustBeReal: boolean, what: string): Batch {
  const { hiddenStates, attentionMask } = input;
  const L = dims.numLayers;
  if (!Array.isArray(hiddenStates) || hiddenStates.length !== L + 1) {
    throw new InputError(`${what} pooling: hiddenStates must hold L+1 = ${L + 1} tensors (embeddings + ${L} layers), got ${Array.isArray(hiddenStates) ? hiddenStates.length : typeof hiddenStates}`);
  }
  const first = hiddenStates[0]!;
  if (first.shape.length !== 3 || first.shape[2] !== dims.hiddenSize) {
    throw new InputError(`${what} pooling: hiddenStates[0]: expected [B,T,${dims.hiddenSize}], got ${shapeToString(first.shape)}`);
  }
  const [B, T, H] = first.shape as [number, number, number];
  if (B < 1 || T < 1) throw new InputError(`${what} pooling: hiddenStates[0]: empty batch ${shapeToString(first.shape)}`);
  hiddenStates.forEach((h, i) => {
    if (!sameShape(h.shape, first.shape)) {
      throw new InputError(`${what} pooling: hidden states of unequal shapes: hiddenStates[${i}] is ${shapeToString(h.shape)}, hiddenStates[0] is ${shapeToString(first.shape)}`);
    }
    if (h.data.length !== B * T * H) throw new InputError(`${what} pooling: hiddenStates[${i}] holds ${h.data.length} values, shape ${shapeToString(h.shape)} needs ${B * T * H}`);
    if (h.data.constructor !== first.data.constructor) throw new InputError(`${what} pooling: hiddenStates[${i}] has a different element type than hiddenStates[0]`);
  });
  if (!(attentionMask instanceof Int32Array) || attentionMask.length !== B * T) {
    throw new InputError(`${what} pooling: attentionMask must be an Int32Array [B,T] = [${B},${T}], got ${attentionMask?.length ?? "none"} values`);
  }
  for (let b = 0; b < B; b++) {
    let real = 0;
    for (let t = 0; t < T; t++) {
      const m = attentionMask[b * T + t]!;
      if (m !== 0 && m !== 1) throw new InputError(`${what} pooling: attentionMask[${b},${t}] must be 0 or 1, got ${m}`);
      real += m;
    }
    if (real === 0) throw new InputError(`${what} pooling: attentionMask row ${b} has no real token (all padding)`);
    if (firstTokenMustBeReal && attentionMask[b * T] !== 1) {
      throw new InputError(`${what} pooling reads the first token, but attentionMask row ${b} starts with padding (a left-padded batch); pad on the right or pool with a mask-aware type such as "mean"`);
    }
  }
  return { hiddenStates, attentionMask, B, T, H };
}

interface WrappedCache<Cache> {
  owner: object;
  batch: Batch;
  inner: Cache;
}

/**
 * Makes the public Pooler of a core: input checks, output allocation, gradient buffers; each forward and
 * backward is one scope of `kernels` (weights uploaded once to a backend, gradients written back at the end).
 */
export function wrapPooler<Spec extends NormalisedSpec, Cache>(
  spec: Spec, core: PoolerCore<Cache>, dims: PoolingDims, dtype: DType, parameters: Map<string, Parameter>,
  kernels: ModuleKernels = referenceKernels,
): Pooler<Spec> {
  const what = spec.type;
  const pooler: Pooler<Spec> = {
    spec,
    outputSize: core.outputSize,
    dtype,
    parameters,
    reads: core.reads,
    forward(input: PoolerInput): PoolerOutput {
      const batch = checkInput(input, dims, needsFirstToken(core), what);
      const pooled = allocate(dtype, batch.B * core.outputSize);
      if (pooled.constructor !== batch.hiddenStates[0]!.data.constructor) {
        throw new InputError(`${what} pooling: hiddenStates are ${batch.hiddenStates[0]!.data.constructor.name}, this pooler works in ${pooled.constructor.name} (createPooler's dtype option)`);
      }
      const cache: WrappedCache<Cache> = { owner: pooler, batch, inner: kernels.scope(() => core.forward(batch, pooled)) };
      return { pooled: { data: pooled, shape: [batch.B, core.outputSize] }, cache };
    },
    backward(output: PoolerOutput, dPooled: Tensor<FloatArray>): PoolerGradients {
      const cache = output.cache as WrappedCache<Cache> | undefined;
      if (cache?.owner !== pooler) throw new InputError(`${what} pooling: backward was given an output of a different pooler`);
      const { batch } = cache;
      const { B, T, H } = batch;
      if (!sameShape(dPooled.shape, [B, core.outputSize]) || dPooled.data.length !== B * core.outputSize) {
        throw new InputError(`${what} pooling: dPooled: expected [${B},${core.outputSize}], got ${shapeToString(dPooled.shape)}`);
      }
      const dHiddenStates: (FloatArray | null)[] = [];
      for (let i = 0; i <= dims.numLayers; i++) dHiddenStates.push(core.reads.layers.includes(i) ? allocate(dtype, B * T * H) : null);
      const dParameters = new Gradients(parameters.values(), dtype);
      const grads: PoolerGrads = {
        layer(layer) {
          const d = dHiddenStates[layer];
          if (d === undefined || d === null) throw new Error(`internal: no gradient buffer for layer ${layer}`);
          return d;
        },
        param: (parameter) => dParameters.param(parameter),
      };
      kernels.scope(() => core.backward(batch, cache.inner, dPooled.data, grads));
      return {
        dHiddenStates: dHiddenStates.map((d) => (d === null ? null : { data: d, shape: [B, T, H] })),
        dParameters: dParameters.dParameters,
      };
    },
  };
  return pooler;
}
