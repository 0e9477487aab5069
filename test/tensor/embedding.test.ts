// embeddingForward / embeddingBackward: PyTorch values with repeated ids, finite differences, id errors.
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { embeddingBackward, embeddingForward } from "../../src/tensor/ops/embedding.js";
import { expectClose } from "../helpers.js";
import { checkGradient, dot, loadFixture, randomF64 } from "./support.js";

interface EmbeddingCase { V: number; dim: number; n: number; ids: number[]; weight: number[]; y: number[]; dOut: number[]; dWeight: number[] }

describe("embedding", () => {
  const c = loadFixture<EmbeddingCase>("embedding");
  const ids = Int32Array.from(c.ids);
  it("golden values (PyTorch), repeated ids add up", () => {
    const y = new Float32Array(c.n * c.dim), dW = new Float32Array(c.V * c.dim);
    embeddingForward(y, Float32Array.from(c.weight), ids, c.n, c.dim);
    expectClose(y, Float32Array.from(c.y), 0, "y (a copy: exact)");
    embeddingBackward(dW, Float32Array.from(c.dOut), ids, c.n, c.dim);
    expectClose(dW, c.dWeight, 1e-6, "dWeight");
  });
  it("backward vs finite differences (Float64)", () => {
    const w = randomF64(c.V * c.dim, 51), dOut = randomF64(c.n * c.dim, 52);
    const loss = (): number => {
      const y = new Float64Array(c.n * c.dim);
      embeddingForward(y, w, ids, c.n, c.dim);
      return dot(y, dOut);
    };
    checkGradient("dWeight", w, loss, (g) => embeddingBackward(g, dOut, ids, c.n, c.dim));
  });
  it("rejects ids outside the table", () => {
    const out = new Float32Array(2 * 3);
    expect(() => embeddingForward(out, new Float32Array(4 * 3), Int32Array.from([1, 4]), 2, 3)).toThrow(InputError);
    expect(() => embeddingForward(out, new Float32Array(4 * 3), Int32Array.from([-1, 0]), 2, 3)).toThrow(/ids\[0\] = -1 is outside the table \[4,3\]/);
  });
});
