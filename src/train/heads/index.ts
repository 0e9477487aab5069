// Prediction heads on top of a pooled vector, one file each, listed here. Parameter names are the
// PyTorch module's state_dict names, so `nn.Linear(D, k).load_state_dict(...)` or
// `RobertaClassificationHead(config).load_state_dict(...)` takes them unchanged.
// Legend: N examples, D pooled size, k outputs (regression targets, classes, or labels).
import { describeValue, TrainingError } from "../../errors.js";
import { moduleKernels } from "../../pooling/kernels.js";
import { allocate, DTYPES, nonFiniteMessage, ParameterStore, type DType, type StateDict, type StateDictErrors } from "../../pooling/module.js";
import type { Backend } from "../../tensor/backend.js";
import { Rng } from "../../tensor/random.js";
import { shapeToString } from "../../tensor/tensor.js";
import { classificationHead } from "./classification.js";
import { wrapHead, type Head, type HeadContext, type RegisteredHead } from "./head.js";
import { linearHead } from "./linear.js";

export type { Head, HeadCore, HeadContext, HeadDefinition, HeadForwardOptions, HeadGradients, HeadOutput, RegisteredHead } from "./head.js";

/** Every head, in the order the docs present them. A new head is a file beside this one plus its line here. */
export const HEADS = [linearHead, classificationHead] as const satisfies readonly RegisteredHead[];

export type HeadKind = (typeof HEADS)[number]["kind"];

export const HEAD_KINDS: readonly HeadKind[] = HEADS.map((h) => h.kind);

export interface HeadOptions {
  /** Dropout probability in [0, 1); default 0. */
  dropout?: number;
  /** Seed of the PyTorch-default initialisation U(±1/√fan_in); default 0. Ignored with `parameters`. */
  seed?: number;
  /** Trained parameters by name (e.g. from head.safetensors); every name and shape is checked. */
  parameters?: StateDict;
  /** Element type of parameters, logits and gradients (default "float32"). */
  dtype?: DType;
  /** Load `parameters` even when they hold NaN or ±Infinity (default false: an error naming the tensor). */
  allowNonFinite?: boolean;
  /** Where the linear layers run: a model's backend; default (or a js backend, or float64) the pure-TS reference. */
  backend?: Backend;
}

function stateDictErrors(kind: string, D: number, k: number): StateDictErrors {
  return {
    unexpected: (names, expected) => new TrainingError(`${kind} head: unexpected parameters ${names.join(", ")} (expected ${expected.join(", ")})`),
    missing: (name, shape) => new TrainingError(`${kind} head: missing parameter ${name} ${shapeToString(shape)}`),
    wrongShape: (name, expected, got) =>
      new TrainingError(
        `${kind} head: ${name}: expected ${shapeToString(expected)}, got ${shapeToString(got)} ` +
          `(a head trained for another model or task? pooled size D=${D}, outputs k=${k})`,
      ),
    nonFinite: (name, index, value) => new TrainingError(`${kind} head: ${nonFiniteMessage(name, index, value)}`, { code: "EP_NONFINITE" }),
  };
}

/**
 * A head mapping pooled vectors [N,D] to logits [N,k], initialised as PyTorch does from `seed`, or
 * from `parameters` (checked by name and shape).
 * @example
 * const head = createHead("classification", 768, 2, { dropout: 0.1, seed: 42 });
 */
export function createHead(kind: HeadKind, inputSize: number, outputSize: number, options: HeadOptions = {}): Head {
  const definition = (HEADS as readonly RegisteredHead[]).find((h) => h.kind === kind);
  if (definition === undefined) throw new TrainingError(`createHead: unknown head "${String(kind)}" (expected ${HEAD_KINDS.join(" or ")})`);
  if (!Number.isInteger(inputSize) || inputSize <= 0 || !Number.isInteger(outputSize) || outputSize <= 0) {
    throw new TrainingError(`createHead: inputSize and outputSize must be integers > 0, got ${inputSize} and ${outputSize}`);
  }
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new TrainingError(`createHead: dropout must be in [0, 1), got ${dropout}`);
  const dtype = options.dtype ?? "float32";
  if (!DTYPES.includes(dtype)) throw new TrainingError(`createHead: dtype must be "float32" or "float64", got ${describeValue(options.dtype)}`);
  const store = new ParameterStore(dtype, new Rng(options.seed ?? 0), options.parameters, stateDictErrors(kind, inputSize, outputSize), options.allowNonFinite === true);
  const ctx: HeadContext = {
    inputSize, outputSize, dropout,
    alloc: (n) => allocate(dtype, n),
    kernels: moduleKernels(options.backend, dtype),
    param: (name, shape, init) => store.declare(name, shape, init),
  };
  const core = definition.build(ctx);
  store.load();
  return wrapHead(kind, ctx, dtype, store.parameters, core);
}
