// Prediction heads on top of a pooled vector. Legend: N examples, D pooled size, k outputs
// (regression targets, classes, or labels).
//   linear:         logits = dropout(x)·Wᵀ + b                        (torch.nn.Linear(D, k))
//   classification: logits = out_proj(dropout(tanh(dense(dropout(x)))))  (HF RobertaClassificationHead
//                   without its first-token slice: our x is already pooled)
// Parameter names are the PyTorch module's state_dict names, so `nn.Linear(D, k).load_state_dict(...)`
// or `RobertaClassificationHead(config).load_state_dict(...)` takes them unchanged.
// Backward returns fresh gradient buffers (the head owns and zeroes nothing between calls).
import type { FloatArray, Tensor } from "../tensor/tensor.js";
import { numel, sameShape, shapeToString, zerosLike } from "../tensor/tensor.js";
import { Rng } from "../tensor/random.js";
import { linearBackward, linearForward } from "../tensor/ops/linear.js";
import { tanhBackward, tanhForward } from "../tensor/ops/tanh.js";
import { TrainingError } from "../errors.js";
import { dropoutBackward, dropoutForward, dropoutMask } from "./dropout.js";

export type HeadKind = "linear" | "classification";
export const HEAD_KINDS: readonly HeadKind[] = ["linear", "classification"];

export interface HeadForwardOptions {
  /** Training mode applies dropout (when the head has p > 0); evaluation never does. */
  training?: boolean;
  /** Source of dropout masks; required when training with dropout. */
  rng?: Rng;
}

export interface HeadOutput<A extends FloatArray = Float32Array> {
  /** logits: [N,k] */
  logits: Tensor<A>;
  /** What backward needs; opaque to callers. */
  cache: unknown;
}

export interface HeadGradients<A extends FloatArray = Float32Array> {
  /** d loss / d x: [N,D], to hand to the pooler's backward. */
  dx: Tensor<A>;
  /** Same keys and shapes as `parameters`. */
  dParameters: Map<string, Tensor<A>>;
}

export interface Head<A extends FloatArray = Float32Array> {
  readonly kind: HeadKind;
  /** D */
  readonly inputSize: number;
  /** k */
  readonly outputSize: number;
  /** Dropout probability used in training mode (0 = none). */
  readonly dropout: number;
  /** PyTorch state_dict names -> tensors, updated in place by the optimizer. */
  readonly parameters: Map<string, Tensor<A>>;
  forward(x: Tensor<A>, options?: HeadForwardOptions): HeadOutput<A>;
  backward(output: HeadOutput<A>, dLogits: Tensor<A>): HeadGradients<A>;
}

export interface HeadOptions {
  /** Dropout probability in [0, 1); default 0. */
  dropout?: number;
  /** Seed of the PyTorch-default initialisation U(±1/√fan_in); default 0. Ignored with `parameters`. */
  seed?: number;
  /** Trained parameters by name (e.g. from head.safetensors); every name and shape is checked. */
  parameters?: Map<string, { shape: number[]; data: ArrayLike<number> }>;
}

/** The parameter names and shapes of a head kind, in PyTorch's registration (and initialisation) order. */
export function headParameterShapes(kind: HeadKind, inputSize: number, outputSize: number): [string, number[]][] {
  if (kind === "linear") {
    return [["weight", [outputSize, inputSize]], ["bias", [outputSize]]];
  }
  return [
    ["dense.weight", [inputSize, inputSize]],
    ["dense.bias", [inputSize]],
    ["out_proj.weight", [outputSize, inputSize]],
    ["out_proj.bias", [outputSize]],
  ];
}

function makeParameters<A extends FloatArray>(
  kind: HeadKind, D: number, k: number, like: A, options: HeadOptions,
): Map<string, Tensor<A>> {
  const shapes = headParameterShapes(kind, D, k);
  const params = new Map<string, Tensor<A>>();
  const given = options.parameters;
  if (given === undefined) {
    // torch.nn.Linear.reset_parameters: weight and bias both U(±1/√in_features)
    const rng = new Rng(options.seed ?? 0);
    for (const [name, shape] of shapes) {
      const t = zerosLike(like, shape);
      rng.fillUniform(t.data, 1 / Math.sqrt(D));
      params.set(name, t);
    }
    return params;
  }
  const expected = new Set(shapes.map(([name]) => name));
  const unexpected = [...given.keys()].filter((name) => !expected.has(name));
  if (unexpected.length > 0) {
    throw new TrainingError(`${kind} head: unexpected parameters ${unexpected.join(", ")} (expected ${[...expected].join(", ")})`);
  }
  for (const [name, shape] of shapes) {
    const g = given.get(name);
    if (g === undefined) throw new TrainingError(`${kind} head: missing parameter ${name} ${shapeToString(shape)}`);
    if (!sameShape(g.shape, shape) || g.data.length !== numel(shape)) {
      throw new TrainingError(
        `${kind} head: ${name}: expected ${shapeToString(shape)}, got ${shapeToString(g.shape)} ` +
          `(a head trained for another model or task? pooled size D=${D}, outputs k=${k})`,
      );
    }
    const t = zerosLike(like, shape);
    t.data.set(g.data);
    params.set(name, t);
  }
  return params;
}

function checkInput(where: string, x: Tensor<FloatArray>, D: number): number {
  const [n, d] = x.shape;
  if (x.shape.length !== 2 || n === undefined || d !== D) {
    throw new TrainingError(`${where}: x must be [N,${D}], got ${shapeToString(x.shape)}`);
  }
  return n;
}

/** Applies dropout in training mode; returns the input itself (and no mask) otherwise. */
function maybeDropout<A extends FloatArray>(x: Tensor<A>, p: number, options: HeadForwardOptions): { y: Tensor<A>; mask: Float32Array | null } {
  if (!options.training || p === 0) return { y: x, mask: null };
  if (options.rng === undefined) throw new TrainingError("head.forward: training with dropout needs an rng");
  const n = x.data.length;
  const mask = dropoutMask(options.rng, n, p);
  const y = zerosLike(x.data, x.shape);
  dropoutForward(y.data, x.data, mask, n);
  return { y, mask };
}

/** Undoes maybeDropout in backward: dx = dy·mask, or dy itself when no dropout ran. */
function dropoutGrad<A extends FloatArray>(dy: Tensor<A>, mask: Float32Array | null): Tensor<A> {
  if (mask === null) return dy;
  const dx = zerosLike(dy.data, dy.shape);
  dropoutBackward(dx.data, dy.data, mask, dy.data.length);
  return dx;
}

function param<A extends FloatArray>(params: Map<string, Tensor<A>>, name: string): A {
  return (params.get(name) as Tensor<A>).data;
}

interface LinearCache<A extends FloatArray> {
  x: Tensor<A>; // dropout(x): [N,D]
  mask: Float32Array | null;
}

interface ClassificationCache<A extends FloatArray> {
  x: Tensor<A>; // dropout(x): [N,D]
  mask: Float32Array | null;
  h: Tensor<A>; // tanh(dense(x)): [N,D]
  hDropped: Tensor<A>; // dropout(h): [N,D]
  hMask: Float32Array | null;
}

class LinearHead<A extends FloatArray> implements Head<A> {
  readonly kind = "linear";
  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    readonly dropout: number,
    readonly parameters: Map<string, Tensor<A>>,
  ) {}

  // x: [N,D] -> logits: [N,k]
  forward(x: Tensor<A>, options: HeadForwardOptions = {}): HeadOutput<A> {
    const N = checkInput("linear head", x, this.inputSize);
    const D = this.inputSize;
    const k = this.outputSize;
    const { y, mask } = maybeDropout(x, this.dropout, options);
    const logits = zerosLike(x.data, [N, k]);
    linearForward(logits.data, y.data, param(this.parameters, "weight"), param(this.parameters, "bias"), N, D, k);
    const cache: LinearCache<A> = { x: y, mask };
    return { logits, cache };
  }

  backward(output: HeadOutput<A>, dLogits: Tensor<A>): HeadGradients<A> {
    const { x, mask } = output.cache as LinearCache<A>;
    const N = x.shape[0] as number;
    const D = this.inputSize;
    const k = this.outputSize;
    const dWeight = zerosLike(x.data, [k, D]);
    const dBias = zerosLike(x.data, [k]);
    const dy = zerosLike(x.data, [N, D]);
    linearBackward(dy.data, dWeight.data, dBias.data, dLogits.data, x.data, param(this.parameters, "weight"), N, D, k);
    return { dx: dropoutGrad(dy, mask), dParameters: new Map([["weight", dWeight], ["bias", dBias]]) };
  }
}

class ClassificationHead<A extends FloatArray> implements Head<A> {
  readonly kind = "classification";
  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    readonly dropout: number,
    readonly parameters: Map<string, Tensor<A>>,
  ) {}

  // x: [N,D] -> h: [N,D] -> logits: [N,k]
  forward(x: Tensor<A>, options: HeadForwardOptions = {}): HeadOutput<A> {
    const N = checkInput("classification head", x, this.inputSize);
    const D = this.inputSize;
    const k = this.outputSize;
    const p = this.parameters;
    const { y, mask } = maybeDropout(x, this.dropout, options);
    // h = tanh(x·denseᵀ + b)
    const h = zerosLike(x.data, [N, D]);
    linearForward(h.data, y.data, param(p, "dense.weight"), param(p, "dense.bias"), N, D, D);
    tanhForward(h.data, h.data, N * D);
    const dropped = maybeDropout(h, this.dropout, options);
    const logits = zerosLike(x.data, [N, k]);
    linearForward(logits.data, dropped.y.data, param(p, "out_proj.weight"), param(p, "out_proj.bias"), N, D, k);
    const cache: ClassificationCache<A> = { x: y, mask, h, hDropped: dropped.y, hMask: dropped.mask };
    return { logits, cache };
  }

  backward(output: HeadOutput<A>, dLogits: Tensor<A>): HeadGradients<A> {
    const { x, mask, h, hDropped, hMask } = output.cache as ClassificationCache<A>;
    const N = x.shape[0] as number;
    const D = this.inputSize;
    const k = this.outputSize;
    const p = this.parameters;
    const grads = new Map<string, Tensor<A>>();
    for (const [name, t] of p) grads.set(name, zerosLike(t.data, t.shape));
    const dHDropped = zerosLike(x.data, [N, D]);
    linearBackward(
      dHDropped.data, param(grads, "out_proj.weight"), param(grads, "out_proj.bias"),
      dLogits.data, hDropped.data, param(p, "out_proj.weight"), N, D, k,
    );
    const dH = dropoutGrad(dHDropped, hMask);
    // dPre = dH · (1 − h²)
    const dPre = zerosLike(x.data, [N, D]);
    tanhBackward(dPre.data, dH.data, h.data, N * D);
    const dy = zerosLike(x.data, [N, D]);
    linearBackward(dy.data, param(grads, "dense.weight"), param(grads, "dense.bias"), dPre.data, x.data, param(p, "dense.weight"), N, D, D);
    return { dx: dropoutGrad(dy, mask), dParameters: grads };
  }
}

export function createHead(kind: HeadKind, inputSize: number, outputSize: number, options?: HeadOptions & { dtype?: "float32" }): Head<Float32Array>;
export function createHead(kind: HeadKind, inputSize: number, outputSize: number, options: HeadOptions & { dtype: "float64" }): Head<Float64Array>;
/**
 * A head mapping pooled vectors [N,D] to logits [N,k], initialised as PyTorch does from `seed`, or
 * from `parameters` (checked by name and shape).
 * @example
 * const head = createHead("classification", 768, 2, { dropout: 0.1, seed: 42 });
 */
export function createHead(
  kind: HeadKind, inputSize: number, outputSize: number,
  options: HeadOptions & { dtype?: "float32" | "float64" } = {},
): Head<Float32Array> | Head<Float64Array> {
  if (!HEAD_KINDS.includes(kind)) throw new TrainingError(`createHead: unknown head "${String(kind)}" (expected ${HEAD_KINDS.join(" or ")})`);
  if (!Number.isInteger(inputSize) || inputSize <= 0 || !Number.isInteger(outputSize) || outputSize <= 0) {
    throw new TrainingError(`createHead: inputSize and outputSize must be integers > 0, got ${inputSize} and ${outputSize}`);
  }
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new TrainingError(`createHead: dropout must be in [0, 1), got ${dropout}`);
  if (options.dtype === "float64") return build(kind, inputSize, outputSize, dropout, makeParameters(kind, inputSize, outputSize, new Float64Array(0), options));
  return build(kind, inputSize, outputSize, dropout, makeParameters(kind, inputSize, outputSize, new Float32Array(0), options));
}

function build<A extends FloatArray>(kind: HeadKind, D: number, k: number, dropout: number, params: Map<string, Tensor<A>>): Head<A> {
  return kind === "linear" ? new LinearHead(D, k, dropout, params) : new ClassificationHead(D, k, dropout, params);
}
