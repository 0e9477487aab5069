// The report of a comparison: one row per pooling strategy with its metric as mean ± std over seeds,
// next to the majority-class baseline; as a Markdown table, and as the three files `compare` writes
// (compare.md with the table and settings, compare.json, compare.svg with the bar chart).
import type { PoolingSpec } from "../pooling/registry.js";
import { barChartSvg } from "./chart.js";
import type { TrainData } from "./data.js";
import type { PoolerJobResult } from "./job.js";
import { toOriginalUnits } from "./labels.js";
import { majorityBaseline, meanStd, type MeanStd, type Metrics } from "./metrics.js";
import type { Task } from "./task.js";

/** One pooling strategy over all seeds. */
export interface CompareRow {
  /** The name the user listed (or the spec's JSON). */
  pooling: string;
  spec: PoolingSpec;
  outputSize: number;
  poolerParameters: number;
  headParameters: number;
  valid: MeanStd | null;
  test: MeanStd | null;
  trainSeconds: MeanStd;
  /** Per-seed results without the weights. */
  runs: { seed: number; bestEpoch: number; trainSeconds: number; validMetrics: Metrics | null; testMetrics: Metrics | null }[];
}

export interface CompareReport {
  task: Task;
  /** The metric in the table (the selection metric of training). */
  metric: string;
  rows: CompareRow[];
  /** The majority-class (or mean) predictor fitted on the training labels. */
  baseline: { valid: number | null; test: number | null };
  /** What every run shared, for the record (epochs, learning rate, sizes of the splits, …). */
  settings: Record<string, unknown>;
}

/** A run that failed (e.g. a diverging loss): reported, not fatal. */
export interface FailedRun {
  pooling: string;
  seed: number;
  error: string;
}

/** The label of a pooling in tables: its name as given, or its JSON spec. */
export function poolingLabel(pooling: string | object): string {
  return typeof pooling === "string" ? pooling : JSON.stringify(pooling);
}

/**
 * Summarises finished runs (several seeds per pooling, in any order) into one row per pooling, in the
 * order the poolings first appear, with the baseline of `train`'s labels on `valid` and `test`.
 */
export function summarizeCompare(
  task: Task,
  metric: string,
  runs: readonly { pooling: string | object; seed: number; result: PoolerJobResult }[],
  splits: { train: TrainData; valid: TrainData | null; test: TrainData | null },
  settings: Record<string, unknown> = {},
): CompareReport {
  const groups = new Map<string, typeof runs[number][]>();
  for (const run of runs) {
    const label = poolingLabel(run.pooling);
    groups.set(label, [...(groups.get(label) ?? []), run]);
  }
  const pick = (m: Metrics | null): number | null => (m === null ? null : (m[metric] ?? null));
  const stats = (values: (number | null)[]): MeanStd | null =>
    values.some((v) => v === null) ? null : meanStd(values as number[]);
  const rows = [...groups].map(([label, group]): CompareRow => {
    const first = group[0]!.result;
    return {
      pooling: label,
      spec: first.spec,
      outputSize: first.outputSize,
      poolerParameters: first.poolerParameters,
      headParameters: first.headParameters,
      valid: stats(group.map((g) => pick(g.result.validMetrics))),
      test: stats(group.map((g) => pick(g.result.testMetrics))),
      trainSeconds: meanStd(group.map((g) => g.result.trainSeconds)),
      runs: group.map((g) => ({
        seed: g.seed, bestEpoch: g.result.bestEpoch, trainSeconds: g.result.trainSeconds,
        validMetrics: g.result.validMetrics, testMetrics: g.result.testMetrics,
      })),
    };
  });
  const labels = splits.train.labels;
  // the baseline's metrics in the targets' own units, as evaluateSplit reports the poolers'
  const units = (values: Float64Array): ArrayLike<number> => (labels.targetScale === null ? values : toOriginalUnits(values, labels.targetScale));
  const base = (split: TrainData | null): number | null =>
    split === null ? null : (majorityBaseline(task, units(labels.values), units(split.labels.values), labels.numOutputs)[metric] ?? null);
  return { task, metric, rows, baseline: { valid: base(splits.valid), test: base(splits.test) }, settings };
}

function formatStat(s: MeanStd | null, seeds: number, digits = 3): string {
  if (s === null) return "–";
  if (Number.isNaN(s.mean)) return "NaN";
  return seeds > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

function formatSeconds(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/**
 * The report as a Markdown table: pooling | D | params (pooler + head) | valid and test metric
 * (mean ± std over seeds) | training time; the baseline as the last row.
 */
export function compareMarkdown(report: CompareReport): string {
  const seeds = Math.max(...report.rows.map((r) => r.runs.length));
  const hasValid = report.rows.some((r) => r.valid !== null);
  const hasTest = report.rows.some((r) => r.test !== null);
  const m = report.metric;
  const header = ["pooling", "D", "params (pooler + head)", ...(hasValid ? [`valid ${m}`] : []), ...(hasTest ? [`test ${m}`] : []), "train time"];
  const align = ["---", "---:", "---:", ...(hasValid ? ["---:"] : []), ...(hasTest ? ["---:"] : []), "---:"];
  const lines = [`| ${header.join(" | ")} |`, `| ${align.join(" | ")} |`];
  for (const r of report.rows) {
    const cells = [
      `\`${r.pooling}\``,
      String(r.outputSize),
      `${r.poolerParameters.toLocaleString("en-US")} + ${r.headParameters.toLocaleString("en-US")}`,
      ...(hasValid ? [formatStat(r.valid, seeds)] : []),
      ...(hasTest ? [formatStat(r.test, seeds)] : []),
      formatSeconds(r.trainSeconds.mean),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  const b = report.baseline;
  const baseCells = [
    "majority baseline", "", "0",
    ...(hasValid ? [b.valid === null ? "–" : b.valid.toFixed(3)] : []),
    ...(hasTest ? [b.test === null ? "–" : b.test.toFixed(3)] : []),
    "",
  ];
  lines.push(`| ${baseCells.join(" | ")} |`);
  const note = seeds > 1 ? `Mean ± std (population) over ${seeds} seeds.` : "One seed.";
  return `${lines.join("\n")}\n\n${note} The metric is ${m} (${report.task}); the baseline predicts the training split's ${
    report.task === "regression" ? "mean" : "majority class"
  }.\n`;
}

/**
 * The three files of a comparison: compare.svg (a bar per pooling of the test metric, or the validation
 * metric without a test split, with the baseline dashed), compare.json (the report) and compare.md (the
 * table, the failed runs, the shared settings and the chart), for a report as comparePoolers makes it
 * (its settings name the data and the seeds).
 */
export function compareFiles(report: CompareReport, failed: readonly FailedRun[]): { "compare.svg": string; "compare.json": string; "compare.md": string } {
  const useTest = report.rows.some((r) => r.test !== null);
  const split = useTest ? "test" : "valid";
  const bars = report.rows.map((r) => {
    const s = useTest ? r.test : r.valid;
    return { label: r.pooling, value: s?.mean ?? NaN, std: s?.std ?? 0 };
  });
  const baseline = useTest ? report.baseline.test : report.baseline.valid;
  const settings = report.settings as { data: { train: string }; seeds: number[] };
  const many = settings.seeds.length > 1;
  const title = `${split} ${report.metric} by pooling (${settings.data.train}, ${settings.seeds.length} seed${many ? "s" : ""})`;
  const svg = barChartSvg(bars, {
    title,
    axisLabel: `${split} ${report.metric}${many ? " (mean ± std over seeds)" : ""}`,
    ...(baseline === null ? {} : { baseline: { label: "majority baseline", value: baseline } }),
  });
  const failures = failed.length === 0 ? "" : `\nFailed runs:\n${failed.map((f) => `- \`${f.pooling}\` seed ${f.seed}: ${f.error}`).join("\n")}\n`;
  const settingsList = Object.entries(report.settings)
    .filter(([key, value]) => key !== "failures" && value !== undefined) // as in compare.json, where undefined is absent
    .map(([key, value]) => `- ${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join("\n");
  const md = `# Pooling comparison\n\n${compareMarkdown(report)}${failures}\nSettings (shared by every run):\n\n${settingsList}\n\n![${title}](compare.svg)\n`;
  return { "compare.svg": svg, "compare.json": `${JSON.stringify(report, null, 2)}\n`, "compare.md": md };
}
