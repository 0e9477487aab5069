// `train --fine-tune all | last:N`: the encoder trains with the pooler and head (src/train/fine-tune.ts),
// in-process, on tokenized texts; the head folder then also holds the fine-tuned encoder as a Hugging
// Face folder (config.json, model.safetensors, the tokenizer files), and pooling.json says model ".".
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  countParameters, createHead, createPooler, evaluateFineTuned, fineTune, fineTuneJobRunner, parseFineTune, readBytes, readText, tokenizeTexts,
  trainableParameters, TrainableRoberta, UsageError,
  type EncodedLabels, type EncoderModel, type JobRunner, type LabelledData, type PoolerJobResult, type StopFlag, type Tensor, type TrainableScope,
} from "../node.js";
import { numberFlag, positiveIntFlag, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import type { Budget } from "./training-flags.js";
import { trainingProgress } from "./training-output.js";

export const fineTuneFlags = {
  "fine-tune": { type: "string" },
  "encoder-lr": { type: "string" },
  "layer-lr-decay": { type: "string" },
  "grad-accum": { type: "string" },
} as const;

export const fineTuneUsage = `  --fine-tune WHAT     frozen (default: the encoder runs once, the epochs run over its cached outputs),
                       all (every encoder weight trains too) or last:N (its top N layers)
  --encoder-lr X       peak learning rate of the encoder's top layer when fine-tuning (default 5e-5)
  --layer-lr-decay X   each layer below trains at X times the rate of the one above (default 1)
  --grad-accum N       mini-batches per optimizer step (default 1)`;

/** The fine-tuning settings of the flags; null for a frozen encoder. */
export interface FineTuneSettings {
  fineTune: string;
  scope: TrainableScope;
  encoderLr: number;
  layerLrDecay: number;
  gradAccum: number;
}

export function readFineTuneFlags(command: string, values: FlagValues, numLayers: number): FineTuneSettings | null {
  const text = stringFlag(values, "fine-tune") ?? "frozen";
  let scope: TrainableScope | null;
  try {
    scope = parseFineTune(text, numLayers);
  } catch (err) {
    throw new UsageError(`${command}: --${(err as Error).message}`);
  }
  const others = ["encoder-lr", "layer-lr-decay", "grad-accum"].filter((f) => values[f] !== undefined);
  if (scope === null) {
    if (others.length > 0) throw new UsageError(`${command}: --${others[0]} needs --fine-tune all or last:N`);
    return null;
  }
  const encoderLr = numberFlag(command, "encoder-lr", stringFlag(values, "encoder-lr"), 5e-5);
  if (!(encoderLr > 0)) throw new UsageError(`${command}: --encoder-lr must be positive, got ${encoderLr}`);
  const layerLrDecay = numberFlag(command, "layer-lr-decay", stringFlag(values, "layer-lr-decay"), 1);
  if (!(layerLrDecay > 0 && layerLrDecay <= 1)) throw new UsageError(`${command}: --layer-lr-decay must be in (0, 1], got ${layerLrDecay}`);
  return { fineTune: text, scope, encoderLr, layerLrDecay, gradAccum: positiveIntFlag(command, "grad-accum", stringFlag(values, "grad-accum"), 1) };
}

const TOKENIZER_FILES = ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"];

export interface FineTuneRun {
  pooling: string | object;
  train: { data: LabelledData; labels: EncodedLabels };
  valid: { data: LabelledData; labels: EncodedLabels };
  budget: Budget;
  seed: number;
  maxLength: number;
}

/**
 * Fine-tunes the model of `modelDir` with a new pooler and head; returns what a frozen job returns and
 * the files of the fine-tuned encoder's folder.
 */
export async function runFineTune(
  model: EncoderModel, modelDir: string, run: FineTuneRun, settings: FineTuneSettings, ctx: CliContext, stop: StopFlag,
): Promise<{ result: PoolerJobResult; files: [string, Uint8Array | string][] }> {
  const configText = await readText(join(modelDir, "config.json"), "config");
  const encoder = TrainableRoberta.load(configText, await readBytes(join(modelDir, "model.safetensors"), "weights"), {
    scope: settings.scope, backend: model.encoder.backend, source: modelDir,
  });
  const ids = (data: LabelledData): number[][] => {
    const { encodings, truncated } = tokenizeTexts(model, data.texts, run.maxLength, data.source);
    if (truncated.length > 0) ctx.stderr.write(`note: ${data.source}: ${truncated.length} of ${data.texts.length} texts cut to ${run.maxLength} tokens (--max-length)\n`);
    return encodings.map((e) => e.inputIds);
  };
  const train = { inputIds: ids(run.train.data), labels: run.train.labels };
  const valid = { inputIds: ids(run.valid.data), labels: run.valid.labels };
  const pooler = createPooler(run.pooling, model.dims, { seed: run.seed });
  const head = createHead(run.budget.head.kind, pooler.outputSize, train.labels.numOutputs, { seed: run.seed, dropout: run.budget.head.dropout });
  const progress = trainingProgress(ctx, "train");
  const start = Date.now();
  let outcome;
  try {
    outcome = await fineTune(encoder, pooler, head, train, valid, {
      ...run.budget.options, seed: run.seed, encoderLr: settings.encoderLr, layerLrDecay: settings.layerLrDecay, gradAccum: settings.gradAccum,
      onProgress: (p) => progress.update(p), onEpoch: (record, epochs) => progress.epoch(record, epochs),
      shouldStop: () => stop.requested, yieldBetweenSteps: () => new Promise((done) => setImmediate(done)),
    });
  } finally {
    progress.finish();
  }
  const state = new Map<string, Tensor>();
  for (const [name, t] of trainableParameters(pooler, head)) state.set(name, { data: Float32Array.from(t.data), shape: [...t.shape] });
  const result: PoolerJobResult = {
    ...outcome, spec: pooler.spec, outputSize: pooler.outputSize, state, testMetrics: null,
    poolerParameters: countParameters(pooler.parameters), headParameters: countParameters(head.parameters),
    trainSeconds: (Date.now() - start) / 1000, validMetrics: evaluateFineTuned(encoder, pooler, head, valid).metrics,
  };
  const files: [string, Uint8Array | string][] = [["config.json", configText], ["model.safetensors", encoder.toSafetensors()]];
  for (const name of TOKENIZER_FILES) {
    if (existsSync(join(modelDir, name))) files.push([name, await readBytes(join(modelDir, name), "tokenizer")]);
  }
  encoder.dispose();
  return { result, files };
}

/**
 * For `compare --fine-tune`: a runner that fine-tunes each (pooling, seed) job from the model's own
 * weights, and `capture`, which records a split's token ids as compare encodes it (call it from `encode`).
 */
export async function compareFineTuneRunner(
  model: EncoderModel, modelDir: string, settings: FineTuneSettings, maxLength: number, stop: StopFlag,
): Promise<{ runner: JobRunner; capture(split: string, data: LabelledData): void }> {
  const ids = new Map<string, number[][]>();
  const runner = fineTuneJobRunner(
    {
      configJson: await readText(join(modelDir, "config.json"), "config"), weights: await readBytes(join(modelDir, "model.safetensors"), "weights"),
      backend: model.encoder.backend, scope: settings.scope, encoderLr: settings.encoderLr, layerLrDecay: settings.layerLrDecay, gradAccum: settings.gradAccum,
    },
    (split) => ids.get(split) ?? [],
    { shouldStop: () => stop.requested, yieldBetweenSteps: () => new Promise((done) => setImmediate(done)) },
  );
  return {
    runner,
    capture: (split, data) => ids.set(split, tokenizeTexts(model, data.texts, maxLength, data.source).encodings.map((e) => e.inputIds)),
  };
}
