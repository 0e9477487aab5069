import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, EncoderPoolingError, InputError, SafetensorsError, UsageError } from "../../src/errors.js";
import { forwardCommand } from "../../src/cli/forward.js";
import type { CliContext } from "../../src/cli/context.js";
import { parseSafetensors, serializeSafetensors, toFloat32Array, toInt32Array } from "../../src/encoder/safetensors.js";
import { expectClose } from "../helpers.js";
import { caseDir, expectedData, readCase } from "../encoder/fixtures.js";

const work = mkdtempSync(join(tmpdir(), "forward-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fakeContext(): { ctx: CliContext; stderr: () => string } {
  const stderr = new PassThrough();
  let text = "";
  stderr.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const ctx: CliContext = { stdout: new PassThrough(), stderr, stdin: new PassThrough(), interactive: false, cwd: work };
  return { ctx, stderr: () => text };
}

/** A copy of a fixture's model folder that a test may break. */
function modelCopy(name: string, fixture = "f32-pooler"): string {
  const dir = join(work, name);
  mkdirSync(dir);
  copyFileSync(join(caseDir(fixture), "config.json"), join(dir, "config.json"));
  copyFileSync(join(caseDir(fixture), "model.safetensors"), join(dir, "model.safetensors"));
  return dir;
}

function inputsFile(name: string, tensors: Parameters<typeof serializeSafetensors>[0]): string {
  const path = join(work, name);
  writeFileSync(path, serializeSafetensors(tensors));
  return path;
}

describe("encoder-pooling forward", () => {
  for (const name of ["padded-batch", "prefixed-lm-head"]) {
    it(`writes every hidden state of ${name} as F32, matching the golden outputs (atol 1e-4)`, async () => {
      const c = readCase(name);
      const out = join(work, `${name}.out.safetensors`);
      const { ctx, stderr } = fakeContext();
      await forwardCommand.run(["--model", c.dir, "--inputs", `${c.dir}/inputs.safetensors`, "--output", out, "--verbose"], ctx);
      const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(out)), out);
      expect(metadata).toEqual({ format: "pt" });
      expect([...tensors.keys()].sort()).toEqual([...c.expected.keys(), "input_ids", "attention_mask"].sort());
      const given = parseSafetensors(new Uint8Array(readFileSync(`${c.dir}/inputs.safetensors`)), "inputs").tensors;
      for (const key of ["input_ids", "attention_mask"]) {
        expect(tensors.get(key)!.dtype, key).toBe("I64");
        expect(Array.from(toInt32Array(tensors.get(key)!, out, key)), key).toEqual(Array.from(toInt32Array(given.get(key)!, "inputs", key)));
      }
      for (const [key, t] of tensors) {
        if (key === "input_ids" || key === "attention_mask") continue;
        expect(t.dtype, key).toBe("F32");
        expect(t.shape, key).toEqual(c.expected.get(key)!.shape);
        expectClose(toFloat32Array(t, out, key), expectedData(c, key), 1e-4, `${name} ${key}`);
      }
      expect(stderr()).toMatch(/forward: wrote \d hidden states/);
      if (name === "prefixed-lm-head") expect(stderr()).toMatch(/ignoring 7 tensors not used by the encoder: .*lm_head\.bias/);
    });
  }

  it("refuses to overwrite without --force, and overwrites with it", async () => {
    const c = readCase("f32-pooler");
    const out = join(work, "exists.safetensors");
    writeFileSync(out, "old");
    const args = ["--model", c.dir, "--inputs", `${c.dir}/inputs.safetensors`, "--output", out];
    await expect(forwardCommand.run(args, fakeContext().ctx)).rejects.toThrow(UsageError);
    expect(readFileSync(out, "utf8")).toBe("old");
    await forwardCommand.run([...args, "--force"], fakeContext().ctx);
    expect(parseSafetensors(new Uint8Array(readFileSync(out)), out).tensors.has("pooler_output")).toBe(true);
  });

  it("requires one source of ids and an output; the model defaults to the shipped one", async () => {
    await expect(forwardCommand.run(["--output", "y"], fakeContext().ctx)).rejects.toThrow('forward: give one of --inputs IDS.safetensors, --text "…" or --input FILE');
    await expect(forwardCommand.run(["--inputs", "x", "--text", "a", "--output", "y"], fakeContext().ctx)).rejects.toThrow("forward: give one of");
    await expect(forwardCommand.run(["--inputs", "x", "--output", "y"], fakeContext().ctx)).rejects.toThrow(`forward: inputs: file not found: ${join(work, "x")}`);
    await expect(forwardCommand.run(["--model", "m", "--inputs", "x", "--output", "y", "--bogus"], fakeContext().ctx)).rejects.toThrow(UsageError);
  });

  describe("bad model folders and inputs are refused with the file named", () => {
    const c = readCase("f32-pooler");
    const okInputs = `${c.dir}/inputs.safetensors`;
    const run = (model: string, inputs: string) =>
      forwardCommand.run(["--model", model, "--inputs", inputs, "--output", join(work, "never.safetensors")], fakeContext().ctx);

    it("missing config.json", async () => {
      const dir = modelCopy("no-config");
      rmSync(join(dir, "config.json"));
      await expect(run(dir, okInputs)).rejects.toThrow(EncoderPoolingError);
      await expect(run(dir, okInputs)).rejects.toThrow(`file not found: ${join(dir, "config.json")}`);
      expect(existsSync(join(work, "never.safetensors"))).toBe(false);
    });
    it("malformed config.json", async () => {
      const dir = modelCopy("bad-config");
      writeFileSync(join(dir, "config.json"), '{"hidden_size": 32,');
      await expect(run(dir, okInputs)).rejects.toThrow(ConfigError);
      await expect(run(dir, okInputs)).rejects.toThrow(`${dir}/config.json: not valid JSON`);
    });
    it("missing or truncated model.safetensors", async () => {
      const dir = modelCopy("truncated");
      await expect(run(join(work, "nowhere"), okInputs)).rejects.toThrow(`model folder not found: ${join(work, "nowhere")}`);
      writeFileSync(join(dir, "model.safetensors"), readFileSync(join(dir, "model.safetensors")).subarray(0, 5000));
      await expect(run(dir, okInputs)).rejects.toThrow(SafetensorsError);
      await expect(run(dir, okInputs)).rejects.toThrow(`${dir}/model.safetensors: tensor "`);
    });
    it("inputs: missing tensor, float dtype, shape mismatch, unexpected tensor", async () => {
      const ids = { dtype: "I64" as const, shape: [1, 3], data: new BigInt64Array([0n, 5n, 2n]) };
      const mask = { dtype: "I64" as const, shape: [1, 3], data: new BigInt64Array([1n, 1n, 1n]) };
      const noMask = inputsFile("no-mask.safetensors", { input_ids: ids });
      await expect(run(c.dir, noMask)).rejects.toThrow(`${noMask}: missing tensor "attention_mask" [B,T]`);
      const floats = inputsFile("floats.safetensors", { input_ids: { dtype: "F32", shape: [1, 3], data: new Float32Array(3) }, attention_mask: mask });
      await expect(run(c.dir, floats)).rejects.toThrow(`${floats}: "input_ids" must be I64 or I32, got F32`);
      const shapes = inputsFile("shapes.safetensors", { input_ids: ids, attention_mask: { ...mask, shape: [3, 1] } });
      await expect(run(c.dir, shapes)).rejects.toThrow(`"attention_mask" [3,1] does not match "input_ids" [1,3]`);
      const extra = inputsFile("extra.safetensors", { input_ids: ids, attention_mask: mask, token_type_ids: mask });
      await expect(run(c.dir, extra)).rejects.toThrow(InputError);
    });
    it("inputs: ids outside the vocabulary, beyond 32 bits, bad mask, too long, empty batch", async () => {
      const mask3 = { dtype: "I32" as const, shape: [1, 3], data: new Int32Array([1, 1, 1]) };
      const big = inputsFile("big-id.safetensors", { input_ids: { dtype: "I64", shape: [1, 3], data: new BigInt64Array([0n, 64n, 2n]) }, attention_mask: mask3 });
      await expect(run(c.dir, big)).rejects.toThrow("input_ids[0,1] = 64 is outside the vocabulary [0, 64)");
      const huge = inputsFile("huge-id.safetensors", { input_ids: { dtype: "I64", shape: [1, 3], data: new BigInt64Array([0n, 2n ** 33n, 2n]) }, attention_mask: mask3 });
      await expect(run(c.dir, huge)).rejects.toThrow(`${huge}: tensor "input_ids": element 1 = 8589934592 does not fit in 32 bits`);
      const badMask = inputsFile("bad-mask.safetensors", { input_ids: { dtype: "I32", shape: [1, 3], data: new Int32Array([0, 5, 2]) }, attention_mask: { ...mask3, data: new Int32Array([1, -1, 1]) } });
      await expect(run(c.dir, badMask)).rejects.toThrow("attention_mask[0,1] = -1, expected 0 or 1");
      const long = inputsFile("long.safetensors", { input_ids: { dtype: "I32", shape: [1, 19], data: new Int32Array(19).fill(5) }, attention_mask: { dtype: "I32", shape: [1, 19], data: new Int32Array(19).fill(1) } });
      await expect(run(c.dir, long)).rejects.toThrow("row 0 has 19 tokens, longer than the position table allows (18");
      const empty = inputsFile("empty.safetensors", { input_ids: { dtype: "I64", shape: [0, 4], data: new BigInt64Array(0) }, attention_mask: { dtype: "I64", shape: [0, 4], data: new BigInt64Array(0) } });
      await expect(run(c.dir, empty)).rejects.toThrow("empty batch");
    });
  });
});
