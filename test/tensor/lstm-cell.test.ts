// lstmCellForward / lstmCellBackward over several steps (BPTT): PyTorch nn.LSTMCell values and gradients
// of x, h0, c0 and all four parameters, then finite differences in Float64.
import { describe, expect, it } from "vitest";
import { lstmCellBackward, lstmCellForward } from "../../src/tensor/ops/lstm-cell.js";
import { expectClose } from "../helpers.js";
import { checkGradient, loadFixture, randomF64 } from "./support.js";

interface LstmCase {
  B: number; in: number; hid: number; steps: number;
  x: number[]; h0: number[]; c0: number[]; weight_ih: number[]; weight_hh: number[]; bias_ih: number[]; bias_hh: number[];
  h: number[]; c: number[]; dH: number[]; dCLast: number[];
  dx: number[]; dh0: number[]; dc0: number[]; dWeight_ih: number[]; dWeight_hh: number[]; dBias_ih: number[]; dBias_hh: number[];
}

/** Every array of one LSTM run, in one element type. x: [steps,B,in]; h0, c0: [B,hid]; dH: [steps,B,hid]. */
interface Run {
  B: number; inputSize: number; H: number; steps: number;
  x: Float64Array; h0: Float64Array; c0: Float64Array;
  wIh: Float64Array; wHh: Float64Array; bIh: Float64Array; bHh: Float64Array;
  dH: Float64Array; dCLast: Float64Array;
}

/** Forward over all steps; loss = Σ_t h_t · dH[t] + c_T · dCLast. Returns states for backward. */
function forward(r: Run): { loss: number; hs: Float64Array[]; cs: Float64Array[]; gates: Float64Array[] } {
  const { B, inputSize, H } = r;
  const hs = [r.h0], cs = [r.c0], gates: Float64Array[] = [];
  let loss = 0;
  for (let t = 0; t < r.steps; t++) {
    const h = new Float64Array(B * H), c = new Float64Array(B * H), g = new Float64Array(B * 4 * H);
    const xt = r.x.subarray(t * B * inputSize, (t + 1) * B * inputSize);
    lstmCellForward(h, c, g, xt, hs[t]!, cs[t]!, r.wIh, r.wHh, r.bIh, r.bHh, B, inputSize, H);
    for (let i = 0; i < B * H; i++) loss += h[i]! * r.dH[t * B * H + i]!;
    hs.push(h);
    cs.push(c);
    gates.push(g);
  }
  for (let i = 0; i < B * H; i++) loss += cs[r.steps]![i]! * r.dCLast[i]!;
  return { loss, hs, cs, gates };
}

interface Grads { dx: Float64Array; dh0: Float64Array; dc0: Float64Array; dWIh: Float64Array; dWHh: Float64Array; dBIh: Float64Array; dBHh: Float64Array }

/** Backpropagation through time with lstmCellBackward, accumulating into `g` (which may be prefilled). */
function backward(r: Run, g: Grads): void {
  const { B, inputSize, H } = r;
  const { hs, cs, gates } = forward(r);
  let dhNext: Float64Array = new Float64Array(B * H);
  let dcNext: Float64Array = Float64Array.from(r.dCLast);
  for (let t = r.steps - 1; t >= 0; t--) {
    // dh_t = dH[t] + flow from step t+1; dc_t = flow from step t+1 (plus dCLast at the last step)
    const dh = r.dH.slice(t * B * H, (t + 1) * B * H);
    for (let i = 0; i < B * H; i++) dh[i]! += dhNext[i]!;
    const dhPrev = t === 0 ? g.dh0 : new Float64Array(B * H);
    const dcPrev = t === 0 ? g.dc0 : new Float64Array(B * H);
    const dxt = g.dx.subarray(t * B * inputSize, (t + 1) * B * inputSize);
    lstmCellBackward(dxt, dhPrev, dcPrev, g.dWIh, g.dWHh, g.dBIh, g.dBHh, dh, dcNext, gates[t]!, cs[t + 1]!, cs[t]!,
      r.x.subarray(t * B * inputSize, (t + 1) * B * inputSize), hs[t]!, r.wIh, r.wHh, B, inputSize, H);
    dhNext = dhPrev;
    dcNext = dcPrev;
  }
}

function zeroGrads(r: Run): Grads {
  const z = (a: Float64Array): Float64Array => new Float64Array(a.length);
  return { dx: z(r.x), dh0: z(r.h0), dc0: z(r.c0), dWIh: z(r.wIh), dWHh: z(r.wHh), dBIh: z(r.bIh), dBHh: z(r.bHh) };
}

describe("LSTM cell golden values (PyTorch nn.LSTMCell, 3 steps)", () => {
  const c = loadFixture<LstmCase>("lstm");
  const f = (v: number[]): Float64Array => Float64Array.from(v);
  const run: Run = {
    B: c.B, inputSize: c.in, H: c.hid, steps: c.steps, x: f(c.x), h0: f(c.h0), c0: f(c.c0),
    wIh: f(c.weight_ih), wHh: f(c.weight_hh), bIh: f(c.bias_ih), bHh: f(c.bias_hh), dH: f(c.dH), dCLast: f(c.dCLast),
  };
  it("h and c at every step", () => {
    const { hs, cs } = forward(run);
    const cat = (xs: Float64Array[]): number[] => xs.slice(1).flatMap((a) => Array.from(a));
    expectClose(cat(hs), c.h, 1e-6, "h");
    expectClose(cat(cs), c.c, 1e-6, "c");
  });
  it("gradients of x, h0, c0 and all four parameters", () => {
    const g = zeroGrads(run);
    backward(run, g);
    expectClose(g.dx, c.dx, 1e-6, "dx");
    expectClose(g.dh0, c.dh0, 1e-6, "dh0");
    expectClose(g.dc0, c.dc0, 1e-6, "dc0");
    expectClose(g.dWIh, c.dWeight_ih, 1e-6, "dWeight_ih");
    expectClose(g.dWHh, c.dWeight_hh, 1e-6, "dWeight_hh");
    expectClose(g.dBIh, c.dBias_ih, 1e-6, "dBias_ih");
    expectClose(g.dBHh, c.dBias_hh, 1e-6, "dBias_hh");
  });
});

/** Gradient of every input and parameter of a `steps`-step run against central finite differences. */
function finiteDifferenceSuite(B: number, inputSize: number, H: number, steps: number, seed: number): void {
  const run: Run = {
    B, inputSize, H, steps, x: randomF64(steps * B * inputSize, seed), h0: randomF64(B * H, seed + 1, 0.5),
    c0: randomF64(B * H, seed + 2, 0.5), wIh: randomF64(4 * H * inputSize, seed + 3), wHh: randomF64(4 * H * H, seed + 4),
    bIh: randomF64(4 * H, seed + 5), bHh: randomF64(4 * H, seed + 6), dH: randomF64(steps * B * H, seed + 7), dCLast: randomF64(B * H, seed + 8),
  };
  const loss = (): number => forward(run).loss;
  const keys: [keyof Grads, Float64Array][] = [
    ["dx", run.x], ["dh0", run.h0], ["dc0", run.c0], ["dWIh", run.wIh], ["dWHh", run.wHh], ["dBIh", run.bIh], ["dBHh", run.bHh],
  ];
  for (const [key, param] of keys) {
    it(key, () => checkGradient(key, param, loss, (grad) => {
      const g = zeroGrads(run);
      g[key] = grad;
      backward(run, g);
    }));
  }
}

describe("LSTM cell backward vs finite differences (Float64, 4 steps)", () => finiteDifferenceSuite(2, 3, 2, 4, 61));

// B ≥ 3 and sizes off the 3×4 tile: the tiled paths of the four gradient products
describe("LSTM cell backward vs finite differences (Float64, B = 5, in = 7, hid = 3, 2 steps)", () => finiteDifferenceSuite(5, 7, 3, 2, 81));

describe("LSTM cell on a long sequence with large inputs", () => {
  it("stays finite with |h| ≤ 1 over 500 steps, and gradients flow back finite", () => {
    const B = 1, inputSize = 2, H = 3, steps = 500;
    const run: Run = {
      B, inputSize, H, steps, x: randomF64(steps * B * inputSize, 71, 50), h0: new Float64Array(B * H), c0: new Float64Array(B * H),
      wIh: randomF64(4 * H * inputSize, 72, 3), wHh: randomF64(4 * H * H, 73, 3), bIh: randomF64(4 * H, 74), bHh: randomF64(4 * H, 75),
      dH: randomF64(steps * B * H, 76), dCLast: randomF64(B * H, 77),
    };
    const { hs, cs } = forward(run);
    expect(hs.every((h) => h.every((v) => Math.abs(v) <= 1)), "|h| ≤ 1").toBe(true);
    expect(cs.every((c) => c.every(Number.isFinite)), "c finite").toBe(true);
    const g = zeroGrads(run);
    backward(run, g);
    expect(Object.values(g).every((a: Float64Array) => a.every(Number.isFinite)), "gradients finite").toBe(true);
  });
});
