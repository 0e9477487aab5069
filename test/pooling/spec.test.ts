// Pooling specs: the seed's defaults for a bare name, and a clear error for every kind of bad spec.
import { describe, expect, it } from "vitest";
import { PoolingError } from "../../src/errors.js";
import { createPooler, parsePoolingSpec, POOLING_TYPES } from "../../src/pooling/index.js";

const dims = { numLayers: 12, hiddenSize: 8 };

describe("pooling spec defaults", () => {
  it("fills in the seed's defaults for a bare name", () => {
    expect(parsePoolingSpec("lstm", dims)).toEqual({ type: "lstm", hiddenSize: 256 });
    expect(parsePoolingSpec("attention", dims)).toEqual({ type: "attention", hiddenSize: 512 });
    expect(parsePoolingSpec("weighted-layer", dims)).toEqual({ type: "weighted-layer", layerStart: 9, token: "cls" });
    expect(parsePoolingSpec("concat", dims)).toEqual({ type: "concat", layers: [-1, -2, -3, -4], token: "cls" });
    expect(parsePoolingSpec("gem", dims)).toEqual({ type: "gem", p: 3, eps: 1e-6 });
    expect(parsePoolingSpec("layer-attention", dims)).toEqual({ type: "layer-attention", hiddenSize: 128 });
    expect(parsePoolingSpec({ type: "lstm" }, dims)).toEqual({ type: "lstm", hiddenSize: 256 });
  });

  it("gives the default poolers the seed's parameter shapes", () => {
    const shapes = (spec: string): Record<string, number[]> =>
      Object.fromEntries([...createPooler(spec, dims).parameters].map(([n, t]) => [n, t.shape]));
    expect(shapes("lstm")).toEqual({
      "lstm.weight_ih_l0": [1024, 8], "lstm.weight_hh_l0": [1024, 256], "lstm.bias_ih_l0": [1024], "lstm.bias_hh_l0": [1024],
    });
    expect(shapes("attention")).toEqual({
      "attention.0.weight": [512, 8], "attention.0.bias": [512], "attention.2.weight": [1, 512], "attention.2.bias": [1],
    });
    expect(shapes("weighted-layer")).toEqual({ layer_weights: [4] });
    expect(shapes("gem")).toEqual({ p: [1] });
    expect(shapes("layer-attention")).toEqual({ q: [1, 8], w_h: [8, 128] });
    expect(shapes("mean")).toEqual({});
    expect(createPooler("concat", dims).outputSize).toBe(32);
    expect(createPooler("mean-max", dims).outputSize).toBe(16);
  });

  it("prefixes the parts of combine with parts.<i>.", () => {
    const pooler = createPooler({ type: "combine", parts: ["cls", { type: "lstm", hiddenSize: 2 }, "gem"] }, dims);
    expect([...pooler.parameters.keys()]).toEqual([
      "parts.1.lstm.weight_ih_l0", "parts.1.lstm.weight_hh_l0", "parts.1.lstm.bias_ih_l0", "parts.1.lstm.bias_hh_l0", "parts.2.p",
    ]);
    expect(pooler.outputSize).toBe(8 + 2 + 8);
    expect(pooler.spec).toEqual({ type: "combine", parts: [{ type: "cls" }, { type: "lstm", hiddenSize: 2 }, { type: "gem", p: 3, eps: 1e-6 }] });
  });

  it("lists every type, and every type builds", () => {
    // the fourteen documented types, in the docs' order (a new pooler adds to the registry, not to this test)
    const documented = ["cls", "mean", "max", "mean-max", "concat", "lstm", "weighted-layer", "attention", "mean-sqrt-len", "weighted-mean", "last-token", "gem", "layer-attention", "combine"];
    expect(POOLING_TYPES.filter((t) => documented.includes(t))).toEqual(documented);
    for (const type of POOLING_TYPES) {
      const spec = type === "combine" ? { type, parts: ["cls"] } : type;
      expect(createPooler(spec, dims).spec.type).toBe(type);
    }
  });
});

describe("bad pooling specs", () => {
  const bad: [string, unknown, RegExp][] = [
    ["unknown type", "softmax", /pooling spec: unknown pooling type "softmax"; choose one of cls, /],
    ["a near miss", "atention", /pooling spec: unknown pooling type "atention" \(did you mean "attention"\?\); choose one of /],
    ["missing type", { hiddenSize: 3 }, /pooling spec: type must be one of .*; got undefined/],
    ["not an object", 42, /must be a type name or an object/],
    ["extra option", { type: "mean", layers: [-1] }, /mean has no option "layers" \(it takes no options\)/],
    ["misspelt option", { type: "lstm", hidden_size: 3 }, /lstm has no option "hidden_size" \(did you mean "hiddenSize"\?\) \(its options are hiddenSize\)/],
    ["hiddenSize 0", { type: "lstm", hiddenSize: 0 }, /pooling spec: lstm.hiddenSize must be a positive integer, got 0/],
    ["hiddenSize negative", { type: "attention", hiddenSize: -4 }, /attention.hiddenSize must be a positive integer, got -4/],
    ["hiddenSize fractional", { type: "layer-attention", hiddenSize: 2.5 }, /layer-attention.hiddenSize must be a positive integer, got 2.5/],
    ["layer above L", { type: "concat", layers: [-1, 13] }, /concat.layers\[1\] must be an integer layer index in -13..12 .*got 13/],
    ["layer below -(L+1)", { type: "concat", layers: [-14] }, /concat.layers\[0\] must be an integer layer index/],
    ["empty layers", { type: "concat", layers: [] }, /concat.layers must be a non-empty array/],
    ["bad token", { type: "concat", token: "first" }, /concat.token must be one of "cls", "mean", "max", got "first"/],
    ["max token for weighted-layer", { type: "weighted-layer", token: "max" }, /weighted-layer.token must be one of "cls", "mean"/],
    ["layerStart out of range", { type: "weighted-layer", layerStart: 13 }, /weighted-layer.layerStart must be an integer in 0..12/],
    ["gem p = 0", { type: "gem", p: 0 }, /gem.p must be a positive number, got 0/],
    ["gem eps negative", { type: "gem", eps: -1 }, /gem.eps must be a positive number, got -1/],
    ["combine without parts", { type: "combine" }, /combine.parts must be a non-empty array of pooling specs, got undefined/],
    ["bad nested part", { type: "combine", parts: ["cls", { type: "lstm", hiddenSize: 0 }] }, /pooling spec: combine.parts\[1\].lstm.hiddenSize must be a positive integer, got 0/],
  ];
  it.each(bad)("%s", (_label, spec, message) => {
    expect(() => createPooler(spec, dims)).toThrow(PoolingError);
    expect(() => createPooler(spec, dims)).toThrow(message);
  });
});
