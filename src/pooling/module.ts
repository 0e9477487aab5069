// The module pattern that poolers (this folder) and heads (src/train/heads) share:
// - a module works in one element type, chosen at run time (`DType`): Float32 to embed and train,
//   Float64 for the finite-difference checks; `allocate` makes its zero-filled arrays;
// - it declares each parameter once, by its PyTorch state_dict name, on a ParameterStore, and keeps the
//   returned handle: `w.data` is the value, `grads.param(w)` its gradient;
// - the store fills every declared parameter from a state_dict (checking names and shapes, with the
//   module's own error messages) or from a seeded initialisation, in declaration order;
// - forward returns a cache of the module's own type, backward accumulates (+=) into Gradients that the
//   module's wrapper allocates (zeroed) for each call and hands back to the caller.
// Legend: n elements.
import type { Rng } from "../tensor/random.js";
import { firstNonFinite, numel, sameShape, type FloatArray, type Tensor } from "../tensor/tensor.js";

/** The element type of a module's parameters, activations and gradients. */
export type DType = "float32" | "float64";

export const DTYPES: readonly DType[] = ["float32", "float64"];

/** A zero-filled array of n elements of `dtype`. */
export function allocate(dtype: DType, n: number): FloatArray {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/** The DType of an array. */
export function dtypeOf(array: FloatArray): DType {
  return array instanceof Float64Array ? "float64" : "float32";
}

/** A parameter: a tensor with its full state_dict name. The same object is the handle to its gradient. */
export interface Parameter extends Tensor<FloatArray> {
  readonly name: string;
}

/** Fills a fresh parameter, e.g. `(data, rng) => rng.fillUniform(data, bound)`. */
export type Init = (data: FloatArray, rng: Rng) => void;

/** U(−bound, bound), PyTorch's default for Linear and LSTM parameters. */
export function uniformInit(bound: number): Init {
  return (data, rng) => {
    rng.fillUniform(data, bound);
  };
}

/** N(0, std²). */
export function normalInit(std: number): Init {
  return (data, rng) => {
    rng.fillNormal(data, std);
  };
}

/** Every element `value`. */
export function constantInit(value: number): Init {
  return (data) => {
    data.fill(value);
  };
}

/** A state_dict as callers hand it over: name -> shape and values (any numeric array). */
export type StateDict = Map<string, { shape: number[]; data: ArrayLike<number> }>;

/** The errors a module raises for a state_dict that does not fit; `owner` names the declaring part. */
export interface StateDictErrors {
  missing(name: string, shape: number[], owner: string): Error;
  wrongShape(name: string, expected: number[], got: number[], owner: string): Error;
  unexpected(names: string[], expected: string[]): Error;
  /** Element `index` of tensor `name` is NaN or ±Infinity (code EP_NONFINITE). */
  nonFinite(name: string, index: number, value: number): Error;
}

/** The message of a loaded tensor that holds NaN or ±Infinity, with the way to load it anyway. */
export function nonFiniteMessage(name: string, index: number, value: number): string {
  return `tensor "${name}": element ${index} is ${value}; a broken checkpoint? (allowNonFinite, or --allow-nonfinite, loads it anyway)`;
}

interface Declared {
  parameter: Parameter;
  init: Init;
  owner: string;
}

/**
 * Collects a module's parameters as it declares them, then fills them all at once (`load`): from the
 * given state_dict, where every declared name must be present with its shape and nothing else may be,
 * or, without one, by each parameter's init in declaration order from one seeded generator.
 */
export class ParameterStore {
  private readonly declared: Declared[] = [];

  constructor(
    readonly dtype: DType,
    private readonly rng: Rng,
    private readonly given: StateDict | undefined,
    private readonly errors: StateDictErrors,
    /** Accept given tensors that hold NaN or ±Infinity (for inspecting broken checkpoints). */
    private readonly allowNonFinite = false,
  ) {}

  /** Declares parameter `name` of `shape`; its values are filled by `load`. */
  declare(name: string, shape: number[], init: Init, owner = ""): Parameter {
    if (this.declared.some((d) => d.parameter.name === name)) throw new Error(`internal: parameter ${name} declared twice`);
    const parameter: Parameter = { name, shape: [...shape], data: allocate(this.dtype, numel(shape)) };
    this.declared.push({ parameter, init, owner });
    return parameter;
  }

  /** Every declared parameter, by name, in declaration order (the module's state_dict). */
  get parameters(): Map<string, Parameter> {
    return new Map(this.declared.map((d) => [d.parameter.name, d.parameter]));
  }

  /** Fills every declared parameter: copied from the state_dict (checked), or freshly initialised. */
  load(): void {
    if (this.given === undefined) {
      for (const { parameter, init } of this.declared) init(parameter.data, this.rng);
      return;
    }
    const names = this.declared.map((d) => d.parameter.name);
    const unexpected = [...this.given.keys()].filter((name) => !names.includes(name));
    if (unexpected.length > 0) throw this.errors.unexpected(unexpected, names);
    for (const { parameter, owner } of this.declared) {
      const src = this.given.get(parameter.name);
      if (src === undefined) throw this.errors.missing(parameter.name, parameter.shape, owner);
      if (!sameShape(src.shape, parameter.shape) || src.data.length !== parameter.data.length) {
        throw this.errors.wrongShape(parameter.name, parameter.shape, src.shape, owner);
      }
      const bad = this.allowNonFinite ? -1 : firstNonFinite(src.data);
      if (bad >= 0) throw this.errors.nonFinite(parameter.name, bad, src.data[bad]!);
      parameter.data.set(src.data);
    }
  }
}

/**
 * Fresh zeroed gradient buffers for a module's parameters, one backward pass's worth. Backward passes
 * accumulate into `param(parameter)`; `dParameters` hands them to the caller under the parameter names.
 */
export class Gradients {
  private readonly buffers = new Map<Parameter, Tensor<FloatArray>>();

  constructor(parameters: Iterable<Parameter>, dtype: DType) {
    for (const p of parameters) this.buffers.set(p, { data: allocate(dtype, p.data.length), shape: [...p.shape] });
  }

  /** The gradient buffer of `parameter` (same shape). */
  param(parameter: Parameter): FloatArray {
    const g = this.buffers.get(parameter);
    if (g === undefined) throw new Error(`internal: no gradient buffer for parameter ${parameter.name}`);
    return g.data;
  }

  /** name -> gradient, in declaration order. */
  get dParameters(): Map<string, Tensor<FloatArray>> {
    return new Map([...this.buffers].map(([p, g]) => [p.name, g]));
  }
}
