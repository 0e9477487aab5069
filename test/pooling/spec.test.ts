// Pooling specs: the seed's defaults for a bare name, and a clear error for every kind of bad spec.
import { describe, expect, it } from "vitest";
import { PoolingError } from "../../src/errors.js";
import { createPooler, parsePoolingSpec, POOLING_LIMITS, POOLING_TYPES } from "../../src/pooling/index.js";

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
    ["gem p = 0", { type: "gem", p: 0 }, /gem.p must be a number from 0.1 to 32, got 0/],
    ["gem eps negative", { type: "gem", eps: -1 }, /gem.eps must be a number from 1e-8 to 1, got -1/],
    ["combine without parts", { type: "combine" }, /combine.parts must be a non-empty array of pooling specs, got undefined/],
    ["bad nested part", { type: "combine", parts: ["cls", { type: "lstm", hiddenSize: 0 }] }, /pooling spec: combine.parts\[1\].lstm.hiddenSize must be a positive integer, got 0/],
  ];
  it.each(bad)("%s", (_label, spec, message) => {
    expect(() => createPooler(spec, dims)).toThrow(PoolingError);
    expect(() => createPooler(spec, dims)).toThrow(message);
  });
});

describe("pooling limits (issue 10: hiddenSize 16777215 grew past 6.4 GB; 8 KB of nesting overflowed the stack)", () => {
  const dims = { numLayers: 4, hiddenSize: 6 };
  function refusal(spec: unknown): PoolingError {
    try {
      createPooler(spec, dims);
    } catch (err) {
      expect(err).toBeInstanceOf(PoolingError);
      return err as PoolingError;
    }
    throw new Error("expected a PoolingError");
  }

  it("pooler hidden sizes above the cap are refused before any parameter is allocated", () => {
    for (const type of ["lstm", "attention", "layer-attention"]) {
      for (const hiddenSize of [16_777_215, 1e5, POOLING_LIMITS.hiddenSize + 1]) {
        const error = refusal({ type, hiddenSize });
        expect(error.code).toBe("EP_LIMIT");
        expect(error.message).toBe(`pooling spec: ${type}.hiddenSize is ${hiddenSize}, above the limit of ${POOLING_LIMITS.hiddenSize}`);
      }
    }
    expect(createPooler({ type: "lstm", hiddenSize: POOLING_LIMITS.hiddenSize }, { numLayers: 1, hiddenSize: 2 }).outputSize).toBe(POOLING_LIMITS.hiddenSize);
  });

  it("gem's p and eps stay where the doubles hold (p = 1e-300 gave NaN, p = 1000 Infinity)", () => {
    for (const p of [1e-300, 1000, 0.05, 33]) expect(refusal({ type: "gem", p }).code).toBe("EP_LIMIT");
    for (const eps of [1e-300, 2]) expect(refusal({ type: "gem", eps }).code).toBe("EP_LIMIT");
    expect(refusal({ type: "gem", p: "3" }).code).toBe("EP_POOLING");
    expect(createPooler({ type: "gem", p: 32, eps: 1e-8 }, dims).spec).toEqual({ type: "gem", p: 32, eps: 1e-8 });
  });

  it("combine nesting and the number of poolers are capped: 10,000 levels end in a PoolingError", () => {
    let deep: unknown = "mean";
    for (let i = 0; i < 10_000; i++) deep = { type: "combine", parts: [deep] };
    const error = refusal(deep);
    expect(error.code).toBe("EP_LIMIT");
    expect(error.message).toMatch(/combine nests deeper than 8 levels$/);
    const many = { type: "combine", parts: Array.from({ length: 1000 }, () => "mean") };
    expect(refusal(many).message).toMatch(/combine\.parts\[63\]\.is pooler number 65, above the limit of 64 in one spec$/);
    const concat = { type: "concat", layers: Array.from({ length: 65 }, () => -1) };
    expect(refusal(concat).message).toBe("pooling spec: concat.layers lists 65 layers, above the limit of 64");
  });

  it("a deep or huge value is described in a few characters", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(refusal({ type: "lstm", hiddenSize: deep }).message).toBe("pooling spec: lstm.hiddenSize must be a positive integer, got [[…]]");
    expect(refusal("x".repeat(1e6)).message.length).toBeLessThan(300);
  });
});
