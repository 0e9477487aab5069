// `encoder-pooling predict` in-process on the tiny model: one JSON line per text in input order,
// predictions that agree with `evaluate`, every input form, and the output-file rules.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { predictCommand } from "../../src/cli/predict.js";
import { trainCommand } from "../../src/cli/train.js";
import { freshDir, runCommand, seaLandData, seaLandExamples, TINY, writeJsonl } from "./training-helpers.js";

let data: ReturnType<typeof seaLandData>;
let headDir: string;
beforeAll(async () => {
  data = seaLandData();
  headDir = join(data.dir, "head");
  const r = await runCommand(trainCommand, [
    "--model", TINY, "--task", "classification", "--pooling", "max", "--data", data.train, "--valid", data.valid,
    "--epochs", "10", "--lr", "1e-2", "--batch-size", "8", "--max-length", "24", "--output", headDir,
  ], data.dir);
  expect(r.code, r.stderr).toBe(0);
});

function readPredictions(path: string): { text: string; label: string; probabilities: Record<string, number> }[] {
  return readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
}

describe("predict", () => {
  it("writes one prediction per text in input order, agreeing with evaluate's accuracy", async () => {
    const out = join(data.dir, "pred.jsonl");
    const r = await runCommand(predictCommand, ["--head", headDir, "--input", data.test, "--output", out], data.dir);
    expect(r.code, r.stderr).toBe(0);
    const predictions = readPredictions(out);
    const truth = seaLandExamples(16, 3);
    expect(predictions.map((p) => p.text)).toEqual(truth.map((t) => t.text));
    for (const p of predictions) {
      expect(Object.keys(p.probabilities).sort()).toEqual(["land", "sea"]);
      const sum = p.probabilities["land"]! + p.probabilities["sea"]!;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-9);
      expect(p.label).toBe(p.probabilities["sea"]! > p.probabilities["land"]! ? "sea" : "land");
    }
    const hits = predictions.filter((p, i) => p.label === truth[i]!.label).length;
    const evaluated = await runCommand(evaluateCommand, ["--head", headDir, "--data", data.test, "--json"], data.dir);
    expect(JSON.parse(evaluated.stdout).accuracy).toBeCloseTo(hits / truth.length, 12);
  });

  it("takes --text and .txt input without labels", async () => {
    const dir = freshDir();
    const out = join(dir, "p.jsonl");
    const r = await runCommand(predictCommand, ["--head", headDir, "--text", "the ferry and the wind", "--text", "the children", "--output", out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readPredictions(out).map((p) => p.text)).toEqual(["the ferry and the wind", "the children"]);
  });

  it("refuses an existing output without --force and a non-.jsonl output", async () => {
    const out = join(data.dir, "exists.jsonl");
    writeJsonl(out, [{ keep: true }]);
    const r = await runCommand(predictCommand, ["--head", headDir, "--input", data.test, "--output", out], data.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(out, "utf8")).toBe('{"keep":true}\n');
    const csv = await runCommand(predictCommand, ["--head", headDir, "--input", data.test, "--output", "p.csv"], data.dir);
    expect(csv.code).toBe(2);
    expect(existsSync(join(data.dir, "p.csv"))).toBe(false);
  });

  it("decodes multi-label heads into label lists", async () => {
    const dir = freshDir();
    const rows = Array.from({ length: 24 }, (_, i) => ({ text: ["the sea", "the village", "the sea and the village"][i % 3], label: [["water"], ["land"], ["water", "land"]][i % 3] }));
    writeJsonl(join(dir, "m.jsonl"), rows);
    const t = await runCommand(trainCommand, ["--model", TINY, "--task", "multilabel", "--pooling", "mean", "--data", "m.jsonl", "--valid-split", "0.25", "--epochs", "1", "--output", "h"], dir);
    expect(t.code, t.stderr).toBe(0);
    const r = await runCommand(predictCommand, ["--head", "h", "--input", "m.jsonl", "--output", "p.jsonl"], dir);
    expect(r.code, r.stderr).toBe(0);
    const first = JSON.parse(readFileSync(join(dir, "p.jsonl"), "utf8").split("\n")[0]!);
    expect(Array.isArray(first.labels)).toBe(true);
    expect(Object.keys(first.probabilities).sort()).toEqual(["land", "water"]);
  });
});
