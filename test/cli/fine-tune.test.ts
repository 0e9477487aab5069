// `train --fine-tune`: the head folder holds the fine-tuned encoder as a model folder (only the layers
// that trained changed), pooling.json points at it, and `evaluate` uses it; the flags' rules.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareCommand } from "../../src/cli/compare.js";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { trainCommand } from "../../src/cli/train.js";
import { parseSafetensors, toFloat32Array } from "../../src/encoder/safetensors.js";
import { runCommand, seaLandData, TINY } from "./training-helpers.js";

const BASE = ["--model", TINY, "--task", "classification", "--pooling", "mean", "--epochs", "2", "--max-length", "24", "--batch-size", "8"];

function weights(path: string): Map<string, Float32Array> {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  return new Map([...tensors].map(([k, t]) => [k, toFloat32Array(t, path, k)]));
}

describe("train --fine-tune", () => {
  it("last:1 writes the encoder beside the head, changes only the last layer, and evaluate runs on it", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const r = await runCommand(trainCommand, [...BASE, "--fine-tune", "last:1", "--encoder-lr", "1e-3", "--layer-lr-decay", "0.9", "--grad-accum", "2",
      "--data", d.train, "--valid", d.valid, "--output", out], d.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["config.json", "head.safetensors", "merges.txt", "model.safetensors", "pooling.json", "training.json", "vocab.json"]);
    expect(JSON.parse(readFileSync(join(out, "pooling.json"), "utf8")).model).toBe(".");
    const training = JSON.parse(readFileSync(join(out, "training.json"), "utf8"));
    expect(training.options).toMatchObject({ fineTune: "last:1", encoderLr: 1e-3, layerLrDecay: 0.9, gradAccum: 2 });
    expect(training.history).toHaveLength(2);
    const before = weights(join(TINY, "model.safetensors"));
    const after = weights(join(out, "model.safetensors"));
    expect([...after.keys()].sort()).toEqual([...before.keys()].filter((k) => !k.startsWith("lm_head.")).map((k) => k.replace(/^roberta\./, "")).sort());
    for (const [name, values] of after) {
      const original = before.get(name) ?? before.get(`roberta.${name}`)!;
      // the top layer trains (its key bias has no gradient: only weight decay may move it); the rest is as loaded
      if (name === "encoder.layer.1.attention.self.key.bias") continue;
      expect(values.some((v, i) => v !== original[i]), name).toBe(name.startsWith("encoder.layer.1."));
    }
    const e = await runCommand(evaluateCommand, ["--head", out, "--data", d.valid, "--json"], d.dir);
    expect(e.code, e.stderr).toBe(0);
    const reported = JSON.parse(e.stdout);
    expect(reported.macroF1).toBeCloseTo(training.validMetrics.macroF1, 6);
  });

  it("compare --fine-tune all: one row per pooling, each run fine-tuned from the model's weights, scored on valid and test", async () => {
    const d = seaLandData();
    const out = join(d.dir, "results");
    const r = await runCommand(compareCommand, ["--model", TINY, "--task", "classification", "--epochs", "1", "--max-length", "24", "--batch-size", "16",
      "--fine-tune", "all", "--encoder-lr", "1e-3", "--data", d.train, "--valid", d.valid, "--test", d.test, "--poolings", "mean,attention", "--output-dir", out], d.dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "compare.json"), "utf8"));
    expect(report.rows.map((row: { pooling: string }) => row.pooling)).toEqual(["mean", "attention"]);
    expect(report.settings).toMatchObject({ fineTune: "all", encoderLr: 1e-3 });
    for (const row of report.rows) expect(row.test).not.toBeNull();
  });

  it("refuses the fine-tuning flags without --fine-tune, and a bad --fine-tune", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const a = await runCommand(trainCommand, [...BASE, "--encoder-lr", "1e-3", "--data", d.train, "--output", out], d.dir);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--encoder-lr needs --fine-tune all or last:N/);
    const b = await runCommand(trainCommand, [...BASE, "--fine-tune", "last:9", "--data", d.train, "--output", out], d.dir);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--fine-tune must be frozen, all or last:N with N in 1\.\.2/);
  });
});
