// The engine flags (--backend, --threads, --dtype, --quantize) on every command that loads a model: in the
// help, checked with a usage error naming the flag (exit status 2), and choosing what runs — forward on wasm
// (1 and 2 threads) writes the hidden states of js within 1e-4, the same bits twice; embed, train, predict
// and evaluate run on the chosen backend with the same results within 1e-4.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareCommand } from "../../src/cli/compare.js";
import { embedCommand } from "../../src/cli/embed.js";
import { evaluateCommand } from "../../src/cli/evaluate.js";
import { forwardCommand } from "../../src/cli/forward.js";
import { predictCommand } from "../../src/cli/predict.js";
import { similarCommand } from "../../src/cli/similar.js";
import { trainCommand } from "../../src/cli/train.js";
import type { Command } from "../../src/cli/command.js";
import { parseSafetensors, toFloat32Array } from "../../src/encoder/safetensors.js";
import { wasmBackendSupported } from "../../src/tensor/wasm-backend.js";
import { expectClose } from "../helpers.js";
import { caseDir } from "../encoder/fixtures.js";
import { freshDir, runCommand, seaLandData, TINY } from "./training-helpers.js";

const COMMANDS: Command[] = [forwardCommand, embedCommand, similarCommand, trainCommand, compareCommand, predictCommand, evaluateCommand];
const wasm = wasmBackendSupported();

describe("the engine flags on every command that loads a model", () => {
  it.each(COMMANDS.map((c) => ({ name: c.name, command: c })))("$name: listed in its help", ({ command }) => {
    for (const flag of ["--backend B", "--threads N", "--dtype D", "--quantize int8"]) expect(command.usage).toContain(flag);
  });

  const bad: [string[], RegExp][] = [
    [["--backend", "gpu"], /--backend must be auto, wasm or js, got "gpu"/],
    [["--threads", "0"], /--threads must be an integer from 1 to 256, got "0"/],
    [["--threads", "two"], /--threads must be an integer from 1 to 256, got "two"/],
    [["--threads", "1000"], /--threads must be an integer from 1 to 256, got "1000"/],
    [["--backend", "js", "--threads", "2"], /--threads 2 needs --backend wasm or auto/],
    [["--dtype", "f8"], /--dtype must be f32, f16 or bf16, got "f8"/],
    [["--quantize", "int4"], /--quantize must be int8, got "int4"/],
  ];
  for (const command of COMMANDS) {
    it.each(bad.map(([argv, message]) => ({ argv, message, label: argv.join(" ") })))(`${command.name} $label: a usage error naming the flag, exit 2`, async ({ argv, message }) => {
      const run = await runCommand(command, argv, freshDir());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^${command.name}: ${message.source}`));
    });
  }
});

/** The float tensors of a safetensors file as Float32Arrays (forward's I64 input_ids and attention_mask left out). */
function readTensors(path: string): Map<string, Float32Array> {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  return new Map([...tensors].filter(([, t]) => t.dtype.startsWith("F") || t.dtype === "BF16").map(([name, t]) => [name, toFloat32Array(t, path, name)]));
}

describe.skipIf(!wasm)("forward --backend wasm against --backend js", () => {
  const dir = caseDir("padded-batch");
  const forward = async (flags: string[]): Promise<Map<string, Float32Array>> => {
    const cwd = freshDir();
    const run = await runCommand(forwardCommand, ["--model", dir, "--inputs", join(dir, "inputs.safetensors"), "--output", "out.safetensors", ...flags], cwd);
    expect(run.code, run.stderr).toBe(0);
    return readTensors(join(cwd, "out.safetensors"));
  };

  it("--threads 2 and --threads 1 write every hidden state within 1e-4 of js, the same bits run to run", async () => {
    const js = await forward(["--backend", "js"]);
    for (const threads of ["1", "2"]) {
      const [first, second] = [await forward(["--backend", "wasm", "--threads", threads]), await forward(["--backend", "wasm", "--threads", threads])];
      expect([...first.keys()].sort()).toEqual([...js.keys()].sort());
      for (const [name, values] of js) {
        expectClose(first.get(name)!, values, 1e-4, `wasm×${threads} ${name}`);
        expect(second.get(name), `wasm×${threads} ${name} again`).toEqual(first.get(name));
      }
    }
  });

  it("--dtype bf16 and --quantize int8 load and run (their accuracy is measured in test/encoder/precision.test.ts)", async () => {
    const js = await forward(["--backend", "js"]);
    for (const flags of [["--dtype", "bf16"], ["--quantize", "int8"]]) {
      const low = await forward(["--backend", "wasm", "--threads", "2", ...flags]);
      expectClose(low.get("last_hidden_state")!, js.get("last_hidden_state")!, 0.1, flags.join(" "));
      expect(low.get("last_hidden_state")).not.toEqual(js.get("last_hidden_state"));
    }
  });
});

describe.skipIf(!wasm)("embed, train, predict, evaluate and embed --head on the backend chosen", () => {
  const vectors = async (flags: string[]): Promise<number[][]> => {
    const cwd = freshDir();
    const run = await runCommand(embedCommand, ["--model", TINY, "--text", "the sea and a boat", "--text", "the keeper wrote", "--pooling", '{"type":"lstm","hiddenSize":8}', "--output", "v.jsonl", ...flags], cwd);
    expect(run.code, run.stderr).toBe(0);
    return readFileSync(join(cwd, "v.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { embedding: number[] }).embedding);
  };

  it("embed with an lstm pooler: wasm on 2 threads within 1e-4 of js", async () => {
    const [js, two] = [await vectors(["--backend", "js"]), await vectors(["--backend", "wasm", "--threads", "2"])];
    two.forEach((v, i) => expectClose(v, js[i]!, 1e-4, `text ${i}`));
  });

  it("a head trained on wasm×2 equals one trained on js within 1e-4; predict and evaluate take the flags", async () => {
    const data = seaLandData();
    const train = async (flags: string[]): Promise<string> => {
      const out = join(freshDir(), "head");
      const run = await runCommand(trainCommand, [
        "--model", TINY, "--data", data.train, "--valid", data.valid, "--task", "classification", "--pooling", "attention",
        "--epochs", "2", "--output", out, ...flags,
      ], data.dir);
      expect(run.code, run.stderr).toBe(0);
      return out;
    };
    const [js, two] = [await train(["--backend", "js"]), await train(["--backend", "wasm", "--threads", "2"])];
    const [a, b] = [readTensors(join(js, "head.safetensors")), readTensors(join(two, "head.safetensors"))];
    // attention.2.bias: a zero gradient up to rounding, moved by AdamW up to lr per step (test/train/step.test.ts)
    for (const [name, values] of a) expectClose(b.get(name)!, values, name === "pooler.attention.2.bias" ? 0.1 : 1e-4, name);

    const predicted = join(freshDir(), "p.jsonl");
    const run = await runCommand(predictCommand, ["--head", two, "--text", "the ferry in the storm", "--output", predicted, "--backend", "wasm", "--threads", "2", "--dtype", "f16"], data.dir);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(predicted, "utf8")) as object).toHaveProperty("label");
    const evaluated = await runCommand(evaluateCommand, ["--head", two, "--data", data.test, "--json", "--backend", "wasm", "--threads", "1"], data.dir);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout) as object).toHaveProperty("accuracy");
    const embedded = await runCommand(embedCommand, ["--head", two, "--text", "the ferry", "--output", "-", "--backend", "wasm", "--threads", "2"], data.dir);
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(JSON.parse(embedded.stdout) as object).toHaveProperty("embedding");
  });
});
