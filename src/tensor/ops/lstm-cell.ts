// One step of torch.nn.LSTM (gate order i, f, g, o). Legend: B batch, in input size, hid hidden size.
// x: [B,in]; hPrev, cPrev, h, c: [B,hid]; gates: [B,4·hid] post-activation (i | f | g | o per row);
// weightIh: [4·hid,in] (lstm.weight_ih_l0); weightHh: [4·hid,hid] (lstm.weight_hh_l0); biasIh, biasHh: [4·hid].
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";
import { gemmTransBTiled, scratchLike } from "./gemm-kernel.js";
import { linearBackward } from "./linear.js";
import { sigmoid } from "./sigmoid.js";

function checkCell(
  fn: string, x: FloatArray, hPrev: FloatArray, cPrev: FloatArray, weightIh: FloatArray, weightHh: FloatArray,
  B: number, inputSize: number, hiddenSize: number,
): void {
  checkSize(fn, "x", x, [B, inputSize], "[B,in]");
  checkSize(fn, "hPrev", hPrev, [B, hiddenSize], "[B,hid]");
  checkSize(fn, "cPrev", cPrev, [B, hiddenSize], "[B,hid]");
  checkSize(fn, "weightIh", weightIh, [4 * hiddenSize, inputSize], "[4·hid,in]");
  checkSize(fn, "weightHh", weightHh, [4 * hiddenSize, hiddenSize], "[4·hid,hid]");
}

/**
 * Forward of one LSTM step: a = x·W_ihᵀ + b_ih + hPrev·W_hhᵀ + b_hh, split into i, f, g, o;
 * i, f, o = σ(·), g = tanh(·); c = f ⊙ cPrev + i ⊙ g; h = o ⊙ tanh(c). Writes h, c and gates (kept for backward).
 */
export function lstmCellForward(
  h: FloatArray, c: FloatArray, gates: FloatArray,
  x: FloatArray, hPrev: FloatArray, cPrev: FloatArray,
  weightIh: FloatArray, weightHh: FloatArray, biasIh: FloatArray, biasHh: FloatArray,
  B: number, inputSize: number, hiddenSize: number,
): void {
  const fn = "lstmCellForward";
  checkCell(fn, x, hPrev, cPrev, weightIh, weightHh, B, inputSize, hiddenSize);
  checkSize(fn, "biasIh", biasIh, [4 * hiddenSize], "[4·hid]");
  checkSize(fn, "biasHh", biasHh, [4 * hiddenSize], "[4·hid]");
  checkSize(fn, "h", h, [B, hiddenSize], "[B,hid]");
  checkSize(fn, "c", c, [B, hiddenSize], "[B,hid]");
  checkSize(fn, "gates", gates, [B, 4 * hiddenSize], "[B,4·hid]");
  const H = hiddenSize;
  // a = x·W_ihᵀ + b_ih into gates, and hh = hPrev·W_hhᵀ + b_hh: [B,4·hid], both by the tiled kernel
  gemmTransBTiled(gates, x, weightIh, B, inputSize, 4 * H, biasIh);
  const hh = scratchLike(gates, B * 4 * H);
  gemmTransBTiled(hh, hPrev, weightHh, B, H, 4 * H, biasHh);
  for (let b = 0; b < B; b++) {
    const g0 = b * 4 * H;
    // i, f, o = σ(a + hh); g = tanh(a + hh)
    for (let r = 0; r < 4 * H; r++) {
      const s = gates[g0 + r]! + hh[g0 + r]!;
      gates[g0 + r] = r >= 2 * H && r < 3 * H ? Math.tanh(s) : sigmoid(s);
    }
    // c = f ⊙ cPrev + i ⊙ g; h = o ⊙ tanh(c)
    for (let j = 0; j < H; j++) {
      const cj = gates[g0 + H + j]! * cPrev[b * H + j]! + gates[g0 + j]! * gates[g0 + 2 * H + j]!;
      c[b * H + j] = cj;
      h[b * H + j] = gates[g0 + 3 * H + j]! * Math.tanh(cj);
    }
  }
}

/**
 * Backward of one LSTM step; accumulates (+=) into every gradient buffer (dx may be null).
 * dh, dc: gradients arriving at this step's h and c (dc may already hold the next step's flow);
 * c: this step's cell state from forward; gates: the post-activation gates from forward.
 */
export function lstmCellBackward(
  dx: FloatArray | null, dhPrev: FloatArray, dcPrev: FloatArray,
  dWeightIh: FloatArray, dWeightHh: FloatArray, dBiasIh: FloatArray, dBiasHh: FloatArray,
  dh: FloatArray, dc: FloatArray, gates: FloatArray, c: FloatArray, cPrev: FloatArray,
  x: FloatArray, hPrev: FloatArray, weightIh: FloatArray, weightHh: FloatArray,
  B: number, inputSize: number, hiddenSize: number,
): void {
  const fn = "lstmCellBackward";
  checkCell(fn, x, hPrev, cPrev, weightIh, weightHh, B, inputSize, hiddenSize);
  const H = hiddenSize;
  if (dx !== null) checkSize(fn, "dx", dx, [B, inputSize], "[B,in]");
  for (const [name, a] of [["dhPrev", dhPrev], ["dcPrev", dcPrev], ["dh", dh], ["dc", dc], ["c", c]] as const) {
    checkSize(fn, name, a, [B, H], "[B,hid]");
  }
  checkSize(fn, "gates", gates, [B, 4 * H], "[B,4·hid]");
  checkSize(fn, "dWeightIh", dWeightIh, [4 * H, inputSize], "[4·hid,in]");
  checkSize(fn, "dWeightHh", dWeightHh, [4 * H, H], "[4·hid,hid]");
  checkSize(fn, "dBiasIh", dBiasIh, [4 * H], "[4·hid]");
  checkSize(fn, "dBiasHh", dBiasHh, [4 * H], "[4·hid]");
  // dGates: [B,4·hid] gradient of the pre-activation gates (i | f | g | o per row)
  const dGates = scratchLike(gates, B * 4 * H);
  for (let b = 0; b < B; b++) {
    const g0 = b * 4 * H;
    for (let j = 0; j < H; j++) {
      const i = gates[g0 + j]!, f = gates[g0 + H + j]!, g = gates[g0 + 2 * H + j]!, o = gates[g0 + 3 * H + j]!;
      const tc = Math.tanh(c[b * H + j]!);
      // dcTotal = dc + dh ⊙ o ⊙ (1 − tanh²(c)); dcPrev += dcTotal ⊙ f
      const dcTotal = dc[b * H + j]! + dh[b * H + j]! * o * (1 - tc * tc);
      dcPrev[b * H + j]! += dcTotal * f;
      // through the nonlinearities: σ' = s(1 − s), tanh' = 1 − t²
      dGates[g0 + j] = dcTotal * g * i * (1 - i);
      dGates[g0 + H + j] = dcTotal * cPrev[b * H + j]! * f * (1 - f);
      dGates[g0 + 2 * H + j] = dcTotal * i * (1 - g * g);
      dGates[g0 + 3 * H + j] = dh[b * H + j]! * tc * o * (1 - o);
    }
  }
  // the pre-activation a = x·W_ihᵀ + b_ih + hPrev·W_hhᵀ + b_hh is two linear layers over the same dGates:
  // dx += dGates·W_ih, dW_ih += dGatesᵀ·x, dBiasIh += Σ_b dGates; likewise hPrev, W_hh, b_hh
  linearBackward(dx, dWeightIh, dBiasIh, dGates, x, weightIh, B, inputSize, 4 * H);
  linearBackward(dhPrev, dWeightHh, dBiasHh, dGates, hPrev, weightHh, B, H, 4 * H);
}
