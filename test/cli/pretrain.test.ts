// `encoder-pooling pretrain` on the tiny model: a run stopped and resumed equals one straight run bit
// for bit; Ctrl-C keeps a checkpoint; the model folder it writes loads and embeds; bad resumes are refused.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPretrain } from "../../src/cli/pretrain.js";
import { loadModel } from "../../src/io/load-model.js";
import { StopFlag } from "../../src/io/job-runner.js";
import { freshDir, runCommand, seaLandData, tempFiles, TINY } from "./training-helpers.js";

const data = seaLandData();
const common = (checkpoint: string): string[] => [
  "--model", TINY, "--data", data.train, "--data", data.test, "--valid", data.valid, "--checkpoint", checkpoint,
  "--steps", "6", "--batch-size", "4", "--seq-len", "24", "--lr", "1e-2", "--warmup", "2", "--log-every", "1", "--eval-every", "2",
  "--eval-rows", "8", "--backend", "js", "--seed", "3",
];
const run = (argv: string[], stop = new StopFlag(), onStderr?: (t: string) => void) =>
  runCommand((a, ctx) => runPretrain(a, ctx, stop), argv, data.dir, onStderr);
const bytes = (dir: string, name: string): Buffer => readFileSync(join(dir, name));
const trainerState = (dir: string) => JSON.parse(readFileSync(join(dir, "trainer_state.json"), "utf8")) as { state: object; log: { history: { loss: number }[] } };

describe("pretrain", () => {
  const straight = freshDir();
  const out = freshDir();
  let straightRun: Awaited<ReturnType<typeof run>>;

  it("runs, counts tokens per file, evaluates against the unigram baseline and writes a loadable model folder", async () => {
    straightRun = await run([...common(straight), "--output", out]);
    expect(straightRun.code, straightRun.stderr).toBe(0);
    expect(straightRun.stderr).toMatch(/train\.jsonl: 48 texts, \d+ tokens/);
    expect(straightRun.stderr).toMatch(/held-out loss [\d.]+, accuracy [\d.]+ \(unigram baseline [\d.]+\)/);
    expect(straightRun.stderr).toMatch(/step 6\/6 loss [\d.]+ acc [\d.]+ lr [\d.e+-]+ \d+ tokens\/s/);
    expect(straightRun.stderr).toMatch(/done: 6 steps, 576 tokens/);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { architectures: string[]; hidden_size: number };
    expect(config.architectures).toEqual(["RobertaForMaskedLM"]);
    const summary = JSON.parse(readFileSync(join(out, "pretraining.json"), "utf8")) as { steps: number; tokensSeen: number; heldOut: { accuracy: number }; unigramBaseline: { accuracy: number } };
    expect(summary.steps).toBe(6);
    expect(summary.tokensSeen).toBe(6 * 4 * 24);
    expect(summary.heldOut.accuracy).toBeGreaterThanOrEqual(0);
    const svg = readFileSync(join(out, "loss-curve.svg"), "utf8");
    expect(svg).toMatch(/^<svg[^]*<\/svg>\n$/);
    for (const legend of ["training loss", "held-out loss", "unigram baseline"]) expect(svg).toContain(legend);
    const model = await loadModel(out, { backend: "js" });
    const { dim } = await model.embed(["the sea and the ship"], { pooling: "mean" });
    expect(dim).toBe(config.hidden_size);
    expect(tempFiles(out)).toEqual([]);
  });

  it("stopped at step 3 and run again equals the straight run, bit for bit (weights, moments, generators, position)", async () => {
    const resumed = freshDir();
    const first = await run([...common(resumed), "--stop-at", "3"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/stopped at step 3 of 6 \(run the same command to continue\)/);
    const second = await run(common(resumed));
    expect(second.stderr).toMatch(/resuming from step 3/);
    for (const name of ["model.safetensors", "optimizer.safetensors"]) expect(bytes(resumed, name).equals(bytes(straight, name)), name).toBe(true);
    expect(trainerState(resumed).state).toEqual(trainerState(straight).state);
    expect(trainerState(resumed).log.history.map((h) => h.loss)).toEqual(trainerState(straight).log.history.map((h) => h.loss));
  });

  it("Ctrl-C stops after the current step and keeps a checkpoint to resume from", async () => {
    const dir = freshDir();
    const stop = new StopFlag();
    const r = await run(common(dir), stop, (text) => {
      if (text.includes("step 2/6 loss")) stop.request();
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped at step 2 of 6/);
    expect((trainerState(dir).state as { step: number }).step).toBe(2);
    const again = await run(common(dir));
    expect(again.stderr).toMatch(/resuming from step 2/);
    expect(bytes(dir, "model.safetensors").equals(bytes(straight, "model.safetensors"))).toBe(true);
  });

  it("refuses to resume a checkpoint with other options, and an existing --output without --force", async () => {
    const other = await run([...common(straight).map((a) => (a === "1e-2" ? "2e-2" : a))]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a run with other options or data/);
    const again = await run([...common(freshDir()), "--output", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
  });
});
