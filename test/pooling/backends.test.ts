// Every pooler and head on every backend that runs here (js, wasm on 1 and 2 threads) against the pure-TS
// reference (no backend, one thread): pooled vectors, every gradient of the hidden states and of the
// parameters, within 1e-4; the same bits on a second run; and no backend memory left behind.
// The trainable ones (lstm, attention, combine of them, the heads) run their linear and LSTM-cell kernels
// on the backend; the others are host code and must simply agree.
import { describe, expect, it } from "vitest";
import { createPooler, moduleKernels, POOLERS, referenceKernels, type Pooler, type PoolerInput } from "../../src/pooling/index.js";
import type { Backend } from "../../src/tensor/backend.js";
import { jsBackend } from "../../src/tensor/js-backend.js";
import { Rng } from "../../src/tensor/random.js";
import type { FloatArray, Tensor } from "../../src/tensor/tensor.js";
import { createHead, HEAD_KINDS } from "../../src/train/heads/index.js";
import { expectClose } from "../helpers.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

const ATOL = 1e-4;
const BACKENDS = TEST_BACKENDS.filter((b) => b.label !== "js-naive");

// sizes that are not multiples of any tile: H = 37, 3 layers, B = 5 rows of 1..9 real tokens
const dims = { numLayers: 3, hiddenSize: 37 };
const [B, T, H] = [5, 9, dims.hiddenSize];
const LENGTHS = [9, 1, 4, 7, 2];

function input(seed: number): PoolerInput {
  const rng = new Rng(seed);
  const hiddenStates = Array.from({ length: dims.numLayers + 1 }, () => ({ data: rng.fillNormal(new Float32Array(B * T * H), 1), shape: [B, T, H] }));
  const attentionMask = new Int32Array(B * T);
  LENGTHS.forEach((n, b) => attentionMask.fill(1, b * T, b * T + n));
  return { hiddenStates, attentionMask };
}

interface Pass {
  pooled: Float32Array;
  dHiddenStates: (Float32Array | null)[];
  dParameters: Map<string, FloatArray>;
}

/** Forward, then backward of Σ pooled · R. */
function pass(pooler: Pooler, x: PoolerInput): Pass {
  const out = pooler.forward(x);
  const R = new Rng(11).fillNormal(new Float32Array(out.pooled.data.length), 1);
  const grads = pooler.backward(out, { data: R, shape: out.pooled.shape });
  return {
    pooled: out.pooled.data as Float32Array,
    dHiddenStates: grads.dHiddenStates.map((d) => (d === null ? null : (d.data as Float32Array))),
    dParameters: new Map([...grads.dParameters].map(([n, t]) => [n, t.data])),
  };
}

function expectPassClose(got: Pass, want: Pass, label: string): void {
  expectClose(got.pooled, want.pooled, ATOL, `${label} pooled`);
  want.dHiddenStates.forEach((d, i) => {
    if (d === null) expect(got.dHiddenStates[i], `${label} dHiddenStates[${i}]`).toBeNull();
    else expectClose(got.dHiddenStates[i]!, d, ATOL, `${label} dHiddenStates[${i}]`);
  });
  expect([...got.dParameters.keys()]).toEqual([...want.dParameters.keys()]);
  for (const [name, d] of want.dParameters) expectClose(got.dParameters.get(name)!, d, ATOL, `${label} d ${name}`);
}

function expectSameBits(a: Pass, b: Pass, label: string): void {
  expect(a.pooled, `${label} pooled`).toEqual(b.pooled);
  a.dHiddenStates.forEach((d, i) => expect(d, `${label} dHiddenStates[${i}]`).toEqual(b.dHiddenStates[i]));
  for (const [name, d] of a.dParameters) expect(d, `${label} d ${name}`).toEqual(b.dParameters.get(name));
}

/** Specs whose kernels reach the backend at sizes beyond the registry's tiny examples. */
const SPECS: { label: string; spec: unknown }[] = [
  ...POOLERS.map((p) => ({ label: p.type, spec: p.example })),
  { label: "lstm (hid 24)", spec: { type: "lstm", hiddenSize: 24 } },
  { label: "attention (A 40)", spec: { type: "attention", hiddenSize: 40 } },
  { label: "combine of lstm, attention and mean", spec: { type: "combine", parts: [{ type: "lstm", hiddenSize: 5 }, { type: "attention", hiddenSize: 6 }, "mean"] } },
];

for (const { label: backendLabel, backend, reason } of BACKENDS) {
  describe.skipIf(backend === null)(`pooling on ${backendLabel}${backend === null ? ` (skipped: ${reason})` : ""} against the pure-TS path`, () => {
    const be = backend as Backend;
    const x = input(5);

    it.each(SPECS)("$label: forward and backward within 1e-4, the same bits twice, no memory kept", ({ label, spec }) => {
      const reference = pass(createPooler(spec, dims, { seed: 3 }), x);
      const pooler = createPooler(spec, dims, { seed: 3, backend: be });
      const before = be.memoryInUse();
      const first = pass(pooler, x);
      expect(be.memoryInUse(), `${label}: backend memory after forward + backward`).toBe(before);
      expectPassClose(first, reference, `${backendLabel} ${label}`);
      expectSameBits(pass(pooler, x), first, `${backendLabel} ${label} run 2`);
    });

    it.each(HEAD_KINDS.map((kind) => ({ kind })))("$kind head: logits, dx and parameter gradients within 1e-4, the same bits twice", ({ kind }) => {
      const D = 29;
      const k = 3;
      const xs = { data: new Rng(2).fillNormal(new Float32Array(7 * D), 1), shape: [7, D] };
      const dLogits = { data: new Rng(4).fillNormal(new Float32Array(7 * k), 1), shape: [7, k] };
      const run = (options: { backend?: Backend }): { logits: FloatArray; dx: FloatArray; d: Map<string, Tensor<FloatArray>> } => {
        const head = createHead(kind, D, k, { seed: 1, ...options });
        const out = head.forward(xs);
        const g = head.backward(out, dLogits);
        return { logits: out.logits.data, dx: g.dx.data, d: g.dParameters };
      };
      const [want, got, again] = [run({}), run({ backend: be }), run({ backend: be })];
      expectClose(got.logits, want.logits, ATOL, `${kind} logits`);
      expectClose(got.dx, want.dx, ATOL, `${kind} dx`);
      for (const [name, t] of want.d) expectClose(got.d.get(name)!.data, t.data, ATOL, `${kind} d ${name}`);
      expect(again.logits).toEqual(got.logits);
      expect(again.dx).toEqual(got.dx);
      for (const [name, t] of got.d) expect(again.d.get(name)!.data, name).toEqual(t.data);
    });
  });
}

/** A backend that counts the calls of each method and runs them on `inner` (not a JsBackend, so modules use the seam). */
function counting(inner: Backend): { backend: Backend; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const backend = new Proxy({} as Backend, {
    get(_, prop) {
      const value = (inner as unknown as Record<string | symbol, unknown>)[prop];
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(inner, args);
      };
    },
  });
  return { backend, calls };
}

describe("which kernels a module runs", () => {
  const x = input(5);
  const L = dims.numLayers;

  it("lstm: one backend LSTM step per layer each way, weights uploaded once per pass, the reference's bits through the js kernels", () => {
    const { backend, calls } = counting(jsBackend);
    const got = pass(createPooler({ type: "lstm", hiddenSize: 6 }, dims, { seed: 2, backend }), x);
    expect(calls.get("lstmCellForward")).toBe(L);
    expect(calls.get("lstmCellBackward")).toBe(L);
    // uploaded per step: x, hPrev, cPrev (forward), 10 arrays (backward); once per pass: the 4 parameters
    // (forward), the 2 weights and the 4 gradients (backward); h, c and gates are allocated, not uploaded
    expect(calls.get("upload")).toBe(L * 3 + 4 + L * 10 + 2 + 4);
    expect(calls.get("alloc")).toBe(L * 3);
    expect(calls.get("free")).toBe(calls.get("upload")! + calls.get("alloc")!);
    expectSameBits(got, pass(createPooler({ type: "lstm", hiddenSize: 6 }, dims, { seed: 2 }), x), "lstm via the js kernels");
  });

  it("attention pooler and classification head: their linear layers on the backend", () => {
    const { backend, calls } = counting(jsBackend);
    const got = pass(createPooler({ type: "attention", hiddenSize: 7 }, dims, { seed: 2, backend }), x);
    expect([calls.get("linear"), calls.get("weight"), calls.get("linearBackward")]).toEqual([2, 2, 2]);
    expectSameBits(got, pass(createPooler({ type: "attention", hiddenSize: 7 }, dims, { seed: 2 }), x), "attention via the js kernels");
    const head = createHead("classification", H, 2, { backend });
    head.backward(head.forward({ data: new Float32Array(3 * H).fill(0.5), shape: [3, H] }), { data: new Float32Array(6).fill(1), shape: [3, 2] });
    expect([calls.get("linear"), calls.get("linearBackward")]).toEqual([4, 4]);
  });

  it("Float64 modules (gradient checks), a js backend and no backend run the reference kernels, never the seam", () => {
    const { backend, calls } = counting(jsBackend);
    const states = x.hiddenStates.map((h) => ({ data: Float64Array.from(h.data), shape: h.shape }));
    const p64 = createPooler("lstm", dims, { seed: 1, dtype: "float64", backend });
    p64.forward({ hiddenStates: states, attentionMask: x.attentionMask });
    expect(calls.size).toBe(0);
    expect(moduleKernels(jsBackend, "float32")).toBe(referenceKernels);
    expect(moduleKernels(undefined, "float32")).toBe(referenceKernels);
    expect(moduleKernels(backend, "float32")).not.toBe(referenceKernels);
  });
});
