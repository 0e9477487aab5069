// `encoder-pooling evaluate` in-process on the tiny model: metrics as a table and as JSON, a learnable
// task beating chance, a head saved by PyTorch (same logits as torch), and the refusals: a model of
// another shape, a class the head never saw, a broken pooling.json.
import { readFileSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { readHeadFolder } from "../../src/io/head-folder.js";
import { loadHeadFiles } from "../../src/train/head-folder.js";
import { trainCommand } from "../../src/cli/train.js";
import { parseSafetensors, toFloat32Array, toInt32Array } from "../../src/encoder/safetensors.js";
import { expectClose } from "../helpers.js";
import { DEFAULT_MODEL, freshDir, runCommand, seaLandData, TINY, writeJsonl } from "./training-helpers.js";

const SEED_HEAD = join(import.meta.dirname, "..", "fixtures", "training", "seed-head");

let data: ReturnType<typeof seaLandData>;
let headDir: string;
beforeAll(async () => {
  data = seaLandData();
  headDir = join(data.dir, "head");
  // a learning rate and epochs that fit the tiny task well
  const r = await runCommand(trainCommand, [
    "--model", TINY, "--task", "classification", "--pooling", "mean", "--data", data.train, "--valid", data.valid,
    "--epochs", "30", "--lr", "3e-2", "--batch-size", "8", "--patience", "0", "--max-length", "24", "--output", headDir,
  ], data.dir);
  expect(r.code, r.stderr).toBe(0);
});

describe("evaluate", () => {
  it("prints one JSON object with the classification metrics, and the trained head beats chance", async () => {
    const r = await runCommand(evaluateCommand, ["--head", headDir, "--data", data.test, "--json"], data.dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const metrics = JSON.parse(lines[0]!) as Record<string, number>;
    expect(Object.keys(metrics).sort()).toEqual(["accuracy", "logLoss", "macroF1"]);
    // two balanced classes: chance is 0.5; the words of the two classes do not overlap
    expect(metrics["accuracy"]).toBeGreaterThan(0.8);
  });

  it("prints a table without --json", async () => {
    const r = await runCommand(evaluateCommand, ["--head", headDir, "--data", data.test], data.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/16 examples, classification\naccuracy +\d\.\d{4}\nmacroF1 +\d\.\d{4}\nlogLoss +\d\.\d{4}\n$/);
  });

  it("prints rmse, mae and pearson for a regression head", async () => {
    const dir = freshDir();
    const rows = Array.from({ length: 24 }, (_, i) => ({ text: i % 2 ? "the sea and a boat" : "the village", label: (i % 2) * 2 + 0.1 * (i % 3) }));
    writeJsonl(join(dir, "r.jsonl"), rows);
    const t = await runCommand(trainCommand, ["--model", TINY, "--task", "regression", "--pooling", "gem", "--data", "r.jsonl", "--valid-split", "0.25", "--epochs", "2", "--output", "h"], dir);
    expect(t.code, t.stderr).toBe(0);
    const r = await runCommand(evaluateCommand, ["--head", "h", "--data", "r.jsonl", "--json"], dir);
    expect(Object.keys(JSON.parse(r.stdout)).sort()).toEqual(["mae", "pearson", "rmse"]);
  });

  it("refuses a model whose hidden size or layer count differs from the head's", async () => {
    const r = await runCommand(evaluateCommand, ["--head", headDir, "--data", data.test, "--model", DEFAULT_MODEL], data.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/trained for an encoder with 2 layers and hidden size 16, but this model has 6 layers and hidden size 64/);
  });

  it("refuses test data with a class the head was not trained on", async () => {
    const path = join(data.dir, "unseen.jsonl");
    writeJsonl(path, [{ text: "the sea", label: "sea" }, { text: "the moon", label: "sky" }]);
    const r = await runCommand(evaluateCommand, ["--head", headDir, "--data", path], data.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/classes never seen in training: "sky" \(line 2\)/);
  });

  it("names the field of a broken pooling.json", async () => {
    const dir = freshDir();
    cpSync(headDir, dir, { recursive: true });
    const config = JSON.parse(readFileSync(join(dir, "pooling.json"), "utf8"));
    config.encoder.hiddenSize = "sixteen";
    writeFileSync(join(dir, "pooling.json"), JSON.stringify(config));
    const r = await runCommand(evaluateCommand, ["--head", dir, "--data", data.test], data.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pooling\.json: field "encoder\.hiddenSize" must be a positive integer, got "sixteen"/);
  });

  it("refuses a folder that is not a head folder", async () => {
    const r = await runCommand(evaluateCommand, ["--head", data.dir, "--data", data.test], data.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a head folder \(no pooling\.json/);
  });
});

describe("a head saved from the PyTorch modules", () => {
  it("loads by name and gives torch's logits on the same hidden states", async () => {
    const { pooler, head } = loadHeadFiles(await readHeadFolder(SEED_HEAD), { numLayers: 2, hiddenSize: 16 }, { dir: SEED_HEAD, model: TINY });
    const source = join(SEED_HEAD, "expected.safetensors");
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(source)), source);
    const hiddenStates = [0, 1, 2].map((i) => {
      const t = tensors.get(`hidden_states.${i}`)!;
      return { data: toFloat32Array(t, source, `hidden_states.${i}`), shape: [...t.shape] };
    });
    const attentionMask = toInt32Array(tensors.get("attention_mask")!, source, "attention_mask");
    const logits = head.forward(pooler.forward({ hiddenStates, attentionMask }).pooled).logits;
    const expected = tensors.get("logits")!;
    expect(logits.shape).toEqual(expected.shape);
    // float32 LSTM over 2 steps and two small linear layers: 1e-5 absolute
    expectClose(logits.data, toFloat32Array(expected, source, "logits"), 1e-5, "seed-head logits");
  });

  it("evaluates with the tiny model and refuses the model pooling.json names (another shape)", async () => {
    const dir = freshDir();
    writeJsonl(join(dir, "abc.jsonl"), [{ text: "the sea", label: "a" }, { text: "the keeper", label: "b" }, { text: "she wrote", label: "c" }]);
    const ok = await runCommand(evaluateCommand, ["--head", SEED_HEAD, "--model", TINY, "--data", "abc.jsonl", "--json"], dir);
    expect(ok.code, ok.stderr).toBe(0);
    expect(Object.keys(JSON.parse(ok.stdout)).sort()).toEqual(["accuracy", "logLoss", "macroF1"]);
    const refused = await runCommand(evaluateCommand, ["--head", SEED_HEAD, "--data", "abc.jsonl"], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2 layers and hidden size 16, but this model has 6 layers and hidden size 64/);
  });
});
