// `encoder-pooling forward`: the parity command. Runs the encoder on token ids from a safetensors file and
// writes every hidden state, so that they can be compared with PyTorch / Hugging Face tensor by tensor.
import { join } from "node:path";
import {
  assertWritable, InputError, parseSafetensors, readBytes, readText, RobertaModel, serializeSafetensors, shapeToString, toInt32Array, writeFileAtomic,
  type SafeTensor,
} from "../node.js";
import { outputFlags, parseFlags, requirePathFlag } from "./args.js";
import { allowNonFiniteFlag, checkFiniteOutputs } from "./finite.js";
import type { Command } from "./command.js";
import { encoderEngine, engineFlags, engineUsage } from "./engine-flags.js";

const usage = `Usage: encoder-pooling forward --model DIR --inputs IN.safetensors --output OUT.safetensors [--force] [--verbose]

Runs the encoder on ready-made token ids (no tokenizer) and writes every hidden state as F32:
last_hidden_state [B,T,H], hidden_states.0 … hidden_states.L [B,T,H] (0 = embeddings output) and, only
when the checkpoint has pooler weights, pooler_output [B,H].

  --model DIR       Hugging Face model folder: config.json + model.safetensors
${engineUsage(20)}
  --inputs FILE     safetensors with input_ids and attention_mask, both [B,T], I64 or I32
  --output FILE     where to write the hidden states (safetensors)
  --force           overwrite an existing output file
  --verbose         list the checkpoint tensors that are ignored (lm_head.*, classifier.*)
  --allow-nonfinite load weights holding NaN/Infinity and write hidden states holding them; without
                    it either is an error and nothing is written
`;

const INPUT_NAMES = ["input_ids", "attention_mask"];

/** input_ids and attention_mask of an inputs file as Int32 [B,T], with the file and tensor named in errors. */
function readInputs(tensors: Map<string, SafeTensor>, source: string): { inputIds: Int32Array; attentionMask: Int32Array; batchSize: number; seqLen: number } {
  const unexpected = [...tensors.keys()].filter((k) => !INPUT_NAMES.includes(k));
  if (unexpected.length > 0) throw new InputError(`${source}: unexpected tensors ${unexpected.join(", ")} (expected input_ids and attention_mask)`);
  const ids = tensors.get("input_ids");
  const mask = tensors.get("attention_mask");
  if (ids === undefined) throw new InputError(`${source}: missing tensor "input_ids" [B,T]`);
  if (mask === undefined) throw new InputError(`${source}: missing tensor "attention_mask" [B,T]`);
  if (ids.shape.length !== 2) throw new InputError(`${source}: "input_ids" must be [B,T], got ${shapeToString(ids.shape)}`);
  if (mask.shape.length !== 2 || mask.shape[0] !== ids.shape[0] || mask.shape[1] !== ids.shape[1]) {
    throw new InputError(`${source}: "attention_mask" ${shapeToString(mask.shape)} does not match "input_ids" ${shapeToString(ids.shape)}`);
  }
  for (const [name, t] of [["input_ids", ids], ["attention_mask", mask]] as const) {
    if (t.dtype !== "I64" && t.dtype !== "I32") throw new InputError(`${source}: "${name}" must be I64 or I32, got ${t.dtype}`);
  }
  return {
    inputIds: toInt32Array(ids, source, "input_ids"),
    attentionMask: toInt32Array(mask, source, "attention_mask"),
    batchSize: ids.shape[0]!,
    seqLen: ids.shape[1]!,
  };
}

export const forwardCommand: Command = {
  name: "forward",
  summary: "run the encoder on token ids and write every hidden state (parity with PyTorch)",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("forward", argv, {
      model: { type: "string" },
      ...engineFlags,
      inputs: { type: "string" },
      ...outputFlags,
      verbose: { type: "boolean" },
      ...allowNonFiniteFlag,
    });
    const allowNonFinite = values["allow-nonfinite"] === true;
    const dir = requirePathFlag("forward", values, "model", ctx.cwd);
    const inputsPath = requirePathFlag("forward", values, "inputs", ctx.cwd);
    const output = requirePathFlag("forward", values, "output", ctx.cwd);
    const force = values["force"] === true;
    assertWritable(output, force);

    const configText = await readText(join(dir, "config.json"), "forward: model config");
    const weightBytes = await readBytes(join(dir, "model.safetensors"), "forward: model weights");
    const log = values["verbose"] === true ? (msg: string) => void ctx.stderr.write(`forward: ${msg}\n`) : undefined;
    const model = RobertaModel.load(configText, weightBytes, { source: dir, allowNonFinite, ...(log === undefined ? {} : { log }), ...await encoderEngine("forward", values) });
    const inputs = readInputs(parseSafetensors(await readBytes(inputsPath, "forward: inputs"), inputsPath).tensors, inputsPath);

    const result = model.forward(inputs);
    const out = new Map<string, SafeTensor>();
    out.set("last_hidden_state", { dtype: "F32", shape: result.lastHiddenState.shape, data: result.lastHiddenState.data });
    result.hiddenStates.forEach((h, i) => out.set(`hidden_states.${i}`, { dtype: "F32", shape: h.shape, data: h.data }));
    if (result.poolerOutput !== null) {
      out.set("pooler_output", { dtype: "F32", shape: result.poolerOutput.shape, data: result.poolerOutput.data });
    }
    if (!allowNonFinite) checkFiniteOutputs("forward", out, output);
    await writeFileAtomic(output, serializeSafetensors(out, { format: "pt" }), force);
    const pooled = result.poolerOutput === null ? "no pooler" : "pooler_output";
    ctx.stderr.write(
      `forward: wrote ${result.hiddenStates.length} hidden states [${inputs.batchSize},${inputs.seqLen},${model.config.hiddenSize}] (${pooled}) to ${output}\n`,
    );
  },
};
