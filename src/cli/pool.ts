// `encoder-pooling pool`: runs one pooler on hidden states stored in a safetensors file, and with
// --backward also its hand-written backward pass, so that any pooler can be compared with PyTorch.
import { resolve } from "node:path";
import {
  allocate, assertWritable, createPooler, InputError, parseSafetensors, readBytes, sameShape, serializeSafetensors, shapeToString, toInt32Array,
  UsageError, writeFileAtomic, type DType, type FloatArray, type Pooler, type SafeTensor, type Tensor,
} from "../node.js";
import { outputFlags, parseFlags, requireFlag, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { allowNonFiniteFlag, checkFiniteOutputs } from "./finite.js";
import { readParamsFile, readPoolingFlag } from "./inputs.js";

const usage = `Usage: encoder-pooling pool --spec SPEC.json [--params P.safetensors] --inputs IN.safetensors --output OUT.safetensors [--backward]

Pools stored hidden states into one vector per row, and with --backward runs the backward pass too.

  --spec S        a pooling name, a SPEC.json file or an inline JSON spec (see docs/pooling.md)
  --params FILE   the pooler's parameters under their PyTorch names; without it they are initialised
                  from --seed as docs/pooling.md describes
  --seed N        seed of that initialisation (default 0)
  --inputs FILE   hidden_states.0 … hidden_states.L [B,T,H] (F32, F16, BF16 or F64; all F64 = compute in
                  Float64), attention_mask [B,T] (I64 or I32), and grad_output [B,D] for --backward;
                  the output of \`encoder-pooling forward\` as it is
  --output FILE   pooled [B,D]; with --backward also grad.<parameter> for every parameter and
                  grad.hidden_states.<i> for every layer (zeros where the pooler did not read it)
  --backward      also compute the gradients of sum(pooled · grad_output)
  --allow-nonfinite  load --params holding NaN/Infinity and write outputs holding them; without it
                  either is an error and nothing is written
  --force         overwrite an existing output file
`;

/** Tensors of `forward`'s output that pooling does not need. */
const FORWARD_EXTRAS = ["input_ids", "last_hidden_state", "pooler_output"];

interface PoolInputs {
  hiddenStates: SafeTensor[];
  attentionMask: Int32Array;
  gradOutput: SafeTensor | undefined;
  B: number;
  T: number;
  H: number;
}

function readInputs(bytes: Uint8Array, source: string): PoolInputs {
  const { tensors } = parseSafetensors(bytes, source);
  const hiddenStates: SafeTensor[] = [];
  for (let i = 0; tensors.has(`hidden_states.${i}`); i++) hiddenStates.push(tensors.get(`hidden_states.${i}`)!);
  // what `forward` writes besides the hidden states is read past: last_hidden_state is hidden_states.L
  const known = new Set(["attention_mask", "grad_output", ...FORWARD_EXTRAS, ...hiddenStates.map((_, i) => `hidden_states.${i}`)]);
  const unexpected = [...tensors.keys()].filter((name) => !known.has(name));
  if (unexpected.length > 0) {
    throw new InputError(
      `${source}: unexpected tensor(s) ${unexpected.map((n) => `"${n}"`).join(", ")}; expected hidden_states.0 … hidden_states.L (consecutive), ` +
        `attention_mask and grad_output (and ${FORWARD_EXTRAS.join(", ")}, as forward writes them)`,
    );
  }
  if (hiddenStates.length < 2) throw new InputError(`${source}: needs hidden_states.0 and hidden_states.1 at least (the embeddings output and one layer), found ${hiddenStates.length}`);
  const first = hiddenStates[0]!;
  if (first.shape.length !== 3) throw new InputError(`${source}: hidden_states.0: expected [B,T,H], got ${shapeToString(first.shape)}`);
  hiddenStates.forEach((h, i) => {
    if (!(h.data instanceof Float32Array || h.data instanceof Float64Array)) throw new InputError(`${source}: hidden_states.${i}: expected a floating dtype, got ${h.dtype}`);
    if (!sameShape(h.shape, first.shape)) throw new InputError(`${source}: hidden states of unequal shapes: hidden_states.${i} is ${shapeToString(h.shape)}, hidden_states.0 is ${shapeToString(first.shape)}`);
  });
  const [B, T, H] = first.shape as [number, number, number];
  const mask = tensors.get("attention_mask");
  if (mask === undefined) throw new InputError(`${source}: missing tensor "attention_mask" [${B},${T}]`);
  if (mask.dtype !== "I64" && mask.dtype !== "I32") throw new InputError(`${source}: attention_mask: expected I64 or I32, got ${mask.dtype}`);
  if (!sameShape(mask.shape, [B, T])) throw new InputError(`${source}: attention_mask: expected [${B},${T}], got ${shapeToString(mask.shape)}`);
  return { hiddenStates, attentionMask: toInt32Array(mask, source, "attention_mask"), gradOutput: tensors.get("grad_output"), B, T, H };
}

function runPooler(pooler: Pooler, inputs: PoolInputs, backward: boolean, source: string): Map<string, SafeTensor> {
  const dtype = pooler.dtype === "float64" ? "F64" : "F32";
  const make = (src: ArrayLike<number>): FloatArray => {
    const data = allocate(pooler.dtype, src.length);
    data.set(src);
    return data;
  };
  const hiddenStates = inputs.hiddenStates.map((h): Tensor<FloatArray> => ({ data: make(h.data as FloatArray), shape: [...h.shape] }));
  const output = pooler.forward({ hiddenStates, attentionMask: inputs.attentionMask });
  const out = new Map<string, SafeTensor>([["pooled", { dtype, shape: output.pooled.shape, data: output.pooled.data }]]);
  if (!backward) return out;
  const g = inputs.gradOutput;
  const D = pooler.outputSize;
  if (g === undefined) throw new InputError(`${source}: --backward needs tensor "grad_output" [${inputs.B},${D}]`);
  if (!(g.data instanceof Float32Array || g.data instanceof Float64Array)) throw new InputError(`${source}: grad_output: expected a floating dtype, got ${g.dtype}`);
  if (!sameShape(g.shape, [inputs.B, D])) throw new InputError(`${source}: grad_output: expected [${inputs.B},${D}] (B, the pooler's output size), got ${shapeToString(g.shape)}`);
  const grads = pooler.backward(output, { data: make(g.data), shape: [...g.shape] });
  for (const [name, d] of grads.dParameters) out.set(`grad.${name}`, { dtype, shape: d.shape, data: d.data });
  grads.dHiddenStates.forEach((d, i) => {
    const shape = [inputs.B, inputs.T, inputs.H];
    out.set(`grad.hidden_states.${i}`, { dtype, shape, data: d?.data ?? allocate(pooler.dtype, inputs.B * inputs.T * inputs.H) });
  });
  return out;
}

export const poolCommand: Command = {
  name: "pool",
  summary: "pool stored hidden states (and backpropagate) to compare a pooler with PyTorch",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("pool", argv, {
      spec: { type: "string" },
      params: { type: "string" },
      seed: { type: "string" },
      inputs: { type: "string" },
      backward: { type: "boolean" },
      ...allowNonFiniteFlag,
      ...outputFlags,
    });
    const specFlag = requireFlag("pool", "spec", stringFlag(values, "spec"));
    const inputsPath = requirePathFlag("pool", values, "inputs", ctx.cwd);
    const output = requirePathFlag("pool", values, "output", ctx.cwd);
    const force = values["force"] === true;
    assertWritable(output, force);
    const seedFlag = stringFlag(values, "seed");
    const seed = seedFlag === undefined ? 0 : Number(seedFlag);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`pool: --seed must be a non-negative integer, got "${seedFlag}"`);

    const spec = await readPoolingFlag(specFlag, ctx);
    const paramsPath = stringFlag(values, "params");
    const parameters = paramsPath === undefined ? undefined : await readParamsFile(resolve(ctx.cwd, paramsPath), { keepDtype: true });
    const inputs = readInputs(await readBytes(inputsPath, "pool --inputs"), inputsPath);
    const dims = { numLayers: inputs.hiddenStates.length - 1, hiddenSize: inputs.H };
    const dtype: DType = inputs.hiddenStates.every((h) => h.dtype === "F64") ? "float64" : "float32";
    const allowNonFinite = values["allow-nonfinite"] === true;
    const pooler = createPooler(spec, dims, { seed, dtype, allowNonFinite, ...(parameters === undefined ? {} : { parameters }) });
    const backward = values["backward"] === true;
    const tensors = runPooler(pooler, inputs, backward, inputsPath);
    if (!allowNonFinite) checkFiniteOutputs("pool", tensors, output);
    await writeFileAtomic(output, serializeSafetensors(tensors), force);
    const pooled = tensors.get("pooled")!;
    ctx.stderr.write(`pool: ${shapeToString(pooled.shape)} pooled${backward ? " + gradients" : ""} written to ${output}\n`);
  },
};
