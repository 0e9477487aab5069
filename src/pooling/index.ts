// The pooling API: createPooler turns a spec (a name or a JSON object) into a Pooler with its
// parameters, forward pass and hand-written backward pass. One file per technique in poolers/, listed
// in registry.ts; this file is the loop that builds them.
// Legend: B batch, T tokens, H hidden, L layers, D output size.
import { describeValue, PoolingError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import { shapeToString } from "../tensor/tensor.js";
import type { Backend } from "../tensor/backend.js";
import { wrapPooler, type BuildContext, type PoolerCore } from "./core.js";
import { moduleKernels, type ModuleKernels } from "./kernels.js";
import { allocate, DTYPES, nonFiniteMessage, ParameterStore, type DType, type StateDict, type StateDictErrors } from "./module.js";
import type { NormalisedSpec, Pooler, PoolingDims } from "./pooler.js";
import { poolerDefinition, type PoolingSpec } from "./registry.js";
import { parsePoolingSpec } from "./spec.js";

export type { Pooler, PoolerGradients, PoolerInput, PoolerOutput, PoolerReads, PoolingDims, NormalisedSpec } from "./pooler.js";
export { poolingDims } from "./pooler.js";
export { POOLERS, POOLING_TYPES, poolerDefinition, type PoolingSpec, type PoolingType } from "./registry.js";
export { parsePoolingSpec } from "./spec.js";
export { POOLING_LIMITS, resolveLayer } from "./options.js";
export type { TokenChoice } from "./token-summary.js";
export { moduleKernels, referenceKernels, type ModuleKernels } from "./kernels.js";
export type { PoolerCore, PoolerDefinition, RegisteredPooler, BuildContext, Batch, PoolerGrads } from "./core.js";
export {
  allocate, constantInit, dtypeOf, DTYPES, Gradients, normalInit, ParameterStore, uniformInit,
  type DType, type Init, type Parameter, type StateDict, type StateDictErrors,
} from "./module.js";

export interface CreatePoolerOptions {
  /** A state_dict (PyTorch names); every parameter must be present with its shape, and nothing else. */
  parameters?: StateDict;
  /** Seed of the fresh initialisation when `parameters` is absent (default 0). */
  seed?: number;
  /** Element type of the pooler's parameters, outputs and gradients (default "float32"). */
  dtype?: DType;
  /** Load `parameters` even when they hold NaN or ±Infinity (default false: an error naming the tensor). */
  allowNonFinite?: boolean;
  /**
   * Where the heavy kernels (linear layers, LSTM cell) run: a model's backend (`model.encoder.backend`).
   * Default, a js backend, or dtype "float64": the pure-TS reference kernels.
   */
  backend?: Backend;
}

function stateDictErrors(type: string): StateDictErrors {
  return {
    missing: (name, shape, owner) => new PoolingError(`pooling params: missing tensor "${name}" ${shapeToString(shape)} of ${owner} pooling`),
    wrongShape: (name, expected, got, owner) =>
      new PoolingError(`pooling params: ${name}: expected ${shapeToString(expected)}, got ${shapeToString(got)} (${owner} pooling)`),
    unexpected: (names, expected) =>
      new PoolingError(
        `pooling params: unexpected tensor(s) ${names.map((n) => `"${n}"`).join(", ")} for ${type} pooling ` +
          `(it expects ${expected.length === 0 ? "no parameters" : expected.join(", ")})`,
      ),
    nonFinite: (name, index, value) => new PoolingError(`pooling params: ${nonFiniteMessage(name, index, value)}`, { code: "EP_NONFINITE" }),
  };
}

/** The build context of a (part of a) pooler: its parameters are named `prefix + name`. */
function buildContext(store: ParameterStore, dims: PoolingDims, prefix: string, owner: string, kernels: ModuleKernels): BuildContext {
  return {
    dims,
    alloc: (n) => allocate(store.dtype, n),
    kernels,
    param: (name, shape, init) => store.declare(prefix + name, shape, init, owner),
    part: (spec, k) => buildCore(spec, buildContext(store, dims, `${prefix}parts.${k}.`, spec.type, kernels)),
  };
}

function buildCore(spec: NormalisedSpec, ctx: BuildContext): PoolerCore<unknown> {
  return poolerDefinition(spec.type)!.build(spec, ctx);
}

/**
 * Makes the pooler of `spec` for an encoder of `dims`: parameters from `options.parameters` (a PyTorch
 * state_dict, checked name by name and shape by shape) or freshly initialised from `options.seed`.
 * @example
 * const pooler = createPooler({ type: "lstm", hiddenSize: 64 }, { numLayers: 12, hiddenSize: 768 });
 * const { pooled } = pooler.forward({ hiddenStates, attentionMask }); // pooled: [B,64]
 */
export function createPooler(spec: unknown, dims: PoolingDims, options: CreatePoolerOptions = {}): Pooler<PoolingSpec> {
  const normalised = parsePoolingSpec(spec, dims);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new PoolingError(`createPooler: seed must be an integer, got ${seed}`);
  const dtype = options.dtype ?? "float32";
  if (!DTYPES.includes(dtype)) throw new PoolingError(`createPooler: dtype must be "float32" or "float64", got ${describeValue(options.dtype)}`);
  const store = new ParameterStore(dtype, new Rng(seed), options.parameters, stateDictErrors(normalised.type), options.allowNonFinite === true);
  const kernels = moduleKernels(options.backend, dtype);
  const core = buildCore(normalised, buildContext(store, dims, "", normalised.type, kernels));
  store.load();
  return wrapPooler(normalised, core, dims, dtype, store.parameters, kernels);
}
