// loadModel / loadModelFromBuffers options: backend, threads, dtype, quantize — what they choose, and
// typed errors for values that do not exist, before any backend (and its threads) is started.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { defaultModelDir, loadModel } from "../../src/io/load-model.js";
import { loadModelFromBuffers } from "../../src/pipeline/model.js";
import { JsBackend, jsBackend } from "../../src/tensor/js-backend.js";

const dir = defaultModelDir();
const files = () => ({
  config: readFileSync(join(dir, "config.json"), "utf8"),
  weights: new Uint8Array(readFileSync(join(dir, "model.safetensors"))),
  vocab: readFileSync(join(dir, "vocab.json"), "utf8"),
  merges: readFileSync(join(dir, "merges.txt"), "utf8"),
});

describe("load options", () => {
  it("backend js, dtype and quantize choose where and how the weights are kept", async () => {
    const m = await loadModel(dir, { backend: "js", dtype: "f16" });
    expect(m.encoder.backend).toBe(jsBackend);
    expect(m.encoder.precision).toEqual({ dtype: "f16", quantize: null });
    expect(m.encoder.weights.wordEmbeddings.dtype).toBe("f16");
    expect(m.encoder.weights.layers[0]!.intermediate.weight.dtype).toBe("f16");
    const q = await loadModelFromBuffers(files(), { backend: "js", quantize: "int8" });
    expect(q.encoder.weights.layers[0]!.qkv.weight.dtype).toBe("int8");
    expect(q.encoder.weights.wordEmbeddings.dtype).toBe("f32");
  });

  it("a Backend object is used as given, so models can share one", async () => {
    const shared = new JsBackend();
    const [a, b] = [await loadModel(dir, { backend: shared }), await loadModelFromBuffers(files(), { backend: shared })];
    expect(a.encoder.backend).toBe(shared);
    expect(b.encoder.backend).toBe(shared);
    expect(shared.memoryInUse()).toBeGreaterThan(0);
    a.encoder.dispose();
    b.encoder.dispose();
    expect(shared.memoryInUse()).toBe(0);
  });

  it("the default is auto, and auto runs the same numbers as js within 1e-4", async () => {
    const texts = ["The committee met on Tuesday.", "Rain."];
    const auto = await (await loadModel(dir)).embed(texts);
    const js = await (await loadModel(dir, { backend: "js" })).embed(texts);
    auto.data.forEach((v, i) => expect(Math.abs(v - js.data[i]!)).toBeLessThanOrEqual(1e-4));
  });

  const bad: [string, object, string][] = [
    ["backend", { backend: "gpu" }, `loadModel: backend must be one of "auto", "wasm", "js" or a Backend, got "gpu"`],
    ["threads", { threads: 0 }, "loadModel: threads must be an integer from 1 to 256, got 0"],
    ["threads", { threads: "2" }, "loadModel: threads must be an integer from 1 to 256, got \"2\""],
    ["dtype", { dtype: "f8" }, `loadModel: dtype must be one of "f32", "f16", "bf16", got "f8"`],
    ["dtype", { dtype: 16 }, `loadModel: dtype must be one of "f32", "f16", "bf16", got 16`],
    ["quantize", { quantize: "int4" }, `loadModel: quantize must be "int8" or absent, got "int4"`],
    ["quantize", { quantize: { deep: [[[]]] } }, `loadModel: quantize must be "int8" or absent, got an object`],
  ];
  for (const [what, options, message] of bad) {
    it(`refuses a bad ${what} with an InputError naming it: ${JSON.stringify(options)}`, async () => {
      await expect(loadModel(dir, options)).rejects.toThrow(InputError);
      await expect(loadModel(dir, options)).rejects.toThrow(message);
      await expect(loadModelFromBuffers(files(), options)).rejects.toThrow(message);
    });
  }
});
