// `encoder-pooling compare`: trains every listed pooling strategy with the same budget, split and
// seeds (comparePoolers), then prints a table (metric mean ± std over seeds, parameters, training
// time) and writes it as compare.md, compare.json and an SVG bar chart. The training jobs share the
// cores through worker threads.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import {
  assertHeadCollectionWritable, assertWritable, compareFiles, compareHeadFolders, compareMarkdown, comparePoolers, createJobRunner, DEFAULT_TRAINING,
  defaultModelDir, didYouMean, poolingLabel, POOLING_TYPES, StopFlag, UsageError, writeFileAtomic, writeHeadCollection, type CompareRun,
  type PoolerJobResult, type TrainProgress,
} from "../node.js";
import { parseFlags, positiveIntFlag, requireFlag, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { engineUsage } from "./engine-flags.js";
import type { CliContext } from "./context.js";
import { compareFineTuneRunner, fineTuneFlags, fineTuneUsage, readFineTuneFlags } from "./fine-tune.js";
import { loadModelFlag } from "./inputs.js";
import { progressBar } from "./progress.js";
import {
  budgetFlags, budgetUsage, dataFlags, fieldFlags, maxLengthFlag, modelRecord, readBudget, readLabelledFlag,
  readTrainValid, seedFlag, taskFlag,
} from "./training-flags.js";
import { encodeWithProgress, formatMetrics, withInterrupt } from "./training-output.js";

const OUTPUTS = ["compare.md", "compare.svg", "compare.json"] as const;

/** Every pooling type except `combine`, which needs parts to combine. */
export const COMPARE_ALL: readonly string[] = POOLING_TYPES.filter((t) => t !== "combine");

const usage = `Usage: encoder-pooling compare --data TRAIN (--valid VALID | --valid-split F) [--test TEST] --task T
                              --poolings all|NAME,NAME,… [--seeds N] --output-dir DIR [options]

Trains each pooling strategy with the same budget, split and seeds (a fresh head each), then prints
a table of the validation (and test) metric, mean ± std over seeds, with parameter counts and
training time, next to the majority-class baseline. Writes DIR/compare.md, compare.json, compare.svg,
and with --save-heads every trained head (the best on validation named in HEADS/heads.json).

  --model DIR          Hugging Face model folder (default: the shipped tiny model in weights/default)
${engineUsage()}
  --data FILE          training examples, .jsonl or .csv with a text and a label field
  --valid FILE         validation examples (pick the best epoch), or
  --valid-split F      hold out this fraction of --data, stratified by class (default 0.1)
  --test FILE          test examples: reported, never used for selection
  --task T             regression, classification or multilabel
  --label-field NAME   JSONL field or CSV column of the label (default "label")
  --text-field NAME    JSONL field or CSV column of the text (default "text")
  --poolings LIST      "all" (${COMPARE_ALL.join(", ")}) or a comma-separated list
  --seeds N            runs per pooling, seeds S, S+1, … (default 1)
  --seed S             first seed; also seeds --valid-split (default 0)
  --max-length N       token limit per text (default ${DEFAULT_TRAINING.maxLength}; longer texts are cut)
${budgetUsage()}
${fineTuneUsage}
  --jobs N             training runs at the same time, in worker threads (default: the number of cores, at most 2)
  --output-dir DIR     where compare.md, compare.json and compare.svg go
  --save-heads HEADS   keep every trained head as HEADS/<pooling>-seed<N>/ (use one with embed --head,
                       predict, evaluate); HEADS/heads.json names the best, and --head HEADS uses it
  --force              overwrite them
`;

function parsePoolings(value: string): string[] {
  if (value.trim() === "all") return [...COMPARE_ALL];
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UsageError(`compare: --poolings lists no pooling`);
  const unknown = names.filter((n) => !(POOLING_TYPES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    const hints = unknown.map((u) => `"${u}"${didYouMean(u, POOLING_TYPES)}`).join(", ");
    throw new UsageError(`compare: unknown pooling ${hints}; choose from ${POOLING_TYPES.join(", ")} or all`);
  }
  if (new Set(names).size !== names.length) throw new UsageError(`compare: --poolings lists a pooling twice`);
  return names;
}

/** Hooks that show the runs: a bar over all their steps on a terminal, one line per finished run elsewhere. */
function runDisplay(ctx: CliContext, totalSteps: number, stepsPerRun: number): {
  finish(): void;
  hooks: { onRunProgress(run: CompareRun, p: TrainProgress): void; onRunDone(run: CompareRun, r: PoolerJobResult): void; onRunFailed(run: CompareRun, e: Error): void };
} {
  // the bar starts with the first step, after the encoder has run
  let bar: ReturnType<typeof progressBar> | null = null;
  const steps = new Map<number, number>();
  const running = new Set<string>();
  const name = (run: CompareRun): string => `${poolingLabel(run.pooling)}#${run.seed}`;
  const show = (): void => {
    let done = 0;
    for (const s of steps.values()) done += s;
    bar ??= progressBar(ctx, "train", totalSteps);
    bar.update(done, [...running].join(", "));
  };
  const end = (run: CompareRun): void => {
    running.delete(name(run));
    show();
  };
  const hooks = {
    onRunProgress(run: CompareRun, p: TrainProgress) {
      running.add(name(run));
      steps.set(run.index, p.step);
      show();
    },
    onRunDone(run: CompareRun, result: PoolerJobResult) {
      steps.set(run.index, stepsPerRun);
      if (!ctx.interactive) {
        const v = result.validMetrics === null ? "" : ` valid ${formatMetrics(result.validMetrics, 3)}`;
        const t = result.testMetrics === null ? "" : `; test ${formatMetrics(result.testMetrics, 3)}`;
        ctx.stderr.write(`compare: ${String(run.pooling)} seed ${run.seed}: ${result.trainSeconds.toFixed(1)} s, best epoch ${result.bestEpoch};${v}${t}\n`);
      }
      end(run);
    },
    onRunFailed(run: CompareRun, error: Error) {
      ctx.stderr.write(`compare: ${String(run.pooling)} seed ${run.seed} failed: ${error.message}\n`);
      end(run);
    },
  };
  return { finish: () => bar?.finish(), hooks };
}

export const compareCommand: Command = {
  name: "compare",
  summary: "train several poolings with the same budget and compare them (table + chart)",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("compare", argv, {
      ...dataFlags, ...budgetFlags, ...fineTuneFlags,
      test: { type: "string" }, poolings: { type: "string" }, seeds: { type: "string" }, jobs: { type: "string" },
      "output-dir": { type: "string" }, "save-heads": { type: "string" }, force: { type: "boolean" },
    });
    const outDir = requirePathFlag("compare", values, "output-dir", ctx.cwd);
    const force = values["force"] === true;
    // refuse before the long work; a folder that does not exist yet is created at the end
    if (existsSync(outDir)) for (const f of OUTPUTS) assertWritable(join(outDir, f), force);
    const headsFlag = stringFlag(values, "save-heads");
    const headsDir = headsFlag === undefined ? undefined : resolve(ctx.cwd, headsFlag);
    if (headsDir !== undefined) assertHeadCollectionWritable(headsDir, force);
    const task = taskFlag("compare", values);
    const budget = readBudget("compare", values, task);
    const firstSeed = seedFlag("compare", stringFlag(values, "seed"), 0);
    const seeds = Array.from({ length: positiveIntFlag("compare", "seeds", stringFlag(values, "seeds"), 1) }, (_, s) => firstSeed + s);
    const jobs = positiveIntFlag("compare", "jobs", stringFlag(values, "jobs"), Math.min(2, availableParallelism()));
    const poolings = parsePoolings(requireFlag("compare", "poolings", stringFlag(values, "poolings")));

    const { train, valid } = await readTrainValid("compare", values, ctx, task, firstSeed);
    const testPath = stringFlag(values, "test");
    const test = testPath === undefined ? null : await readLabelledFlag(testPath, ctx, { task, ...fieldFlags(values), split: "test" });
    const model = await loadModelFlag(values, ctx, "compare");
    const maxLength = maxLengthFlag("compare", values, model, DEFAULT_TRAINING.maxLength);
    const fine = readFineTuneFlags("compare", values, model.config.numHiddenLayers);
    const stop = new StopFlag();

    await withInterrupt(stop, ctx, async () => {
      // --fine-tune: every run fine-tunes its own copy of the encoder, one at a time on this thread
      const modelDir = values["model"] === undefined ? defaultModelDir() : resolve(ctx.cwd, String(values["model"]));
      const tuned = fine === null ? null : await compareFineTuneRunner(model, modelDir, fine, maxLength, stop);
      const runner = tuned?.runner ?? createJobRunner(jobs, stop);
      const stepsPerRun = Math.ceil(Math.ceil(train.texts.length / budget.options.batchSize!) / (fine?.gradAccum ?? 1)) * budget.options.epochs!;
      const display = runDisplay(ctx, poolings.length * seeds.length * stepsPerRun, stepsPerRun);
      let outcome: Awaited<ReturnType<typeof comparePoolers>>;
      try {
        outcome = await comparePoolers(model, { train, valid, test }, {
          task, poolings, seeds, head: budget.head, options: budget.options, maxLength, runner,
          encode: (split, data, plan) => (tuned?.capture(split, data), encodeWithProgress(model, data, maxLength, plan, split, ctx, stop)),
          settings: { model: modelRecord(values, ctx), ...(fine === null ? {} : { ...fine, scope: undefined }) },
          shouldStop: () => stop.requested,
          ...display.hooks,
        });
      } finally {
        display.finish();
        await runner.close();
      }
      const files = compareFiles(outcome.report, outcome.failed);
      await mkdir(outDir, { recursive: true });
      for (const name of ["compare.svg", "compare.json", "compare.md"] as const) await writeFileAtomic(join(outDir, name), files[name], force);
      ctx.stdout.write(compareMarkdown(outcome.report));
      ctx.stderr.write(`compare: wrote ${OUTPUTS.map((f) => join(outDir, f)).join(", ")}\n`);
      if (headsDir === undefined) return;
      const settings = { task, labels: outcome.labels, head: budget.head, encoder: model.dims, model: modelRecord(values, ctx), maxLength, ...fieldFlags(values) };
      const heads = compareHeadFolders(outcome.runs, settings, outcome.report.metric, poolings);
      await writeHeadCollection(headsDir, heads, force);
      ctx.stderr.write(`compare: wrote ${heads.folders.size} heads to ${headsDir}; the best on validation ${outcome.report.metric} is ${heads.index.best}\n`);
    });
  },
};
