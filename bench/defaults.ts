// How the training defaults were chosen (docs/training.md, "Defaults"): every trainable pooler, trained
// on a real corpus with the shipped model, at each learning rate of a grid, with the default budget
// otherwise. The encoder runs once per split; the runs share the cores through worker threads.
// Prints one Markdown table (train loss of the first and last epoch, best epoch, validation and test
// metrics next to the majority baseline) and writes every run as JSON.
//   npm run build && node dist/datasets/make-splits.js brown-2
//   node dist/bench/defaults.js --data data/brown-2 --lrs 1e-3,3e-3,1e-2,3e-2 --out docs/results/defaults/brown-2.json
//   node dist/bench/defaults.js --from docs/results/defaults/brown-2.json     (the table of a saved run)
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  comparePoolers, createJobRunner, DEFAULT_TRAINING, encodeToCaches, loadModel, readLabelled, StopFlag, tokenizeTexts,
  type FeatureCache, type LabelledData, type PoolerJobResult, type Task,
} from "../src/node.js";

interface Row {
  pooling: string;
  lr: number;
  seed: number;
  firstLoss: number;
  lastLoss: number;
  bestEpoch: number;
  epochsRun: number;
  valid: Record<string, number> | null;
  test: Record<string, number> | null;
  seconds: number;
}

/** What a run writes with --out. */
interface Saved {
  data: string;
  task: Task;
  epochs: number;
  poolings: string[];
  lrs: number[];
  seeds: number[];
  baseline: { valid: number | null; test: number | null };
  rows: Row[];
}

/** One line per (pooling, learning rate), means over seeds, next to the majority baseline. */
function table({ task, poolings, lrs, baseline, rows }: Saved): string {
  const metric = task === "classification" ? "macroF1" : task === "regression" ? "rmse" : "microF1";
  const f = (x: number | undefined, digits = 3): string => (x === undefined ? "" : Number.isInteger(x) ? String(x) : x.toFixed(digits));
  const accuracy = task === "classification";
  const lines = [
    `| pooling | lr | train loss, epoch 1 → last | best epoch | valid ${metric} | test ${metric} |${accuracy ? " test accuracy |" : ""}`,
    `| --- | ---: | ---: | ---: | ---: | ---: |${accuracy ? " ---: |" : ""}`,
  ];
  for (const pooling of poolings) {
    for (const lr of lrs) {
      const runs = rows.filter((r) => r.pooling === pooling && r.lr === lr);
      const mean = (pick: (r: Row) => number | undefined): number | undefined =>
        runs.length === 0 ? undefined : runs.reduce((s, r) => s + (pick(r) ?? NaN), 0) / runs.length;
      const acc = accuracy ? ` ${f(mean((r) => r.test?.["accuracy"]))} |` : "";
      lines.push(
        `| \`${pooling}\` | ${lr} | ${f(mean((r) => r.firstLoss))} → ${f(mean((r) => r.lastLoss))} | ${f(mean((r) => r.bestEpoch), 1)} of ` +
          `${f(mean((r) => r.epochsRun), 1)} | ${f(mean((r) => r.valid?.[metric]))} | ${f(mean((r) => r.test?.[metric]))} |${acc}`,
      );
    }
  }
  lines.push(`| majority baseline | | | | ${f(baseline.valid ?? undefined)} | ${f(baseline.test ?? undefined)} |${accuracy ? " |" : ""}`);
  return lines.join("\n");
}

/** Trains every pooling at every learning rate on `dataDir`'s splits, encoding each split once. */
async function measure(dataDir: string, task: Task, poolings: string[], lrs: number[], epochs: number, seeds: number[], jobs: number): Promise<Saved> {
  const model = await loadModel();
  const fields = { task, labelField: "label", textField: "text" };
  const read = (split: string): Promise<LabelledData> => readLabelled(join(dataDir, `${split}.jsonl`), { ...fields, split });
  const data = { train: await read("train"), valid: await read("valid"), test: await read("test") };
  const encoded = new Map<string, FeatureCache[]>();
  const encode = async (split: string, d: LabelledData, plan: Parameters<typeof encodeToCaches>[2]): Promise<FeatureCache[]> => {
    if (!encoded.has(split)) {
      const start = Date.now();
      encoded.set(split, await encodeToCaches(model, tokenizeTexts(model, d.texts, DEFAULT_TRAINING.maxLength, d.source).encodings, plan));
      console.error(`encoded ${split}: ${d.texts.length} texts in ${((Date.now() - start) / 1000).toFixed(0)} s`);
    }
    return encoded.get(split)!;
  };
  const rows: Row[] = [];
  let baseline: Saved["baseline"] = { valid: null, test: null };
  const runner = createJobRunner(jobs, new StopFlag());
  try {
    for (const lr of lrs) {
      const { report } = await comparePoolers(model, data, {
        task, poolings, seeds, head: { kind: "linear", dropout: 0 }, maxLength: DEFAULT_TRAINING.maxLength, runner, encode,
        options: { epochs, lr, batchSize: DEFAULT_TRAINING.batchSize, weightDecay: DEFAULT_TRAINING.weightDecay, patience: DEFAULT_TRAINING.patience },
        onRunDone: (run, r: PoolerJobResult) => {
          const row: Row = {
            pooling: String(run.pooling), lr, seed: run.seed, firstLoss: r.history[0]!.trainLoss, lastLoss: r.history.at(-1)!.trainLoss,
            bestEpoch: r.bestEpoch, epochsRun: r.history.length, valid: r.validMetrics, test: r.testMetrics, seconds: r.trainSeconds,
          };
          rows.push(row);
          console.error(`${row.pooling} lr ${lr} seed ${row.seed}: loss ${row.firstLoss.toFixed(3)} → ${row.lastLoss.toFixed(3)}, test ${JSON.stringify(row.test)} (${row.seconds.toFixed(0)} s)`);
        },
      });
      baseline = report.baseline;
    }
  } finally {
    await runner.close();
  }
  return { data: dataDir, task, epochs, poolings, lrs, seeds, baseline, rows };
}

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    task: { type: "string", default: "classification" },
    poolings: { type: "string", default: "mean,weighted-layer,gem,layer-attention,lstm,attention" },
    lrs: { type: "string", default: "1e-3,3e-3,1e-2,3e-2" },
    epochs: { type: "string" },
    seeds: { type: "string", default: "1" },
    jobs: { type: "string", default: "2" },
    out: { type: "string" },
    from: { type: "string" },
  },
});
if (values.from !== undefined) {
  console.log(table(JSON.parse(readFileSync(values.from, "utf8")) as Saved));
} else {
  if (values.data === undefined) throw new Error("give --data DIR (with train.jsonl, valid.jsonl, test.jsonl), or --from RUN.json");
  const saved = await measure(
    values.data, values.task as Task, values.poolings.split(","), values.lrs.split(",").map(Number),
    values.epochs === undefined ? DEFAULT_TRAINING.epochs : Number(values.epochs),
    Array.from({ length: Number(values.seeds) }, (_, i) => i), Number(values.jobs),
  );
  console.log(table(saved));
  if (values.out !== undefined) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(saved, null, 2)}\n`);
  }
}
