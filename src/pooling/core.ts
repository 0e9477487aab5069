// The machinery every pooler shares, so that each pooler file holds only its own math:
// - BuildContext hands out parameters (taken from a state_dict or freshly initialised from a seed);
// - PoolerCore is a pooler's forward/backward on already-checked inputs, written into given buffers;
// - wrapPooler turns a core into the public Pooler: it checks inputs, allocates outputs and the
//   gradient buffers (zeroed here, once; the cores' backward passes only accumulate into them).
// Legend: B batch, T tokens, H hidden, L layers (hiddenStates has L+1 entries), D output size.
import { InputError, PoolingError } from "../errors.js";
import type { Rng } from "../tensor/random.js";
import { numel, sameShape, shapeToString, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { Pooler, PoolerGradients, PoolerInput, PoolerOutput, PoolerReads, PoolingDims } from "./pooler.js";
import type { PoolingSpec } from "./spec.js";

/** Checked inputs with their sizes. */
export interface Batch<A extends FloatArray> {
  hiddenStates: Tensor<A>[];
  /** [B,T] of 0/1, every row with at least one real token. */
  attentionMask: Int32Array;
  B: number;
  T: number;
  H: number;
}

/** Gradient buffers, zeroed by the owner; backward passes accumulate (+=) into them. */
export interface GradBuffers<A extends FloatArray> {
  /** [B,T,H] for every layer the pooler (or its enclosing combine) reads, null for the others. */
  dHiddenStates: (A | null)[];
  dParameters: Map<string, Tensor<A>>;
}

/** A pooler's own math on checked inputs. */
export interface PoolerCore<A extends FloatArray> {
  spec: PoolingSpec;
  outputSize: number;
  /** Full names (with any `parts.<i>.` prefix) -> tensors. */
  parameters: Map<string, Tensor<A>>;
  reads: PoolerReads;
  /** Writes pooled [B,D] into `pooled`; returns what backward needs. */
  forward(batch: Batch<A>, pooled: A): unknown;
  /** Accumulates the gradients of dPooled [B,D] into `grads`. */
  backward(batch: Batch<A>, cache: unknown, dPooled: A, grads: GradBuffers<A>): void;
}

/** What a pooler needs while it is being built. */
export interface BuildContext<A extends FloatArray> {
  dims: PoolingDims;
  /** A zero-filled array of the pooler's element type. */
  alloc(n: number): A;
  /** Seeded generator for fresh parameters (shared by all parts, drawn in declaration order). */
  rng: Rng;
  /** Parameters supplied by the caller (a state_dict), or undefined for a fresh initialisation. */
  given: Map<string, Tensor<FloatArray>> | undefined;
  /** Names of the supplied parameters used so far, to report the unexpected ones. */
  used: Set<string>;
  /** Prepended to every parameter name (`parts.2.` inside combine). */
  prefix: string;
  /** Type name, for error messages. */
  what: string;
}

/**
 * Declares parameter `prefix + name` of `shape`: copied from the supplied parameters (whose shape must
 * match) or, without them, filled by `init`.
 */
export function declareParameter<A extends FloatArray>(
  ctx: BuildContext<A>, name: string, shape: number[], init: (data: A, rng: Rng) => void,
): Tensor<A> {
  const full = ctx.prefix + name;
  const data = ctx.alloc(numel(shape));
  if (ctx.given === undefined) {
    init(data, ctx.rng);
    return { data, shape: [...shape] };
  }
  const src = ctx.given.get(full);
  if (src === undefined) {
    throw new PoolingError(`pooling params: missing tensor "${full}" ${shapeToString(shape)} of ${ctx.what} pooling`);
  }
  if (!sameShape(src.shape, shape) || src.data.length !== data.length) {
    throw new PoolingError(`pooling params: ${full}: expected ${shapeToString(shape)}, got ${shapeToString(src.shape)} (${ctx.what} pooling)`);
  }
  data.set(src.data);
  ctx.used.add(full);
  return { data, shape: [...shape] };
}

/** n[b], the number of real tokens in each row of the mask [B,T]. */
export function realTokenCounts(mask: Int32Array, B: number, T: number): Int32Array {
  const n = new Int32Array(B);
  // n[b] = Σ_t mask[b,t]
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) n[b]! += mask[b * T + t]!;
  return n;
}

function checkInput<A extends FloatArray>(input: PoolerInput<A>, dims: PoolingDims, reads: PoolerReads, what: string): Batch<A> {
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
    if (reads.firstTokenOnly && attentionMask[b * T] !== 1) {
      throw new InputError(`${what} pooling reads the first token, but attentionMask row ${b} starts with padding (a left-padded batch); pad on the right or pool with a mask-aware type such as "mean"`);
    }
  }
  return { hiddenStates, attentionMask, B, T, H };
}

interface WrappedCache<A extends FloatArray> {
  owner: object;
  batch: Batch<A>;
  inner: unknown;
}

/** Makes the public Pooler of a core: input checks, output allocation, gradient buffers. */
export function wrapPooler<A extends FloatArray>(core: PoolerCore<A>, dims: PoolingDims, alloc: (n: number) => A): Pooler<A> {
  const what = core.spec.type;
  const pooler: Pooler<A> = {
    spec: core.spec,
    outputSize: core.outputSize,
    parameters: core.parameters,
    reads: core.reads,
    forward(input: PoolerInput<A>): PoolerOutput<A> {
      const batch = checkInput(input, dims, core.reads, what);
      const pooled = alloc(batch.B * core.outputSize);
      if (pooled.constructor !== batch.hiddenStates[0]!.data.constructor) {
        throw new InputError(`${what} pooling: hiddenStates are ${batch.hiddenStates[0]!.data.constructor.name}, this pooler works in ${pooled.constructor.name} (createPooler's dtype option)`);
      }
      const inner = core.forward(batch, pooled);
      const cache: WrappedCache<A> = { owner: pooler, batch, inner };
      return { pooled: { data: pooled, shape: [batch.B, core.outputSize] }, cache };
    },
    backward(output: PoolerOutput<A>, dPooled: Tensor<A>): PoolerGradients<A> {
      const cache = output.cache as WrappedCache<A> | undefined;
      if (cache?.owner !== pooler) throw new InputError(`${what} pooling: backward was given an output of a different pooler`);
      const { batch } = cache;
      const { B, T, H } = batch;
      if (!sameShape(dPooled.shape, [B, core.outputSize]) || dPooled.data.length !== B * core.outputSize) {
        throw new InputError(`${what} pooling: dPooled: expected [${B},${core.outputSize}], got ${shapeToString(dPooled.shape)}`);
      }
      const dHiddenStates: (A | null)[] = [];
      for (let i = 0; i <= dims.numLayers; i++) dHiddenStates.push(core.reads.layers.includes(i) ? alloc(B * T * H) : null);
      const dParameters = new Map<string, Tensor<A>>();
      for (const [name, p] of core.parameters) dParameters.set(name, { data: alloc(p.data.length), shape: [...p.shape] });
      core.backward(batch, cache.inner, dPooled.data, { dHiddenStates, dParameters });
      return {
        dHiddenStates: dHiddenStates.map((d) => (d === null ? null : { data: d, shape: [B, T, H] })),
        dParameters,
      };
    },
  };
  return pooler;
}

/** The gradient buffer of a layer a core declared in its reads (allocated by wrapPooler). */
export function layerGrad<A extends FloatArray>(grads: GradBuffers<A>, layer: number): A {
  const d = grads.dHiddenStates[layer];
  if (d === undefined || d === null) throw new Error(`internal: no gradient buffer for layer ${layer}`);
  return d;
}

/** The gradient buffer of a parameter (allocated by wrapPooler). */
export function paramGrad<A extends FloatArray>(grads: GradBuffers<A>, name: string): A {
  const d = grads.dParameters.get(name);
  if (d === undefined) throw new Error(`internal: no gradient buffer for parameter ${name}`);
  return d.data;
}
