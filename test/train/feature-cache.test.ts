// The frozen-encoder cache: only what the pooler reads, the same entries for either padding side,
// exact pooling from a rebuilt batch, a round trip through safetensors bytes, and its refusals.
import { describe, expect, it } from "vitest";
import { parseSafetensors, serializeSafetensors } from "../../src/encoder/safetensors.js";
import { TrainingError } from "../../src/errors.js";
import { createPooler } from "../../src/pooling/index.js";
import { predictLogits } from "../../src/train/evaluate.js";
import { appendToCache, assembleBatch, createFeatureCache, parseFeatureCache, serializeFeatureCache } from "../../src/train/feature-cache.js";
import { createHead } from "../../src/train/heads/index.js";
import { expectClose } from "../helpers.js";
import { cacheFor, dims, synthetic, trainSet } from "./synthetic.js";

describe("feature cache", () => {
  it("keeps only what the pooler reads: the first token of layers 1..L for lstm, the last layer's real tokens for attention", () => {
    const lstm = createPooler({ type: "lstm", hiddenSize: 3 }, dims);
    const c1 = cacheFor(lstm, trainSet);
    expect(c1.layers).toEqual([1, 2]);
    expect(c1.examples.every((e) => e.length === 1 && e.states.length === 2 && e.states[0]!.length === 4)).toBe(true);
    const att = createPooler("attention", dims);
    const c2 = cacheFor(att, trainSet);
    expect(c2.layers).toEqual([2]);
    expect(c2.examples.map((e) => e.length)).toEqual(
      trainSet.batches.flatMap((b) => Array.from({ length: b.attentionMask.length / 5 }, (_, r) => b.attentionMask.slice(r * 5, r * 5 + 5).reduce((s, v) => s + v, 0))),
    );
  });

  for (const spec of ["mean", "attention", "gem", "lstm", "layer-attention", "max"]) {
    it(`${spec}: pooling a batch rebuilt from the cache equals pooling the encoder batch (exact)`, () => {
      const pooler = createPooler(spec, dims, { seed: 3 });
      const cache = cacheFor(pooler, trainSet);
      const direct = pooler.forward(trainSet.batches[0]!).pooled.data;
      const rebuilt = pooler.forward(assembleBatch(cache, [0, 1, 2, 3, 4, 5, 6, 7], "float32")).pooled.data;
      expectClose(rebuilt, direct, 0, `${spec} cache round trip`);
    });
  }

  it("left- and right-padded encoder batches give the same cache entries", () => {
    const H = 4, T = 3;
    const right = synthetic(1, 5).batches[0]!;
    const cacheRight = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    appendToCache(cacheRight, right);
    const len = right.attentionMask.slice(0, 5).reduce((s, v) => s + v, 0);
    // move the real tokens of row 0 to the end of a T=3+len row
    const Tl = T + len;
    const states = Array.from({ length: 3 }, () => ({ data: new Float32Array(Tl * H), shape: [1, Tl, H] }));
    states[2]!.data.set(right.hiddenStates[2]!.data.subarray(0, len * H), T * H);
    const mask = new Int32Array(Tl).fill(1, T);
    const cacheLeft = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    appendToCache(cacheLeft, { hiddenStates: states, attentionMask: mask });
    expect([...cacheLeft.examples[0]!.states[0]!]).toEqual([...cacheRight.examples[0]!.states[0]!]);
  });

  it("round-trips through safetensors bytes with the caller's metadata", () => {
    const cache = cacheFor(createPooler("attention", dims), trainSet);
    const bytes = serializeFeatureCache(cache, { model: "tiny", texts: "sha:abc" });
    const { cache: back, metadata } = parseFeatureCache(bytes, "cache.safetensors");
    expect(metadata).toEqual({ model: "tiny", texts: "sha:abc" });
    expect(back.dims).toEqual(cache.dims);
    expect(back.layers).toEqual(cache.layers);
    expect(back.firstTokenOnly).toBe(false);
    expect(back.examples.map((e) => [e.length, ...e.states.flatMap((s) => [...s])])).toEqual(
      cache.examples.map((e) => [e.length, ...e.states.flatMap((s) => [...s])]),
    );
    const notCache = serializeSafetensors({ x: { dtype: "F32", shape: [1], data: new Float32Array(1) } });
    expect(() => parseFeatureCache(notCache, "model.safetensors")).toThrow(/model.safetensors: not a feature cache/);
  });

  it("one cache serves several poolers; a cache lacking what a pooler reads is refused", () => {
    const lstm = createPooler({ type: "lstm", hiddenSize: 3 }, dims);
    const att = createPooler("attention", dims);
    const shared = createFeatureCache({ layers: [...lstm.reads.layers, ...att.reads.layers], firstTokenOnly: false }, dims);
    for (const b of trainSet.batches) appendToCache(shared, b);
    expectClose(predictLogits(lstm, createHead("linear", 3, 2), shared), predictLogits(lstm, createHead("linear", 3, 2), cacheFor(lstm, trainSet)), 0, "shared cache");
    const firstOnly = cacheFor(lstm, trainSet);
    expect(() => predictLogits(att, createHead("linear", 4, 2), firstOnly)).toThrow(/holds layers \[1,2\]|only first tokens/);
    const layer2 = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    expect(() => predictLogits(lstm, createHead("linear", 3, 2), layer2)).toThrow(/holds layers \[2\], the pooler also reads \[1\]/);
    const firstTokens = createFeatureCache({ layers: [2], firstTokenOnly: true }, dims);
    expect(() => predictLogits(att, createHead("linear", 4, 2), firstTokens)).toThrow(/holds only first tokens, the pooler reads every token/);
  });

  it("a row with no real token, or hidden states of the wrong size, are errors", () => {
    const cache = createFeatureCache({ layers: [2], firstTokenOnly: false }, dims);
    const batch = synthetic(2, 6).batches[0]!;
    expect(() => appendToCache(cache, { ...batch, attentionMask: new Int32Array(10) })).toThrow(/row 0 of the batch has no real token/);
    expect(() => appendToCache(cache, { ...batch, hiddenStates: batch.hiddenStates.slice(1) })).toThrow(/expected 3 hidden states/);
    expect(() => createFeatureCache({ layers: [3], firstTokenOnly: false }, dims)).toThrow(/layer 3 outside hiddenStates 0..2/);
  });
});

describe("a feature cache's metadata is checked before anything is sized by it (issue 10)", () => {
  const pooler = createPooler({ type: "lstm", hiddenSize: 3 }, dims);
  const good = serializeFeatureCache(cacheFor(pooler, trainSet), { model: "tiny" });
  /** The good cache with one metadata field replaced (the tensors kept). */
  function withMetadata(field: string, value: string): Uint8Array {
    const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true))))) as Record<string, unknown>;
    const metadata = { ...(header["__metadata__"] as Record<string, string>), [field]: value };
    const { tensors } = parseSafetensors(good, "c");
    return serializeSafetensors(tensors, metadata);
  }
  const refusal = (bytes: Uint8Array): string => {
    try {
      parseFeatureCache(bytes, "cache.safetensors");
    } catch (err) {
      expect(err).toBeInstanceOf(TrainingError);
      return (err as Error).message;
    }
    throw new Error("expected a refusal");
  };

  it("numLayers \"1e9\", hiddenSize past its cap, layers that are not JSON or out of range, firstTokenOnly not a boolean", () => {
    expect(refusal(withMetadata("numLayers", "1e9"))).toBe('cache.safetensors: metadata "numLayers" must be an integer from 1 to 256, got "1e9"');
    expect(refusal(withMetadata("hiddenSize", "99999999"))).toBe('cache.safetensors: metadata "hiddenSize" must be an integer from 1 to 16384, got "99999999"');
    expect(refusal(withMetadata("layers", "[[[["))).toMatch(/^cache\.safetensors: metadata "layers": not valid JSON/);
    expect(refusal(withMetadata("layers", "[".repeat(8192)))).toMatch(/JSON nested deeper than 64 levels/);
    expect(refusal(withMetadata("layers", "[1, 99]"))).toBe('cache.safetensors: metadata "layers" must list layer indices 0..2, got [1, 99]');
    expect(refusal(withMetadata("firstTokenOnly", "yes"))).toBe('cache.safetensors: metadata "firstTokenOnly" must be "true" or "false", got "yes"');
  });
});
