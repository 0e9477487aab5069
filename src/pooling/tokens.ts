// Kernels over the token (or layer) axis that several poolers share, each forward beside its backward:
// a weighted sum of token vectors, the masked max, the first token of a layer, and column blocks of a
// pooled matrix. Backward kernels accumulate (+=) into buffers their caller owns.
// Legend: B batch, T tokens (or L layers, for the poolers that attend over layers), H hidden, D width.
import type { FloatArray } from "../tensor/tensor.js";

/** n[b], the number of real tokens in each row of the mask [B,T]. */
export function realTokenCounts(mask: Int32Array, B: number, T: number): Int32Array {
  const n = new Int32Array(B);
  // n[b] = Σ_t mask[b,t]
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) n[b]! += mask[b * T + t]!;
  return n;
}

/** out[b,:] = Σ_t w[b,t] · x[b,t,:].  x: [B,T,H], w: [B,T] -> out: [B,H] */
export function weightedTokensForward(out: FloatArray, x: FloatArray, w: FloatArray, B: number, T: number, H: number): void {
  out.fill(0, 0, B * H);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t]!;
      if (wt === 0) continue;
      const xRow = (b * T + t) * H;
      for (let h = 0; h < H; h++) out[b * H + h]! += wt * x[xRow + h]!;
    }
  }
}

/** dx[b,t,:] += w[b,t] · dOut[b,:].  dOut: [B,H] -> dx: [B,T,H] */
export function weightedTokensBackward(dx: FloatArray, dOut: FloatArray, w: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const wt = w[b * T + t]!;
      if (wt === 0) continue;
      const xRow = (b * T + t) * H;
      for (let h = 0; h < H; h++) dx[xRow + h]! += wt * dOut[b * H + h]!;
    }
  }
}

/** The weights' side of the same sum, for learned weights: dw[b,t] += x[b,t,:] · dOut[b,:].  -> dw: [B,T] */
export function weightedTokensWeightGrad(dw: FloatArray, x: FloatArray, dOut: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let h = 0; h < H; h++) s += x[(b * T + t) * H + h]! * dOut[b * H + h]!;
      dw[b * T + t]! += s;
    }
  }
}

/** out[b,h] = max over real t of x[b,t,h]; argmax[b,h] = that t.  x: [B,T,H] -> out: [B,H] */
export function maskedMaxForward(out: FloatArray, argmax: Int32Array, x: FloatArray, mask: Int32Array, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let best = -Infinity;
      let at = -1;
      for (let t = 0; t < T; t++) {
        if (mask[b * T + t] !== 1) continue;
        const v = x[(b * T + t) * H + h]!;
        if (at < 0 || v > best) {
          best = v;
          at = t;
        }
      }
      out[b * H + h] = best;
      argmax[b * H + h] = at;
    }
  }
}

/** dx[b, argmax[b,h], h] += dOut[b,h].  dOut: [B,H] -> dx: [B,T,H] */
export function maskedMaxBackward(dx: FloatArray, dOut: FloatArray, argmax: Int32Array, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) dx[(b * T + argmax[b * H + h]!) * H + h]! += dOut[b * H + h]!;
  }
}

/** out[b,:] = x[b,0,:].  x: [B,T,H] -> out: [B,H] */
export function gatherFirstToken(out: FloatArray, x: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) out[b * H + h] = x[b * T * H + h]!;
}

/** dx[b,0,:] += dOut[b,:].  dOut: [B,H] -> dx: [B,T,H] */
export function scatterFirstToken(dx: FloatArray, dOut: FloatArray, B: number, T: number, H: number): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) dx[b * T * H + h]! += dOut[b * H + h]!;
}

/** 1, 2, …, L: the encoder layers proper (hidden state 0, the embeddings output, is left out). */
export function encoderLayers(numLayers: number): number[] {
  return Array.from({ length: numLayers }, (_, i) => i + 1);
}

/** Copies part [B,w] into columns offset..offset+w of out [B,D]. */
export function writeColumns(out: FloatArray, D: number, offset: number, part: FloatArray, B: number, w: number): void {
  for (let b = 0; b < B; b++) for (let j = 0; j < w; j++) out[b * D + offset + j] = part[b * w + j]!;
}

/** Copies columns offset..offset+w of src [B,D] into a new array [B,w]. */
export function readColumns(src: FloatArray, D: number, offset: number, B: number, w: number, alloc: (n: number) => FloatArray): FloatArray {
  const part = alloc(B * w);
  for (let b = 0; b < B; b++) for (let j = 0; j < w; j++) part[b * w + j] = src[b * D + offset + j]!;
  return part;
}
