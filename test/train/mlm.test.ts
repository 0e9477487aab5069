// MLM data: packing into full rows, 15 % masking with 80/10/10, seeded; the loss and the unigram baseline.
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/tensor/random.js";
import { crossEntropyLoss } from "../../src/train/losses.js";
import { expectClose } from "../helpers.js";
import { maskedLmLoss, maskTokens, packDocuments, unigramBaseline, type MlmVocab } from "../../src/train/mlm.js";

const vocab: MlmVocab = { vocabSize: 50, bosTokenId: 0, padTokenId: 1, eosTokenId: 2, maskTokenId: 49, specialIds: [0, 1, 2, 3, 49] };

describe("packDocuments", () => {
  it("puts documents one after another with </s> between them, in rows <s> … </s> of T tokens, dropping the tail", () => {
    const { rows, count } = packDocuments([[10, 11, 12], [13], [14, 15, 16, 17]], 5, vocab);
    // stream: 10 11 12 </s> 13 </s> 14 15 16 17 </s>  (11 tokens) -> 3 rows of 3, tail "17 </s>" dropped
    expect(count).toBe(3);
    expect([...rows]).toEqual([0, 10, 11, 12, 2, 0, 2, 13, 2, 2, 0, 14, 15, 16, 2]);
  });
  it("refuses rows too short for <s> and </s>", () => {
    expect(() => packDocuments([[5]], 2, vocab)).toThrow(/row length/);
  });
});

describe("maskTokens", () => {
  const ids = new Int32Array(200_000);
  const rng = new Rng(1);
  for (let i = 0; i < ids.length; i++) ids[i] = i % 100 === 0 ? 0 : 4 + rng.int(45);
  const batch = maskTokens(ids, new Rng(7), vocab);

  it("chooses about 15 % of the ordinary tokens and never a special one", () => {
    const ordinary = ids.filter((id) => !vocab.specialIds.includes(id)).length;
    expect(batch.positions.length / ordinary).toBeGreaterThan(0.145);
    expect(batch.positions.length / ordinary).toBeLessThan(0.155);
    expect(batch.positions.filter((p) => vocab.specialIds.includes(ids[p]!)).length).toBe(0);
  });
  it("replaces 80 % by <mask>, 10 % by a random ordinary token, keeps 10 %; labels are the original ids", () => {
    let masked = 0;
    let kept = 0;
    let wrong = 0;
    batch.positions.forEach((p, m) => {
      if (batch.labels[m] !== ids[p]) wrong++;
      if (batch.inputIds[p] === vocab.maskTokenId) masked++;
      else if (batch.inputIds[p] === ids[p]) kept++;
      else if (vocab.specialIds.includes(batch.inputIds[p]!)) wrong++;
    });
    expect(wrong).toBe(0);
    const n = batch.positions.length;
    expect(masked / n).toBeGreaterThan(0.79);
    expect(masked / n).toBeLessThan(0.81);
    // a random replacement equals the original 1 time in 45: "kept" is 10 % plus that
    expect(kept / n).toBeGreaterThan(0.095);
    expect(kept / n).toBeLessThan(0.108);
    let changedElsewhere = 0;
    const chosen = new Set(batch.positions);
    for (let i = 0; i < ids.length; i++) if (!chosen.has(i) && batch.inputIds[i] !== ids[i]) changedElsewhere++;
    expect(changedElsewhere).toBe(0);
  });
  it("repeats exactly from the generator's state, and differs with another seed", () => {
    const again = maskTokens(ids, new Rng(7), vocab);
    expect(Buffer.from(again.inputIds.buffer).equals(Buffer.from(batch.inputIds.buffer))).toBe(true);
    expect(Buffer.from(again.positions.buffer).equals(Buffer.from(batch.positions.buffer))).toBe(true);
    expect(maskTokens(ids, new Rng(8), vocab).positions.slice(0, 50)).not.toEqual(batch.positions.slice(0, 50));
  });
  it("chooses at least one position, even in a tiny batch", () => {
    const tiny = maskTokens(Int32Array.from([0, 5, 2]), new Rng(1), vocab, 0);
    expect([...tiny.positions]).toEqual([1]);
  });
});

describe("maskedLmLoss and the unigram baseline", () => {
  it("equals crossEntropyLoss (loss and gradient) on random logits, ±1000 included", () => {
    const rng = new Rng(4);
    const M = 7;
    const V = 13;
    const logits = rng.fillNormal(new Float32Array(M * V), 3);
    logits[5] = 1000;
    logits[20] = -1000;
    const labels = Int32Array.from([0, 5, 12, 3, 3, 7, 1]);
    const ours = maskedLmLoss(logits, labels, V);
    const reference = crossEntropyLoss({ data: logits, shape: [M, V] }, labels);
    expect(Math.abs(ours.loss - reference.loss)).toBeLessThan(1e-9);
    expectClose(ours.dLogits, reference.dLogits.data, 1e-7, "dLogits");
  });
  it("is the mean cross-entropy with argmax hits", () => {
    const logits = Float32Array.from([2, 0, 0, 0, 3, 0]);
    const r = maskedLmLoss(logits, Int32Array.from([0, 2]), 3);
    const lse = (a: number[]) => Math.log(a.reduce((s, v) => s + Math.exp(v), 0));
    expect(r.loss).toBeCloseTo(((lse([2, 0, 0]) - 2) + (lse([0, 3, 0]) - 0)) / 2, 6);
    expect(r.correct).toBe(1);
  });
  it("answers the most frequent training token and scores its held-out hits and smoothed cross-entropy", () => {
    const train = Int32Array.from([0, 7, 7, 7, 8, 2]);
    const b = unigramBaseline(train, Int32Array.from([7, 8, 9, 7]), vocab);
    expect(b.topTokenId).toBe(7);
    expect(b.accuracy).toBe(0.5);
    const normal = 50 - 5;
    const p = (c: number) => (c + 1) / (4 + normal);
    expect(b.loss).toBeCloseTo(-(2 * Math.log(p(3)) + Math.log(p(1)) + Math.log(p(0))) / 4, 10);
  });
});
