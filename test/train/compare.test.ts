// The comparison core: one job (seeded, repeatable, its weights under pooler.* / head.*), the
// summary over seeds with the baseline, the Markdown table, the SVG chart, the encoder cache
// (one pass, rows back in text order, the smallest cache that fits each pooler), and comparePoolers.
import { beforeAll, describe, expect, it } from "vitest";
import { barChartSvg } from "../../src/train/chart.js";
import { comparePoolers } from "../../src/train/compare.js";
import { compareFiles, compareMarkdown, summarizeCompare } from "../../src/train/compare-report.js";
import { inlineJobRunner, jobBackend, runPoolerJob, type PoolerJob } from "../../src/train/job.js";
import { wasmBackendSupported } from "../../src/tensor/wasm-backend.js";
import { meanStd } from "../../src/train/metrics.js";
import { encodeToCaches, pickCache, planCacheReads, selectCacheLayers } from "../../src/train/encode-cache.js";
import { createPooler } from "../../src/pooling/index.js";
import type { TrainData } from "../../src/train/data.js";
import { LabelEncoder } from "../../src/train/labels.js";
import { loadModel } from "../../src/io/load-model.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { expectClose } from "../helpers.js";
import { seaLandExamples, TINY } from "../cli/training-helpers.js";

let model: EncoderModel;
let train: TrainData;
let valid: TrainData;
const dims = { numLayers: 2, hiddenSize: 16 };

beforeAll(async () => {
  model = await loadModel(TINY);
  const plan = planCacheReads([createPooler("attention", dims).reads, createPooler("lstm", dims).reads]);
  const split = async (n: number, seed: number): Promise<TrainData> => {
    const rows = seaLandExamples(n, seed);
    const [features] = await encodeToCaches(model, model.tokenize(rows.map((r) => r.text), { maxLength: 24 }), plan);
    return { features: features!, labels: LabelEncoder.fit("classification", ["land", "sea"]).encode(rows.map((r) => r.label), "split") };
  };
  train = await split(24, 1);
  valid = await split(8, 2);
});

describe("encodeToCaches", () => {
  it("keeps rows in text order whatever the length batching: the cached last layer's mean is embed's mean", async () => {
    const texts = ["a boat", "the lighthouse keeper wrote the names of the boats and the flags", "Hi", "the sea was rough that night"];
    const [cache] = await encodeToCaches(model, model.tokenize(texts), [{ layers: [2], firstTokenOnly: false }], { batchSize: 3 });
    const { vectors } = await model.embed(texts, { pooling: "mean", batchSize: 3 });
    texts.forEach((_, i) => {
      const e = cache!.examples[i]!;
      const mean = new Float32Array(16);
      for (let t = 0; t < e.length; t++) for (let h = 0; h < 16; h++) mean[h]! += e.states[0]![t * 16 + h]! / e.length;
      // float32 sums in another order: 1e-6
      expectClose(mean, vectors[i]!, 1e-6, `text ${i}`);
    });
  });

  it("plans one all-token and one first-token cache and hands each pooler the smaller one that fits", () => {
    const reads = ["mean", "lstm", "weighted-layer", { type: "concat", layers: [-1, -2] }].map((p) => createPooler(p, dims).reads);
    const plan = planCacheReads(reads);
    expect(plan).toEqual([{ layers: [2], firstTokenOnly: false }, { layers: [0, 1, 2], firstTokenOnly: true }]);
    const caches = plan.map((r) => ({ dims, layers: r.layers, firstTokenOnly: r.firstTokenOnly, examples: [] }));
    expect(pickCache(caches, createPooler("lstm", dims).reads, "lstm").firstTokenOnly).toBe(true);
    expect(pickCache(caches, createPooler("max", dims).reads, "max").firstTokenOnly).toBe(false);
    expect(() => pickCache([caches[1]!], createPooler("max", dims).reads, "max")).toThrow(/max: no feature cache holds layers \[2\]/);
  });

  it("selectCacheLayers keeps just the layers asked for, sharing the arrays", () => {
    const full = train.features;
    const only = selectCacheLayers(full, { layers: [2], firstTokenOnly: false });
    expect(only.layers).toEqual([2]);
    expect(only.examples[3]!.states[0]).toBe(full.examples[3]!.states[full.layers.indexOf(2)]);
    expect(() => selectCacheLayers(only, { layers: [1], firstTokenOnly: true })).toThrow(/layer 1 is not in the cache/);
  });
});

describe("runPoolerJob", () => {
  const job = (seed: number): PoolerJob => ({
    pooling: "attention", dims, head: { kind: "linear", dropout: 0.1 }, seed, train, valid, test: valid,
    options: { epochs: 2, batchSize: 8, lr: 1e-2 },
  });

  it("repeats exactly with the same seed, differs with another, and names weights as PyTorch would load them", () => {
    const a = runPoolerJob(job(3));
    const b = runPoolerJob(job(3));
    const c = runPoolerJob(job(4));
    expect([...a.state.keys()].sort()).toEqual(["head.bias", "head.weight", "pooler.attention.0.bias", "pooler.attention.0.weight", "pooler.attention.2.bias", "pooler.attention.2.weight"]);
    for (const [name, t] of a.state) expect(t.data).toEqual(b.state.get(name)!.data);
    expect(a.state.get("head.weight")!.data).not.toEqual(c.state.get("head.weight")!.data);
    expect(a.poolerParameters).toBe(16 * 512 + 512 + 512 + 1);
    expect(a.headParameters).toBe(2 * 16 + 2);
    expect(a.history).toHaveLength(2);
    expect(a.validMetrics).toEqual(a.testMetrics);
  });

  it("runs on the backend the job names (inline, as a worker thread does), within 1e-4 of the pure-TS path and repeatably", async () => {
    const reference = runPoolerJob(job(3));
    const runner = inlineJobRunner();
    // attention.2.bias has a zero gradient up to rounding, which AdamW turns into steps of up to lr each
    // (test/train/step.test.ts): 2 epochs × 3 steps × lr, either way
    const biasDrift = 2 * 6 * 1e-2;
    for (const backend of [{ name: "js", threads: 1 }, { name: "wasm", threads: 1 }, { name: "wasm", threads: 2 }] as const) {
      if (backend.name === "wasm" && !wasmBackendSupported()) continue;
      const [first, second] = [await runner.run({ ...job(3), backend }), await runner.run({ ...job(3), backend })];
      for (const [name, t] of reference.state) {
        expectClose(first.state.get(name)!.data, t.data, name === "pooler.attention.2.bias" ? biasDrift : 1e-4, `${backend.name}×${backend.threads} ${name}`);
        expect(second.state.get(name)!.data, `${backend.name}×${backend.threads} ${name} again`).toEqual(first.state.get(name)!.data);
      }
    }
  });

  it("comparePoolers hands its jobs the model's backend", async () => {
    expect(jobBackend(model.encoder.backend)).toEqual({ name: model.encoder.backend.name === "wasm" ? "wasm" : "js", threads: model.encoder.backend.threads });
    const seen: PoolerJob[] = [];
    const runner = { parallel: 1, run: async (j: PoolerJob) => (seen.push(j), runPoolerJob(j)), close: async () => {} };
    const rows = seaLandExamples(12, 1);
    const split = { source: "rows", texts: rows.map((r) => r.text), labels: rows.map((r) => r.label), lines: rows.map((_, i) => i + 1) };
    await comparePoolers(model, { train: split, valid: split, test: null }, {
      task: "classification", poolings: ["mean"], seeds: [0], head: { kind: "linear", dropout: 0 }, options: { epochs: 1, batchSize: 8 }, maxLength: 24, runner,
    });
    expect(seen.map((j) => j.backend)).toEqual([jobBackend(model.encoder.backend)]);
  });
});

describe("summaries", () => {
  it("meanStd is the mean and the population standard deviation", () => {
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0 });
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 15);
  });

  it("groups runs by pooling in first-seen order, with the majority baseline on each split", () => {
    const jobs = [
      { pooling: "mean", seed: 0 }, { pooling: "attention", seed: 0 }, { pooling: "mean", seed: 1 }, { pooling: "attention", seed: 1 },
    ].map((r) => ({ ...r, result: runPoolerJob({ pooling: r.pooling, dims, head: { kind: "linear", dropout: 0 }, seed: r.seed, train, valid, test: null, options: { epochs: 1, batchSize: 8 } }) }));
    const report = summarizeCompare("classification", "accuracy", jobs, { train, valid, test: null });
    expect(report.rows.map((r) => r.pooling)).toEqual(["mean", "attention"]);
    const accs = [jobs[1]!.result.validMetrics!["accuracy"]!, jobs[3]!.result.validMetrics!["accuracy"]!];
    expect(report.rows[1]!.valid).toEqual(meanStd(accs));
    expect(report.rows[0]!.test).toBeNull();
    // balanced sea/land labels: the majority class is right half of the time
    expect(report.baseline.valid).toBe(0.5);
    expect(report.baseline.test).toBeNull();
    const md = compareMarkdown(report);
    expect(md.split("\n")[0]).toBe("| pooling | D | params (pooler + head) | valid accuracy | train time |");
    expect(md).toMatch(/\| `attention` \| 16 \| 9,217 \+ 34 \| \d\.\d{3} ± \d\.\d{3} \| [\d.]+ s \|/);
    expect(md).toContain("| majority baseline |  | 0 | 0.500 |  |");
    expect(md).toContain("Mean ± std (population) over 2 seeds.");
  });
});

describe("barChartSvg", () => {
  const svg = barChartSvg(
    [{ label: "mean", value: 0.8, std: 0.05 }, { label: "a<b & \"c\"", value: 0.6 }, { label: "broken", value: NaN }],
    { title: "Test <F1>", axisLabel: "test macroF1", baseline: { label: "majority", value: 0.4 } },
  );

  it("draws one bar per finite value, whiskers for a std, the baseline dashed, and escapes text", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/fill="#4C78A8"/g)).toHaveLength(2);
    expect(svg).toContain("0.800 ± 0.050");
    expect(svg).toContain(">a&lt;b &amp; &quot;c&quot;</text>");
    expect(svg).toContain("Test &lt;F1&gt;");
    expect(svg).toContain('stroke-dasharray="5,4"');
    expect(svg).toContain(">majority 0.400</text>");
    expect(svg).toContain(">n/a</text>");
    expect(svg).not.toMatch(/NaN/);
  });

  it("places bars on the [0, 1] axis: a value of 0.8 spans 80% of the plot width", () => {
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="16" fill="#4C78A8"\/>/g)].map((m) => Number(m[1]));
    expect(widths[0]! / widths[1]!).toBeCloseTo(0.8 / 0.6, 2);
    expect(widths[0]).toBeCloseTo(0.8 * 420, 0);
  });
});

describe("comparePoolers", () => {
  it("encodes once, trains each pooling per seed in-process, and reports rows in the order listed, with the settings", async () => {
    const rows = (n: number, seed: number) => {
      const examples = seaLandExamples(n, seed);
      return { source: `split${seed}`, texts: examples.map((e) => e.text), labels: examples.map((e) => e.label), lines: examples.map((_, i) => i + 1) };
    };
    const encoded: string[] = [];
    const done: string[] = [];
    const { report, failed } = await comparePoolers(model, { train: rows(24, 1), valid: rows(8, 2), test: null }, {
      task: "classification", poolings: ["mean", "lstm"], seeds: [0, 1], head: { kind: "linear", dropout: 0 },
      options: { epochs: 1, batchSize: 8, lr: 1e-2 }, maxLength: 24, settings: { model: "tiny" },
      encode: async (split, data, plan) => {
        encoded.push(split);
        return encodeToCaches(model, model.tokenize(data.texts, { maxLength: 24 }), plan);
      },
      onRunDone: (run, result) => done.push(`${String(run.pooling)}#${run.seed}:${result.bestEpoch}`),
    });
    expect(failed).toEqual([]);
    expect(encoded).toEqual(["training", "validation"]);
    // the costliest pooling (lstm) runs first, but the table keeps the order given
    expect(done.map((d) => d.split(":")[0])).toEqual(["lstm#0", "lstm#1", "mean#0", "mean#1"]);
    expect(report.rows.map((r) => [r.pooling, r.runs.map((run) => run.seed)])).toEqual([["mean", [0, 1]], ["lstm", [0, 1]]]);
    expect(Object.keys(report.settings)).toEqual([
      "model", "data", "examples", "maxLength", "seeds", "epochs", "batchSize", "lr", "head", "dropout", "jobs", "trainingWallSeconds", "failures",
    ]);
    expect(report.settings["data"]).toEqual({ train: "split1", valid: "split2", test: null });
    expect(report.settings["examples"]).toEqual({ train: 24, valid: 8, test: null });
    const files = compareFiles(report, failed);
    expect(files["compare.md"]).toContain(compareMarkdown(report));
    expect(JSON.parse(files["compare.json"])).toEqual(JSON.parse(JSON.stringify(report)));
    // a setting left undefined (compare --fine-tune passes scope: undefined) is absent from both files
    const withUndefined = compareFiles({ ...report, settings: { ...report.settings, scope: undefined } }, failed);
    expect(withUndefined["compare.md"]).not.toContain("scope");
    expect(withUndefined["compare.md"]).toContain("- model: tiny\n");
  });
});
