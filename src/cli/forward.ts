// `encoder-pooling forward`: the parity command. Runs the encoder on token ids from a safetensors file (or
// on texts it tokenizes) and writes every hidden state with the ids and mask, so that they can be compared
// with PyTorch / Hugging Face tensor by tensor, and fed to `pool` as they are.
import { join, resolve } from "node:path";
import {
  assertWritable, defaultModelDir, InputError, loadModel, padEncodings, parseSafetensors, readBytes, readFolderFiles, readText, RobertaModel,
  serializeSafetensors, shapeToString, toInt32Array, UsageError, writeFileAtomic, type SafeTensor,
} from "../node.js";
import { outputFlags, parseFlags, positiveIntFlag, requirePathFlag, stringFlag, type FlagValues } from "./args.js";
import { allowNonFiniteFlag, checkFiniteOutputs } from "./finite.js";
import type { Command } from "./command.js";
import { encoderEngine, engineFlags, engineOptions, engineUsage } from "./engine-flags.js";
import type { CliContext } from "./context.js";
import { inputFlags, readInputTexts, warnAt } from "./inputs.js";

const usage = `Usage: encoder-pooling forward [--model DIR] (--inputs IDS.safetensors | --text "…" | --input FILE) --output OUT.safetensors

Runs the encoder and writes every hidden state as F32: last_hidden_state [B,T,H], hidden_states.0 …
hidden_states.L [B,T,H] (0 = embeddings output), only when the checkpoint has pooler weights
pooler_output [B,H], and the input_ids and attention_mask [B,T] (I64) it ran on, so that
\`encoder-pooling pool --inputs OUT.safetensors\` reads the file as it is.

  --model DIR       Hugging Face model folder (default: the shipped tiny model)
${engineUsage(20)}
  --inputs FILE     ready-made token ids: safetensors with input_ids and attention_mask, [B,T], I64 or I32
  --text "…"        or texts to tokenize (repeat for several), padded on the right into one batch
  --input FILE      or a file of texts: .txt (one per line), .jsonl, .csv, or - for standard input
  --text-field NAME JSONL field or CSV column of the text (default "text")
  --max-length N    token limit per text for --text / --input (default: the model's)
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

type Inputs = ReturnType<typeof readInputs>;

/** The ids of --text / --input, tokenized by the model's tokenizer and padded on the right in input order. */
async function tokenizeInputs(values: FlagValues, dir: string, ctx: CliContext): Promise<{ model: RobertaModel; inputs: Inputs }> {
  const { records, source } = await readInputTexts("forward", values, ctx);
  const model = await loadModel(dir, {
    allowNonFinite: values["allow-nonfinite"] === true,
    onWarning: (message) => void ctx.stderr.write(`warning: ${message}\n`),
    ...engineOptions("forward", values),
  });
  const maxLength = stringFlag(values, "max-length");
  if (maxLength !== undefined && (positiveIntFlag("forward", "max-length", maxLength, 0) < 3 || Number(maxLength) > model.maxLength)) {
    throw new UsageError(`forward: --max-length must be from 3 to ${model.maxLength} (the model's position table), got ${maxLength}`);
  }
  const encodings = model.tokenize(records.map((r) => r.text), {
    ...(maxLength === undefined ? {} : { maxLength: Number(maxLength) }),
    describeText: (i) => `${source}:${records[i]?.line ?? i + 1}`,
    onWarning: (message, i) => warnAt(ctx, source, records, i, message),
  });
  return { model: model.encoder, inputs: padEncodings(encodings, model.tokenizer.padTokenId) };
}

/** An Int32 [B,T] tensor as I64, as PyTorch stores ids. */
const asI64 = (data: Int32Array, B: number, T: number): SafeTensor => ({ dtype: "I64", shape: [B, T], data: BigInt64Array.from(data, (x) => BigInt(x)) });

export const forwardCommand: Command = {
  name: "forward",
  summary: "run the encoder on token ids and write every hidden state (parity with PyTorch)",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("forward", argv, {
      ...inputFlags,
      model: { type: "string" },
      ...engineFlags,
      inputs: { type: "string" },
      "max-length": { type: "string" },
      ...outputFlags,
      verbose: { type: "boolean" },
      ...allowNonFiniteFlag,
    });
    const allowNonFinite = values["allow-nonfinite"] === true;
    const modelFlag = stringFlag(values, "model");
    const dir = modelFlag === undefined ? defaultModelDir() : resolve(ctx.cwd, modelFlag);
    const inputsFlag = stringFlag(values, "inputs");
    const sources = [inputsFlag, values["text"], values["input"]].filter((v) => v !== undefined).length;
    if (sources !== 1) throw new UsageError("forward: give one of --inputs IDS.safetensors, --text \"…\" or --input FILE");
    const output = requirePathFlag("forward", values, "output", ctx.cwd);
    const force = values["force"] === true;
    assertWritable(output, force);

    let model: RobertaModel;
    let inputs: Inputs;
    if (inputsFlag === undefined) {
      ({ model, inputs } = await tokenizeInputs(values, dir, ctx));
    } else {
      const { modelDir } = await readFolderFiles(dir);
      const configText = await readText(join(modelDir, "config.json"), "forward: model config");
      const weightBytes = await readBytes(join(modelDir, "model.safetensors"), "forward: model weights");
      const log = values["verbose"] === true ? (msg: string) => void ctx.stderr.write(`forward: ${msg}\n`) : undefined;
      model = RobertaModel.load(configText, weightBytes, { source: modelDir, allowNonFinite, ...(log === undefined ? {} : { log }), ...await encoderEngine("forward", values) });
      const inputsPath = resolve(ctx.cwd, inputsFlag);
      inputs = readInputs(parseSafetensors(await readBytes(inputsPath, "forward: inputs"), inputsPath).tensors, inputsPath);
    }

    const result = model.forward(inputs);
    const out = new Map<string, SafeTensor>();
    out.set("input_ids", asI64(inputs.inputIds, inputs.batchSize, inputs.seqLen));
    out.set("attention_mask", asI64(inputs.attentionMask, inputs.batchSize, inputs.seqLen));
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
