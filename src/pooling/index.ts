// The pooling API: createPooler turns a spec (a name or a JSON object) into a Pooler with its
// parameters, forward pass and hand-written backward pass. One file per technique beside this one.
// Legend: B batch, T tokens, H hidden, L layers, D output size.
import { PoolingError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { buildAttention } from "./attention.js";
import { buildCombine } from "./combine.js";
import { buildConcat } from "./concat.js";
import { wrapPooler, type BuildContext, type PoolerCore } from "./core.js";
import { buildGem } from "./gem.js";
import { buildLayerAttention } from "./layer-attention.js";
import { buildLstm } from "./lstm.js";
import { buildMax } from "./max.js";
import { buildMeanMax } from "./mean-max.js";
import type { Pooler, PoolingDims } from "./pooler.js";
import { parsePoolingSpec, type PoolingSpec } from "./spec.js";
import { buildWeightedLayer } from "./weighted-layer.js";
import { buildWeightedTokens } from "./weighted-tokens.js";

export type { Pooler, PoolerGradients, PoolerInput, PoolerOutput, PoolerReads, PoolingDims } from "./pooler.js";
export { POOLING_DEFAULTS, POOLING_TYPES, parsePoolingSpec, resolveLayer, type PoolingSpec, type PoolingType, type TokenChoice } from "./spec.js";

export interface CreatePoolerOptions {
  /** A state_dict (PyTorch names); every parameter must be present with its shape, and nothing else. */
  parameters?: Map<string, Tensor<FloatArray>>;
  /** Seed of the fresh initialisation when `parameters` is absent (default 0). */
  seed?: number;
  /** Element type of the pooler's parameters, outputs and gradients (default "float32"). */
  dtype?: "float32" | "float64";
}

function buildCore<A extends FloatArray>(spec: PoolingSpec, ctx: BuildContext<A>): PoolerCore<A> {
  const at = { ...ctx, what: spec.type };
  switch (spec.type) {
    case "cls": case "mean": case "mean-sqrt-len": case "weighted-mean": case "last-token":
      return buildWeightedTokens(spec.type, at);
    case "max":
      return buildMax(at);
    case "mean-max":
      return buildMeanMax(at);
    case "concat":
      return buildConcat(spec.layers, spec.token, at);
    case "lstm":
      return buildLstm(spec.hiddenSize, at);
    case "weighted-layer":
      return buildWeightedLayer(spec.layerStart, spec.token, at);
    case "attention":
      return buildAttention(spec.hiddenSize, at);
    case "gem":
      return buildGem(spec.p, spec.eps, at);
    case "layer-attention":
      return buildLayerAttention(spec.hiddenSize, at);
    case "combine":
      return buildCombine(spec.parts.map((part, k) => buildCore(part, { ...at, prefix: `${ctx.prefix}parts.${k}.` })), at);
  }
}

/**
 * Makes the pooler of `spec` for an encoder of `dims`: parameters from `options.parameters` (a PyTorch
 * state_dict, checked name by name and shape by shape) or freshly initialised from `options.seed`.
 * @example
 * const pooler = createPooler({ type: "lstm", hiddenSize: 64 }, { numLayers: 12, hiddenSize: 768 });
 * const { pooled } = pooler.forward({ hiddenStates, attentionMask }); // pooled: [B,64]
 */
export function createPooler(spec: unknown, dims: PoolingDims, options: CreatePoolerOptions & { dtype: "float64" }): Pooler<Float64Array>;
export function createPooler(spec: unknown, dims: PoolingDims, options?: CreatePoolerOptions & { dtype?: "float32" }): Pooler<Float32Array>;
export function createPooler(spec: unknown, dims: PoolingDims, options?: CreatePoolerOptions): Pooler<Float32Array> | Pooler<Float64Array>;
export function createPooler(spec: unknown, dims: PoolingDims, options: CreatePoolerOptions = {}): Pooler<Float32Array> | Pooler<Float64Array> {
  const normalised = parsePoolingSpec(spec, dims);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new PoolingError(`createPooler: seed must be an integer, got ${seed}`);
  if (options.dtype === "float64") return build(normalised, dims, options, seed, (n) => new Float64Array(n));
  if (options.dtype !== undefined && options.dtype !== "float32") {
    throw new PoolingError(`createPooler: dtype must be "float32" or "float64", got ${JSON.stringify(options.dtype)}`);
  }
  return build(normalised, dims, options, seed, (n) => new Float32Array(n));
}

function build<A extends FloatArray>(spec: PoolingSpec, dims: PoolingDims, options: CreatePoolerOptions, seed: number, alloc: (n: number) => A): Pooler<A> {
  const ctx: BuildContext<A> = { dims, alloc, rng: new Rng(seed), given: options.parameters, used: new Set(), prefix: "", what: spec.type };
  const core = buildCore(spec, ctx);
  if (options.parameters !== undefined) {
    const unexpected = [...options.parameters.keys()].filter((name) => !ctx.used.has(name));
    if (unexpected.length > 0) {
      const expected = [...core.parameters.keys()];
      throw new PoolingError(
        `pooling params: unexpected tensor(s) ${unexpected.map((n) => `"${n}"`).join(", ")} for ${spec.type} pooling ` +
          `(it expects ${expected.length === 0 ? "no parameters" : expected.join(", ")})`,
      );
    }
  }
  return wrapPooler(core, dims, alloc);
}
