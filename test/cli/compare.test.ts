// `encoder-pooling compare` in-process on the tiny model and a tiny task: the table on stdout, the
// three files it writes (Markdown, JSON, SVG), seeds, the baseline, and its refusals.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareCommand } from "../../src/cli/compare.js";
import type { CompareReport } from "../../src/train/compare-report.js";
import { runCommand, seaLandData, TINY } from "./training-helpers.js";

const ARGS = ["--model", TINY, "--task", "classification", "--epochs", "3", "--lr", "1e-2", "--batch-size", "8", "--max-length", "24"];

describe("compare", () => {
  it("trains each pooling over the seeds and writes compare.md, compare.json and compare.svg", async () => {
    const d = seaLandData();
    const out = join(d.dir, "results");
    const r = await runCommand(compareCommand, [
      ...ARGS, "--data", d.train, "--valid", d.valid, "--test", d.test, "--poolings", "mean,lstm,weighted-layer,attention", "--seeds", "2", "--output-dir", out,
    ], d.dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as CompareReport;
    expect(report.metric).toBe("macroF1");
    expect(report.rows.map((row) => row.pooling)).toEqual(["mean", "lstm", "weighted-layer", "attention"]);
    for (const row of report.rows) {
      expect(row.runs.map((run) => run.seed)).toEqual([0, 1]);
      // each row's mean is the mean of its seeds' values, each an F1 in [0, 1]
      const valid = row.runs.map((run) => run.validMetrics!["macroF1"]!);
      expect(valid.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(row.valid!.mean).toBeCloseTo((valid[0]! + valid[1]!) / 2, 12);
      // the std over two seeds is half the distance between their values
      const [a, b] = row.runs.map((run) => run.testMetrics!["macroF1"]!);
      expect(row.test!.std).toBeCloseTo(Math.abs(a! - b!) / 2, 12);
    }
    expect(report.rows.find((row) => row.pooling === "lstm")!.poolerParameters).toBe(4 * 256 * (16 + 256) + 2 * 4 * 256);
    expect(report.rows.find((row) => row.pooling === "mean")!.poolerParameters).toBe(0);
    // balanced test classes: predicting the majority gives F1 2/3 for one class and 0 for the other
    expect(report.baseline.test).toBeCloseTo(1 / 3, 12);

    const md = readFileSync(join(out, "compare.md"), "utf8");
    expect(md).toContain("| pooling | D | params (pooler + head) | valid macroF1 | test macroF1 | train time |");
    expect(md).toMatch(/\| `lstm` \| 256 \| 280,576 \+ 514 \| \d\.\d{3} ± \d\.\d{3} \| \d\.\d{3} ± \d\.\d{3} \| [\d.]+ s \|/);
    expect(md).toContain("| majority baseline |  | 0 |");
    expect(md).toContain("![");
    expect(r.stdout).toContain("| `attention` | 16 |");

    const svg = readFileSync(join(out, "compare.svg"), "utf8");
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    for (const name of ["mean", "lstm", "weighted-layer", "attention"]) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toContain("stroke-dasharray");
    expect(svg).toContain("majority baseline 0.333");
  });

  it("refuses existing results without --force, unknown poolings, and a missing validation split", async () => {
    const d = seaLandData();
    const out = join(d.dir, "results");
    const args = [...ARGS, "--data", d.train, "--valid", d.valid, "--poolings", "cls", "--output-dir", out];
    expect((await runCommand(compareCommand, args, d.dir)).code).toBe(0);
    expect(existsSync(join(out, "compare.svg"))).toBe(true);
    const again = await runCommand(compareCommand, args, d.dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/compare\.md already exists; pass --force/);
    expect((await runCommand(compareCommand, [...args, "--force"], d.dir)).code).toBe(0);
    const unknown = await runCommand(compareCommand, [...ARGS, "--data", d.train, "--poolings", "mean,median", "--output-dir", out, "--force"], d.dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown pooling "median"/);
  });

  it("holds out --valid-split when no validation file is given (one row per pooling, no test column)", async () => {
    const d = seaLandData();
    const out = join(d.dir, "results");
    const r = await runCommand(compareCommand, [...ARGS, "--data", d.train, "--valid-split", "0.25", "--poolings", "mean,max", "--output-dir", out], d.dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as CompareReport;
    expect(report.rows.map((row) => row.test)).toEqual([null, null]);
    expect(r.stdout).not.toContain("test macroF1");
  });
});
