// `encoder-pooling train`: trains a pooler and a head on a frozen encoder and writes HEAD_DIR
// (pooling.json, head.safetensors, training.json; see src/train/head-folder.ts). The encoder runs once
// per text; the epochs then run over the cached hidden states in a worker thread, so that Ctrl-C can
// stop them and the best head so far is still saved. With --fine-tune the encoder trains too
// (fine-tune.ts), and HEAD_DIR also holds it.
import { resolve } from "node:path";
import {
  assertHeadFolderWritable, createJobRunner, defaultModelDir, DEFAULT_TRAINING, headFiles, jobBackend, LabelEncoder, makeHeadConfig, StopFlag,
  TrainingError, writeHeadFolder, type EncoderModel, type PoolerJob, type PoolerJobResult, type PoolerReads,
} from "../node.js";
import { outputFlags, parseFlags, requireFlag, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { engineUsage } from "./engine-flags.js";
import type { CliContext } from "./context.js";
import { fineTuneFlags, fineTuneUsage, readFineTuneFlags, runFineTune, type FineTuneRun } from "./fine-tune.js";
import { loadModelFlag, readPoolingFlag } from "./inputs.js";
import {
  budgetFlags, budgetUsage, dataFlags, fieldFlags, maxLengthFlag, modelRecord, readBudget, readTrainValid, seedFlag, taskFlag,
} from "./training-flags.js";
import { encodeWithProgress, formatMetrics, trainingProgress, withInterrupt } from "./training-output.js";

const usage = `Usage: encoder-pooling train [--model DIR] --data TRAIN [--valid VALID | --valid-split F] --pooling NAME|SPEC.json
                            --task regression|classification|multilabel --output HEAD_DIR [options]

Trains a pooler and a prediction head on a frozen (or, with --fine-tune, training) encoder and writes HEAD_DIR/pooling.json,
head.safetensors (pooler.* and head.* parameters under PyTorch names) and training.json (the history).
The best epoch on validation is kept; Ctrl-C stops training and saves the best head so far.

  --model DIR          Hugging Face model folder (default: the shipped tiny model in weights/default)
${engineUsage()}
  --data FILE          training examples, .jsonl or .csv with a text and a label field
  --valid FILE         validation examples (same format)
  --valid-split F      or hold out this fraction of --data, stratified by class (default 0.1)
  --pooling P          a pooling name, a SPEC.json file or an inline JSON spec (docs/pooling.md)
  --task T             regression (number or list of numbers), classification (one class name),
                       multilabel (a list of names; in CSV a JSON list or names separated by |)
  --label-field NAME   JSONL field or CSV column of the label (default "label")
  --text-field NAME    JSONL field or CSV column of the text (default "text")
  --max-length N       token limit per text, <s> and </s> included (default ${DEFAULT_TRAINING.maxLength}; longer texts are cut)
  --seed N             seeds initialisation, shuffling, dropout and --valid-split (default 0)
${budgetUsage()}
${fineTuneUsage}
                       (fine-tuned, HEAD_DIR also holds the encoder: config.json, model.safetensors, tokenizer files)
  --output DIR         the head folder to write
  --force              overwrite the head files in an existing HEAD_DIR
`;

/**
 * The train command with its stop flag given: `trainCommand` sets the flag on Ctrl-C; tests set it
 * themselves to check that an interrupted run saves the best head so far.
 */
export async function runTrain(argv: string[], ctx: CliContext, stop: StopFlag): Promise<void> {
  const values = parseFlags("train", argv, { ...dataFlags, ...budgetFlags, ...fineTuneFlags, pooling: { type: "string" }, ...outputFlags });
  const outDir = requirePathFlag("train", values, "output", ctx.cwd);
  const force = values["force"] === true;
  assertHeadFolderWritable(outDir, force);
  const task = taskFlag("train", values);
  const budget = readBudget("train", values, task);
  const seed = seedFlag("train", stringFlag(values, "seed"), 0);
  const pooling = await readPoolingFlag(requireFlag("train", "pooling", stringFlag(values, "pooling")), ctx);
  const { train, valid } = await readTrainValid("train", values, ctx, task, seed);
  const labelEncoder = LabelEncoder.fit(task, train.labels, `training (${train.source})`);
  const trainLabels = labelEncoder.encode(train.labels, `training (${train.source})`, train.lines);
  const validLabels = labelEncoder.encode(valid.labels, `validation (${valid.source})`, valid.lines);

  const model = await loadModelFlag(values, ctx, "train");
  const pooler = model.createPooler(pooling);
  const maxLength = maxLengthFlag("train", values, model, DEFAULT_TRAINING.maxLength);
  const fine = readFineTuneFlags("train", values, model.config.numHiddenLayers);

  await withInterrupt(stop, ctx, async () => {
    const modelDir = values["model"] === undefined ? defaultModelDir() : resolve(ctx.cwd, String(values["model"]));
    const run = { pooling, train: { data: train, labels: trainLabels }, valid: { data: valid, labels: validLabels }, budget, seed, maxLength };
    const { result, files } = fine === null
      ? { result: await frozenRun(model, run, pooler.reads, ctx, stop), files: [] }
      : await runFineTune(model, modelDir, run, fine, ctx, stop);
    const config = makeHeadConfig(result, {
      task, labels: labelEncoder, head: budget.head, encoder: model.dims, model: fine === null ? modelRecord(values, ctx) : ".", maxLength, ...fieldFlags(values),
    });
    const training = {
      data: { train: train.source, valid: valid.source, trainExamples: train.texts.length, validExamples: valid.texts.length },
      options: { ...budget.options, seed, maxLength, head: budget.head.kind, dropout: budget.head.dropout, ...(fine === null ? {} : { ...fine, scope: undefined }) },
      metric: result.metric,
      bestEpoch: result.bestEpoch,
      interrupted: result.interrupted,
      trainSeconds: result.trainSeconds,
      validMetrics: result.validMetrics,
      parameters: { pooler: result.poolerParameters, head: result.headParameters },
      history: result.history,
    };
    await writeHeadFolder(outDir, headFiles(config, result.state, training), force, files);
    const metrics = result.validMetrics === null ? "" : formatMetrics(result.validMetrics, 4);
    if (result.interrupted) {
      const kept = result.bestEpoch === 0 ? "no epoch had finished, so it holds the weights of the last step" : `from epoch ${result.bestEpoch}`;
      const done = result.history.length;
      throw new TrainingError(
        `interrupted after ${done} complete epoch${done === 1 ? "" : "s"}; saved the best head so far to ${outDir} (${kept}; validation ${metrics})`,
      );
    }
    ctx.stderr.write(`train: best epoch ${result.bestEpoch} of ${result.history.length}, validation ${metrics}; wrote ${outDir}\n`);
  });
}

/** The frozen path: the encoder runs once per text into feature caches, then the job trains over them. */
async function frozenRun(model: EncoderModel, run: FineTuneRun, reads: PoolerReads, ctx: CliContext, stop: StopFlag): Promise<PoolerJobResult> {
  const [trainCache] = await encodeWithProgress(model, run.train.data, run.maxLength, [reads], "training", ctx, stop);
  const [validCache] = await encodeWithProgress(model, run.valid.data, run.maxLength, [reads], "validation", ctx, stop);
  const job: PoolerJob = {
    pooling: run.pooling, dims: model.dims, head: run.budget.head, seed: run.seed, options: run.budget.options, test: null,
    backend: jobBackend(model.encoder.backend),
    train: { features: trainCache!, labels: run.train.labels }, valid: { features: validCache!, labels: run.valid.labels },
  };
  return runJob(job, ctx, stop);
}

/** Runs the job in a worker thread (so that Ctrl-C is heard), showing each step and each epoch. */
async function runJob(job: PoolerJob, ctx: CliContext, stop: StopFlag): Promise<PoolerJobResult> {
  const runner = createJobRunner(1, stop);
  const progress = trainingProgress(ctx, "train");
  try {
    return await runner.run(job, { onProgress: (p) => progress.update(p), onEpoch: (record, epochs) => progress.epoch(record, epochs) });
  } finally {
    progress.finish();
    await runner.close();
  }
}

export const trainCommand: Command = {
  name: "train",
  summary: "train a pooler and a head on labelled texts (frozen or fine-tuned encoder)",
  usage,
  run: (argv, ctx) => runTrain(argv, ctx, new StopFlag()),
};
