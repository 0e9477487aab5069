// One head format used everywhere from the command line: `embed --head DIR`, `embed --pooling
// DIR/pooling.json --params DIR/head.safetensors`, `predict`, and `compare --save-heads DIR`, which keeps
// every head it trained and names the best (so that `--head DIR` uses it).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareCommand } from "../../src/cli/compare.js";
import { embedCommand } from "../../src/cli/embed.js";
import { predictCommand } from "../../src/cli/predict.js";
import { trainCommand } from "../../src/cli/train.js";
import type { HeadsIndex } from "../../src/train/compare-heads.js";
import { expectClose } from "../helpers.js";
import { runCommand, seaLandData, TINY } from "./training-helpers.js";

const OUR_HEAD = join(import.meta.dirname, "..", "fixtures", "training", "our-head");
const expected = JSON.parse(readFileSync(join(OUR_HEAD, "expected.json"), "utf8")) as { texts: string[]; pooled: number[][]; classes: string[]; logits: number[][] };
const texts = expected.texts.flatMap((t) => ["--text", t]);

function readVectors(path: string): number[] {
  return readFileSync(path, "utf8").trimEnd().split("\n").flatMap((line) => (JSON.parse(line) as { embedding: number[] }).embedding);
}

describe("embed with a trained head", () => {
  it("--head DIR gives the head's trained pooler's vectors (PyTorch's, 1e-5)", async () => {
    const d = seaLandData();
    const r = await runCommand(embedCommand, ["--head", OUR_HEAD, "--model", TINY, ...texts, "--output", "v.jsonl"], d.dir);
    expect(r.code, r.stderr).toBe(0);
    expectClose(readVectors(join(d.dir, "v.jsonl")), expected.pooled.flat(), 1e-5, "embed --head");
  });

  it("--pooling DIR/pooling.json --params DIR/head.safetensors gives the same vectors (pooler.* found by prefix)", async () => {
    const d = seaLandData();
    const r = await runCommand(embedCommand, [
      "--model", TINY, "--pooling", join(OUR_HEAD, "pooling.json"), "--params", join(OUR_HEAD, "head.safetensors"), ...texts, "--output", "v.jsonl",
    ], d.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("untrained");
    expectClose(readVectors(join(d.dir, "v.jsonl")), expected.pooled.flat(), 1e-5, "embed --pooling pooling.json --params head.safetensors");
  });

  it("--head with --pooling is refused: a head brings its own pooling", async () => {
    const r = await runCommand(embedCommand, ["--head", OUR_HEAD, "--pooling", "mean", "--text", "a", "--output", "v.jsonl"], seaLandData().dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --head, or --pooling \(with --params\), not both/);
  });
});

describe("train → embed --head → predict, and compare --save-heads", () => {
  it("a head written by train is used by embed --head and predict", async () => {
    const d = seaLandData();
    const args = ["--model", TINY, "--task", "classification", "--epochs", "2", "--max-length", "24", "--data", d.train, "--valid", d.valid];
    expect((await runCommand(trainCommand, [...args, "--pooling", "attention", "--output", "head"], d.dir)).code).toBe(0);
    const e = await runCommand(embedCommand, ["--head", "head", "--input", d.test, "--output", "v.npy"], d.dir);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).toMatch(/embed: wrote 16 × 16/);
    const p = await runCommand(predictCommand, ["--head", "head", "--input", d.test, "--output", "p.jsonl"], d.dir);
    expect(p.code, p.stderr).toBe(0);
    expect(readFileSync(join(d.dir, "p.jsonl"), "utf8").trimEnd().split("\n")).toHaveLength(16);
  });

  it("compare --save-heads keeps every run's head, names the best on validation, and --head DIR uses it", async () => {
    const d = seaLandData();
    const r = await runCommand(compareCommand, [
      "--model", TINY, "--task", "classification", "--epochs", "2", "--lr", "1e-2", "--batch-size", "8", "--max-length", "24",
      "--data", d.train, "--valid", d.valid, "--poolings", "mean,attention", "--seeds", "2", "--output-dir", "results", "--save-heads", "heads",
    ], d.dir);
    expect(r.code, r.stderr).toBe(0);
    const heads = join(d.dir, "heads");
    expect(readdirSync(heads).sort()).toEqual(["attention-seed0", "attention-seed1", "heads.json", "mean-seed0", "mean-seed1"]);
    const index = JSON.parse(readFileSync(join(heads, "heads.json"), "utf8")) as HeadsIndex;
    expect(index.metric).toBe("macroF1");
    const scores = index.heads.map((h) => h.valid!["macroF1"]!);
    expect(index.heads.find((h) => h.name === index.best)!.valid!["macroF1"]).toBe(Math.max(...scores));
    expect(r.stderr).toContain(`the best on validation macroF1 is ${index.best}`);
    for (const h of index.heads) expect(existsSync(join(heads, h.name, "pooling.json"))).toBe(true);

    const viaIndex = await runCommand(embedCommand, ["--head", "heads", "--text", "the sea", "--output", "a.jsonl"], d.dir);
    expect(viaIndex.code, viaIndex.stderr).toBe(0);
    expect(viaIndex.stderr).toContain(`using the best on validation, ${index.best}`);
    await runCommand(embedCommand, ["--head", join("heads", index.best), "--text", "the sea", "--output", "b.jsonl"], d.dir);
    expect(readVectors(join(d.dir, "a.jsonl"))).toEqual(readVectors(join(d.dir, "b.jsonl")));

    const again = await runCommand(compareCommand, [
      "--model", TINY, "--task", "classification", "--data", d.train, "--valid", d.valid, "--poolings", "mean", "--output-dir", "other", "--save-heads", "heads",
    ], d.dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/heads already holds heads\.json; pass --force/);
  });
});
