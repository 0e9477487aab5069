// The `pool` command against PyTorch: every golden case through the CLI with --backward, plus
// seeded initialisation without --params and a clear error for each kind of bad file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { poolCommand } from "../../src/cli/pool.js";
import type { CliContext } from "../../src/cli/context.js";
import { serializeSafetensors, type SafeTensor } from "../../src/encoder/safetensors.js";
import { createPooler } from "../../src/pooling/index.js";
import { expectClose } from "../helpers.js";
import { CASES, caseDir, readTensors, scaleOf } from "../pooling/fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "pool-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function context(): CliContext {
  return { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), interactive: false, cwd: tmp };
}

let counter = 0;
async function pool(args: string[]): Promise<Map<string, SafeTensor>> {
  const output = join(tmp, `out-${counter++}.safetensors`);
  await poolCommand.run([...args, "--output", output], context());
  return readTensors(output);
}

function compare(out: Map<string, SafeTensor>, expected: Map<string, SafeTensor>, rtol: number, label: string): void {
  expect([...out.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, want] of expected) {
    const got = out.get(name)!;
    expect(got.shape, `${label} ${name} shape`).toEqual(want.shape);
    const w = want.data as Float64Array;
    expectClose(got.data as Float32Array, w, rtol * scaleOf(w), `${label} ${name}`);
  }
}

describe("pool --backward matches PyTorch autograd", () => {
  it.each(CASES)("$name (Float32, tolerance 1e-5 × scale)", async (c) => {
    const dir = caseDir(c);
    const args = ["--spec", join(dir, "spec.json"), "--inputs", join(dir, "inputs.safetensors"), "--backward"];
    if (c.hasParams) args.push("--params", join(dir, "params.safetensors"));
    compare(await pool(args), readTensors(join(dir, "expected.safetensors")), 1e-5, c.name);
  });

  it("computes in Float64 when every hidden state is F64 (tolerance 1e-10 × scale)", async () => {
    for (const name of ["lstm-24-layers", "combine-right", "gem-left"]) {
      const c = CASES.find((x) => x.name === name)!;
      const dir = caseDir(c);
      const inputs = readTensors(join(dir, "inputs.safetensors"));
      const widened = new Map([...inputs].map(([k, t]): [string, SafeTensor] =>
        t.dtype === "F32" ? [k, { dtype: "F64", shape: t.shape, data: Float64Array.from(t.data as Float32Array) }] : [k, t]));
      const path = join(tmp, `${name}-f64.safetensors`);
      writeFileSync(path, serializeSafetensors(widened));
      const args = ["--spec", join(dir, "spec.json"), "--inputs", path, "--backward"];
      if (c.hasParams) args.push("--params", join(dir, "params.safetensors"));
      const out = await pool(args);
      expect(out.get("pooled")!.dtype).toBe("F64");
      compare(out, readTensors(join(dir, "expected.safetensors")), 1e-10, name);
    }
  });
});

describe("pool without --params", () => {
  it("uses the documented seeded initialisation (createPooler with --seed)", async () => {
    const c = CASES.find((x) => x.name === "attention-right")!;
    const dir = caseDir(c);
    const out = await pool(["--spec", '{"type":"attention","hiddenSize":4}', "--inputs", join(dir, "inputs.safetensors"), "--seed", "3"]);
    const inputs = readTensors(join(dir, "inputs.safetensors"));
    const pooler = createPooler({ type: "attention", hiddenSize: 4 }, { numLayers: c.numLayers, hiddenSize: c.hiddenSize }, { seed: 3 });
    const hiddenStates = Array.from({ length: c.numLayers + 1 }, (_, i) => {
      const t = inputs.get(`hidden_states.${i}`)!;
      return { data: t.data as Float32Array, shape: t.shape };
    });
    const mask = Int32Array.from(inputs.get("attention_mask")!.data as BigInt64Array, Number);
    expect(out.get("pooled")!.data).toEqual(pooler.forward({ hiddenStates, attentionMask: mask }).pooled.data);
    expect([...out.keys()]).toEqual(["pooled"]);
  });
});

describe("pool: bad files", () => {
  const c = CASES.find((x) => x.name === "lstm-right")!;
  const dir = caseDir(c);
  const inputs = readTensors(join(dir, "inputs.safetensors"));
  const write = (name: string, tensors: Map<string, SafeTensor>): string => {
    const path = join(tmp, name);
    writeFileSync(path, serializeSafetensors(tensors));
    return path;
  };
  const base = ["--spec", join(dir, "spec.json"), "--params", join(dir, "params.safetensors")];

  it("names a hidden state of unequal shape", async () => {
    const bad = new Map(inputs);
    bad.set("hidden_states.2", { dtype: "F32", shape: [3, 4, 6], data: new Float32Array(72) });
    await expect(pool([...base, "--inputs", write("unequal.safetensors", bad)])).rejects.toThrow(/hidden states of unequal shapes: hidden_states.2 is \[3,4,6\], hidden_states.0 is \[3,5,6\]/);
  });

  it("names a missing attention_mask, a float mask and a missing grad_output", async () => {
    const noMask = new Map(inputs);
    noMask.delete("attention_mask");
    await expect(pool([...base, "--inputs", write("nomask.safetensors", noMask)])).rejects.toThrow(/missing tensor "attention_mask" \[3,5\]/);
    const floatMask = new Map(inputs);
    floatMask.set("attention_mask", { dtype: "F32", shape: [3, 5], data: new Float32Array(15).fill(1) });
    await expect(pool([...base, "--inputs", write("floatmask.safetensors", floatMask)])).rejects.toThrow(/attention_mask: expected I64 or I32, got F32/);
    const noGrad = new Map(inputs);
    noGrad.delete("grad_output");
    await expect(pool([...base, "--backward", "--inputs", write("nograd.safetensors", noGrad)])).rejects.toThrow(/--backward needs tensor "grad_output" \[3,5\]/);
  });

  it("names a params file missing a tensor or with a wrong shape", async () => {
    const params = readTensors(join(dir, "params.safetensors"));
    const missing = new Map(params);
    missing.delete("lstm.weight_ih_l0");
    const args = ["--spec", join(dir, "spec.json"), "--inputs", join(dir, "inputs.safetensors")];
    await expect(pool([...args, "--params", write("missing.safetensors", missing)])).rejects.toThrow(/missing tensor "lstm.weight_ih_l0" \[20,6\]/);
    const wrong = new Map(params);
    wrong.set("lstm.bias_ih_l0", { dtype: "F32", shape: [21], data: new Float32Array(21) });
    await expect(pool([...args, "--params", write("wrong.safetensors", wrong)])).rejects.toThrow(/lstm.bias_ih_l0: expected \[20\], got \[21\]/);
  });

  it("names a mask row with no real token and a spec error", async () => {
    const empty = new Map(inputs);
    empty.set("attention_mask", { dtype: "I32", shape: [3, 5], data: Int32Array.from([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]) });
    await expect(pool([...base, "--inputs", write("empty.safetensors", empty)])).rejects.toThrow(/attentionMask row 1 has no real token/);
    await expect(pool(["--spec", '{"type":"lstm","hiddenSize":0}', "--inputs", join(dir, "inputs.safetensors")])).rejects.toThrow(/lstm.hiddenSize must be a positive integer, got 0/);
  });

  it("refuses to overwrite an existing output without --force", async () => {
    const output = join(tmp, "exists.safetensors");
    writeFileSync(output, "x");
    const args = ["--spec", "mean", "--inputs", join(dir, "inputs.safetensors"), "--output", output];
    await expect(poolCommand.run(args, context())).rejects.toThrow(/already exists; pass --force/);
    await poolCommand.run([...args, "--force"], context());
    expect(readFileSync(output).length).toBeGreaterThan(8);
  });
});
