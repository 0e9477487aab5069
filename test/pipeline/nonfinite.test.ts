// Finite parameters can still overflow: a layer-attention spec with a w_h weight of -2.1e38 made the fuzzer's
// pooled vector Infinity (pooling-params target, `npm run fuzz`, seed 1, 2026-11-30; the case changes two
// files, so it is not in the one-file corpus: this test keeps it).
// model.embed refuses such a vector before anything is written (EP_NONFINITE, naming the text); with
// allowNonFinite it is handed back as it is.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EncoderPoolingError } from "../../src/errors.js";
import { loadModel } from "../../src/io/load-model.js";
import type { EncoderModel } from "../../src/pipeline/model.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModel(TINY, { backend: "js" });
});

/** The tiny model's layer-attention parameters with w_h at 3.4e38, float32's largest (finite) values: any
 * attended value above 1 in magnitude overflows its product. */
function overflowingParams() {
  const params = model.createPooler({ type: "layer-attention" }).parameters;
  const copy = new Map([...params].map(([name, t]) => [name, { data: Float32Array.from(t.data), shape: [...t.shape] }]));
  copy.get("w_h")!.data.fill(3.4e38);
  return copy;
}

describe("a pooled vector that overflows", () => {
  it("is refused by embed with EP_NONFINITE naming the text, not returned as Infinity", async () => {
    const params = overflowingParams();
    expect([...params.values()].every((t) => t.data.every(Number.isFinite))).toBe(true);
    const error = await model.embed(["a cat sat"], { pooling: { type: "layer-attention" }, params }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncoderPoolingError);
    expect((error as EncoderPoolingError).code).toBe("EP_NONFINITE");
    expect((error as Error).message).toMatch(/^text 1: the pooled vector holds (-?Infinity|NaN) \(element \d+\)/);
  });

  it("is handed back with allowNonFinite", async () => {
    const { data } = await model.embed(["a cat sat"], { pooling: { type: "layer-attention" }, params: overflowingParams(), allowNonFinite: true });
    expect(data.some((v) => !Number.isFinite(v))).toBe(true);
  });
});
