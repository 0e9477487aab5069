// `encoder-pooling train` in-process on the tiny model: the head folder it writes, the --force rule,
// every bad input named in the issue, and Ctrl-C (a stop request) keeping the best head so far.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StopFlag } from "../../src/io/job-runner.js";
import { runTrain, trainCommand } from "../../src/cli/train.js";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { runCommand, seaLandData, tempFiles, TINY, writeJsonl } from "./training-helpers.js";

/**
 * The flags every run shares, then `extra` (flag-value pairs, or a lone --force): a flag of `extra`
 * replaces the shared one, since a repeated flag is an error.
 */
function args(...extra: string[]): string[] {
  const shared = [["--model", TINY], ["--task", "classification"], ["--max-length", "24"], ["--pooling", "mean"], ["--epochs", "2"]];
  return [...shared.filter(([flag]) => !extra.includes(flag!)).flat(), ...extra];
}

describe("train", () => {
  it("writes pooling.json, head.safetensors (pooler.* / head.* names) and training.json", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const r = await runCommand(trainCommand, args("--pooling", "attention", "--data", d.train, "--valid", d.valid, "--output", out), d.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["head.safetensors", "pooling.json", "training.json"]);
    const config = JSON.parse(readFileSync(join(out, "pooling.json"), "utf8"));
    expect(config.pooling).toEqual({ type: "attention", hiddenSize: 512 });
    expect(config.encoder).toEqual({ numLayers: 2, hiddenSize: 16 });
    expect(config.labels.classes).toEqual(["land", "sea"]);
    expect(config.model).toBe(TINY);
    expect(config.maxLength).toBe(24);
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(join(out, "head.safetensors"))), "head");
    expect([...tensors.keys()].sort()).toEqual([
      "head.bias", "head.weight", "pooler.attention.0.bias", "pooler.attention.0.weight", "pooler.attention.2.bias", "pooler.attention.2.weight",
    ]);
    expect(tensors.get("head.weight")?.shape).toEqual([2, 16]);
    expect(tensors.get("pooler.attention.0.weight")?.shape).toEqual([512, 16]);
    const training = JSON.parse(readFileSync(join(out, "training.json"), "utf8"));
    expect(training.history).toHaveLength(2);
    expect(training.history[0].validMetrics).toHaveProperty("macroF1");
    expect(training.interrupted).toBe(false);
    // one line per epoch, with the validation metrics as they come
    expect(r.stderr).toMatch(/train: epoch 1\/2 done, train loss \d+\.\d{4}, validation accuracy \d\.\d{4}, macroF1 \d\.\d{4}, logLoss \d+\.\d{4}/);
    expect(r.stderr).toMatch(/train: epoch 2\/2 done/);
  });

  it("holds out --valid-split of the data, stratified, and records the split", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const r = await runCommand(trainCommand, args("--data", d.train, "--valid-split", "0.25", "--output", out), d.dir);
    expect(r.code, r.stderr).toBe(0);
    const training = JSON.parse(readFileSync(join(out, "training.json"), "utf8"));
    expect(training.data.trainExamples).toBe(36);
    expect(training.data.validExamples).toBe(12);
  });

  it("refuses to overwrite a head folder without --force, and overwrites with it", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const argv = args("--epochs", "1", "--data", d.train, "--valid", d.valid, "--output", out);
    expect((await runCommand(trainCommand, argv, d.dir)).code).toBe(0);
    const before = readFileSync(join(out, "head.safetensors"));
    const again = await runCommand(trainCommand, [...argv, "--seed", "5"], d.dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds .*--force/);
    expect(readFileSync(join(out, "head.safetensors"))).toEqual(before);
    expect((await runCommand(trainCommand, [...argv, "--seed", "5", "--force"], d.dir)).code).toBe(0);
    expect(readFileSync(join(out, "head.safetensors"))).not.toEqual(before);
  });

  describe("bad input is a clear error and writes nothing", () => {
    async function fails(rows: object[] | string, extra: string[], pattern: RegExp, file = "bad.jsonl"): Promise<void> {
      const d = seaLandData();
      const path = join(d.dir, file);
      if (typeof rows === "string") writeFileSync(path, rows);
      else writeJsonl(path, rows);
      const out = join(d.dir, "head");
      const given = extra.map((a) => (a === "BAD" ? path : a));
      const files = [["--data", d.train], ["--valid", d.valid], ["--output", out]].filter(([flag]) => !given.includes(flag!)).flat();
      const r = await runCommand(trainCommand, args(...files, ...given), d.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    }

    it("a missing label names the file and line", async () => {
      await fails([{ text: "a", label: "sea" }, { text: "b" }], ["--data", "BAD"], /bad\.jsonl:2: no label field "label"/);
    });
    it("a non-numeric regression label names the file and line", async () => {
      await fails([{ text: "a", label: 1.5 }, { text: "b", label: "high" }], ["--task", "regression", "--data", "BAD", "--valid", "BAD"], /bad\.jsonl:2: regression label "high" is not a number/);
    });
    it("a class seen only in the validation set", async () => {
      await fails([{ text: "the sea", label: "sea" }, { text: "the moon", label: "sky" }], ["--valid", "BAD"], /validation .*classes never seen in training: "sky" \(line 2\)/);
    });
    it("an empty split", async () => {
      await fails("", ["--valid", "BAD"], /bad\.jsonl: no examples: the validation split is empty/);
    });
    it("a .txt file, which cannot carry labels", async () => {
      await fails("the sea\nthe land\n", ["--data", "BAD"], /a \.txt file has no labels/, "bad.txt");
    });
    it("a NaN or infinite loss names the epoch and suggests a lower learning rate", async () => {
      const rows = [{ text: "the sea", label: "1e200" }, { text: "the land", label: "-1e200" }, { text: "a boat", label: 0 }, { text: "she wrote", label: 1 }];
      await fails(rows, ["--task", "regression", "--data", "BAD", "--valid", "BAD"], /diverged in epoch 1 .*lower learning rate/);
    });
  });

  it("an interrupt saves the best head so far, with no partial file, and fails with a message", async () => {
    const d = seaLandData();
    const out = join(d.dir, "head");
    const stop = new StopFlag();
    // like Ctrl-C pressed on the last step of epoch 3: training stops once epoch 3 is validated
    const r = await runCommand(
      (argv, ctx) => runTrain(argv, ctx, stop),
      args("--epochs", "6", "--patience", "0", "--data", d.train, "--valid", d.valid, "--output", out), d.dir,
      (text) => {
        if (text.includes("epoch 3/6 done")) stop.request();
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/interrupted after 3 complete epochs; saved the best head so far/);
    expect(readdirSync(out).sort()).toEqual(["head.safetensors", "pooling.json", "training.json"]);
    expect(tempFiles(out)).toEqual([]);
    const training = JSON.parse(readFileSync(join(out, "training.json"), "utf8"));
    expect(training.interrupted).toBe(true);
    expect(training.history).toHaveLength(3);
    expect(training.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(training.bestEpoch).toBeLessThanOrEqual(3);
  });
});
