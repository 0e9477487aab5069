// `encoder-pooling pretrain`: masked-language-model pre-training of a RoBERTa from scratch on text files,
// resumable: the checkpoint folder is written at every evaluation and on Ctrl-C, and the same command
// run again continues from it exactly. A thin shell over MlmPretrainer and runPretraining (src/train).
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  createMlmEncoder, defaultModelDir, initMaskedLm, loadModel, lossCurveSvg, mlmVocab, MlmPretrainer, packCorpus, readCheckpointFolder, spreadRows,
  readRecords, readText, runPretraining, serializeMaskedLm, StopFlag, unigramBaseline, UsageError, writeCheckpointFolder, writeModelFolder,
  type PretrainLog, type PretrainOptions, type TrainerStateFile,
} from "../node.js";
import { numberFlag, parseFlags, positiveIntFlag, requirePathFlag, stringFlag, type FlagValues } from "./args.js";
import type { Command } from "./command.js";
import { engineOptions } from "./engine-flags.js";
import type { CliContext } from "./context.js";
import { progressBar } from "./progress.js";
import { seedFlag } from "./training-flags.js";
import { withInterrupt } from "./training-output.js";

const usage = `Usage: encoder-pooling pretrain --data FILE [--data FILE …] --valid FILE [--valid FILE …] --checkpoint DIR
                               [--output MODEL_DIR] [options]

Pre-trains a RoBERTa (RobertaForMaskedLM: the encoder and its tied LM head) from random weights by
masked-language modelling: texts packed into rows, 15 % of the tokens chosen (80 % <mask>, 10 % a random
token, 10 % unchanged), AdamW with linear warm-up and decay. The checkpoint folder (weights, optimizer
moments, generator states, data position, log, loss-curve.svg) is written at every evaluation and on
Ctrl-C; the same command run again resumes from it exactly.

  --model DIR          config.json and tokenizer of the model to pre-train (default: weights/default);
                       its weights are not used: the run starts from a seeded random initialisation
  --data FILE          training texts (.txt, .jsonl or .csv; repeat the flag for several files)
  --valid FILE         held-out texts, for the MLM accuracy (repeat for several)
  --text-field NAME    JSONL field or CSV column of the text (default "text")
  --checkpoint DIR     the checkpoint folder: created, written, and resumed from when it holds one
  --output DIR         when the run ends or stops, write the model folder here (config, weights, tokenizer,
                       pretraining.json, loss-curve.svg)
  --dtype f32|f16      storage of --output's weights (default f32)
  --force              overwrite files in --output
  --steps N            steps of the schedule (warm-up, then linear decay to 0 at step N) (default 1000)
  --stop-at N          stop after step N (default: --steps); resume later with a larger one
  --batch-size N       rows per step (default 32)        --seq-len N   tokens per row (default 128)
  --lr X               peak learning rate (default 1e-3) --warmup N    warm-up steps (default 6 % of --steps)
  --weight-decay X     (default 0.01)                    --dropout P   hidden and attention dropout (default 0.1)
  --init-std X         standard deviation of the initial weights (default 0.02)
  --seed N             seeds the initialisation, the data order, the masks and the dropout (default 0)
  --log-every N        steps per progress line and loss-curve point (default 10)
  --eval-every N       steps between held-out evaluations and checkpoints (default 100)
  --eval-rows N        held-out rows evaluated, spread evenly over the --valid files (default 256)
  --backend B          auto, wasm or js (default auto)   --threads N   threads of the wasm backend
`;

const flags = {
  model: { type: "string" }, data: { type: "string", multiple: true }, valid: { type: "string", multiple: true }, "text-field": { type: "string" },
  checkpoint: { type: "string" }, output: { type: "string" }, dtype: { type: "string" }, force: { type: "boolean" },
  steps: { type: "string" }, "stop-at": { type: "string" }, "batch-size": { type: "string" }, "seq-len": { type: "string" },
  lr: { type: "string" }, warmup: { type: "string" }, "weight-decay": { type: "string" }, dropout: { type: "string" }, "init-std": { type: "string" },
  seed: { type: "string" }, "log-every": { type: "string" }, "eval-every": { type: "string" }, "eval-rows": { type: "string" },
  backend: { type: "string" }, threads: { type: "string" },
} as const;

function readOptions(values: FlagValues): PretrainOptions & { T: number; dropout: number; initStd: number; evalRows: number } {
  const n = (name: string, fallback: number) => positiveIntFlag("pretrain", name, stringFlag(values, name), fallback);
  const x = (name: string, fallback: number) => numberFlag("pretrain", name, stringFlag(values, name), fallback);
  const totalSteps = n("steps", 1000);
  const warmupText = stringFlag(values, "warmup");
  const warmupSteps = warmupText === "0" ? 0 : n("warmup", Math.round(totalSteps * 0.06));
  const dropout = x("dropout", 0.1);
  if (!(dropout >= 0 && dropout < 1)) throw new UsageError(`pretrain: --dropout must be in [0, 1), got ${dropout}`);
  return {
    batchSize: n("batch-size", 32), T: n("seq-len", 128), totalSteps, warmupSteps, schedule: "linear", lr: x("lr", 1e-3),
    weightDecay: x("weight-decay", 0.01), betas: [0.9, 0.98], eps: 1e-6, maxGradNorm: 1, maskProbability: 0.15,
    seed: seedFlag("pretrain", stringFlag(values, "seed"), 0), dropout, initStd: x("init-std", 0.02), evalRows: n("eval-rows", 256),
  };
}

async function readSources(values: FlagValues, name: "data" | "valid", ctx: CliContext): Promise<{ source: string; texts: string[] }[]> {
  const paths = (values[name] ?? []) as string[];
  if (paths.length === 0) throw new UsageError(`pretrain: --${name} FILE is required`);
  const textField = stringFlag(values, "text-field");
  return Promise.all(paths.map(async (path) => {
    const { records, warnings } = await readRecords(resolve(ctx.cwd, path), textField === undefined ? {} : { textField });
    for (const w of warnings) ctx.stderr.write(`warning: ${w}\n`);
    return { source: path, texts: records.map((r) => r.text) };
  }));
}

/** The pretrain command with its stop flag given (tests set it themselves). */
export async function runPretrain(argv: string[], ctx: CliContext, stop: StopFlag): Promise<void> {
  const values = parseFlags("pretrain", argv, flags);
  const checkpointDir = requirePathFlag("pretrain", values, "checkpoint", ctx.cwd);
  const outDir = stringFlag(values, "output") === undefined ? null : requirePathFlag("pretrain", values, "output", ctx.cwd);
  if (outDir !== null && values["force"] !== true && existsSync(join(outDir, "model.safetensors"))) {
    throw new UsageError(`pretrain: ${join(outDir, "model.safetensors")} already exists; pass --force to overwrite it`);
  }
  const dtype = stringFlag(values, "dtype") ?? "f32";
  if (dtype !== "f32" && dtype !== "f16") throw new UsageError(`pretrain: --dtype must be f32 or f16, got "${dtype}"`);
  const { T, dropout, initStd, evalRows, ...options } = readOptions(values);
  const stopAt = positiveIntFlag("pretrain", "stop-at", stringFlag(values, "stop-at"), options.totalSteps);
  const logEvery = positiveIntFlag("pretrain", "log-every", stringFlag(values, "log-every"), 10);
  const evalEvery = positiveIntFlag("pretrain", "eval-every", stringFlag(values, "eval-every"), 100);
  const modelDir = resolve(ctx.cwd, stringFlag(values, "model") ?? defaultModelDir());
  // the engine flags as every model command reads them (engine-flags.ts); --dtype here is the output's storage
  const { backend = "auto", threads } = engineOptions("pretrain", values);
  const model = await loadModel(modelDir, { backend, ...(threads === undefined ? {} : { threads }) });
  const vocab = mlmVocab(model.tokenizer, model.config.vocabSize);
  // read now: --output may be the --model folder itself
  const config = JSON.parse(await readText(join(modelDir, "config.json"), "config")) as Record<string, unknown>;
  const tokenizerFiles: Record<string, string> = {};
  for (const name of ["vocab.json", "merges.txt", "tokenizer.json"]) {
    if (existsSync(join(modelDir, name))) tokenizerFiles[name] = await readText(join(modelDir, name), "tokenizer");
  }

  const started = Date.now();
  const train = packCorpus(model.tokenizer, await readSources(values, "data", ctx), T, vocab);
  const valid = packCorpus(model.tokenizer, await readSources(values, "valid", ctx), T, vocab);
  const heldOut = spreadRows(valid, evalRows);
  for (const s of [...train.sources, ...valid.sources]) ctx.stderr.write(`pretrain: ${s.source}: ${s.texts} texts, ${s.tokens} tokens\n`);
  ctx.stderr.write(`pretrain: ${train.count} training rows and ${valid.count} held-out rows of ${T} tokens (${heldOut.count} evaluated), packed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const data = { T, dropout, initStd, evalRows, train: train.sources, valid: valid.sources, trainRows: train.count, heldOutRows: heldOut.count };

  const saved = await readCheckpointFolder(checkpointDir);
  if (saved !== null) {
    const now = JSON.stringify({ options, data });
    if (JSON.stringify({ options: saved.trainer.options, data: saved.trainer.data }) !== now) {
      throw new UsageError(`pretrain: ${checkpointDir} holds a run with other options or data (see its trainer_state.json); give the same flags, or another --checkpoint`);
    }
    ctx.stderr.write(`pretrain: resuming from step ${saved.trainer.state.step} (${checkpointDir})\n`);
  }
  const params = saved?.params ?? initMaskedLm(model.config, options.seed, initStd);
  const encoder = createMlmEncoder(model.config, model.encoder.backend, params, dropout);
  const trainer = new MlmPretrainer(encoder, params, vocab, { data: train.rows, count: train.count, T }, options, saved?.trainer.state, dropout);
  if (saved !== null) trainer.restoreOptimizer(saved.optimizer);
  const log: PretrainLog = saved?.trainer.log ?? { history: [], evals: [], seconds: 0, sessions: [] };
  const baseline = unigramBaseline(train.rows, trainer.heldOutLabels(heldOut), vocab);
  const curve = (): string => lossCurveSvg(log, baseline, "Masked-LM pre-training");
  const trainerFile = (): TrainerStateFile => ({ format: "encoder-pooling pretrain 1", options, dropout, state: trainer.state, log, data });
  const writeCheckpoint = () => writeCheckpointFolder(checkpointDir, { params, optimizer: trainer.optimizerState(), trainer: trainerFile() }, { "loss-curve.svg": curve() });

  const bar = progressBar(ctx, "pretrain", stopAt);
  const session = { start: Date.now(), tokens: trainer.state.tokensSeen };
  const reason = await withInterrupt(stop, ctx, () => runPretraining(trainer, log, {
    untilStep: stopAt, logEvery, evalEvery, heldOut, stopRequested: () => stop.requested,
    onStep: (r) => {
      const rate = (trainer.state.tokensSeen - session.tokens) / Math.max(1e-3, (Date.now() - session.start) / 1000);
      const line = `step ${r.step}/${options.totalSteps} loss ${r.loss.toFixed(3)} acc ${r.accuracy.toFixed(3)} lr ${r.lr.toExponential(2)} ${Math.round(rate)} tokens/s`;
      bar.update(r.step, line);
      if (!ctx.interactive && r.step % logEvery === 0) ctx.stderr.write(`pretrain: ${line}\n`);
    },
    onCheckpoint: async () => {
      const e = log.evals[log.evals.length - 1];
      bar.finish();
      if (e !== undefined && e.step === trainer.state.step) {
        ctx.stderr.write(`pretrain: step ${e.step}: held-out loss ${e.loss.toFixed(3)}, accuracy ${e.accuracy.toFixed(4)} (unigram baseline ${baseline.accuracy.toFixed(4)})\n`);
      }
      await writeCheckpoint();
    },
  }));
  bar.finish();
  const last = log.evals[log.evals.length - 1];
  const summary = {
    steps: trainer.state.step, tokensSeen: trainer.state.tokensSeen, epochs: trainer.state.tokensSeen / (train.count * T), seconds: log.seconds,
    heldOut: last ?? null, unigramBaseline: baseline, options, data, sessions: log.sessions,
  };
  if (outDir !== null) {
    await writeModelFolder(outDir, {
      "config.json": `${JSON.stringify({ ...config, architectures: ["RobertaForMaskedLM"], initializer_range: initStd }, null, 2)}\n`,
      "model.safetensors": serializeMaskedLm(params, dtype === "f16" ? "F16" : "F32", { note: `pre-trained by encoder-pooling pretrain, step ${trainer.state.step}` }),
      ...tokenizerFiles,
      "pretraining.json": `${JSON.stringify(summary, null, 1)}\n`,
      "loss-curve.svg": curve(),
    }, values["force"] === true);
  }
  const where = outDir === null ? "" : `; wrote ${outDir}`;
  const held = last === undefined ? "" : `; held-out MLM accuracy ${last.accuracy.toFixed(4)} (unigram baseline ${baseline.accuracy.toFixed(4)})`;
  const verb = reason === "stop" || trainer.state.step < options.totalSteps ? `stopped at step ${trainer.state.step} of ${options.totalSteps} (run the same command to continue)` : `done: ${trainer.state.step} steps`;
  ctx.stderr.write(`pretrain: ${verb}, ${trainer.state.tokensSeen} tokens in ${log.seconds.toFixed(0)} s${held}; checkpoint ${checkpointDir}${where}\n`);
}

export const pretrainCommand: Command = {
  name: "pretrain",
  summary: "pre-train a RoBERTa by masked-language modelling (resumable)",
  usage,
  run: (argv, ctx) => runPretrain(argv, ctx, new StopFlag()),
};
