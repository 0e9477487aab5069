// Multi-head scaled dot-product self-attention over packed projections, as HF's eager RobertaSelfAttention
// computes it after its three Linear layers. Legend: B batch, T tokens, nh heads, hd head size, H = nh·hd.
// qkv: [B,T,3H], q | k | v along the last axis, head h at columns h·hd .. (h+1)·hd of each third;
// maskAdd: [B,T], added to every query's scores (0 for real keys, float32's minimum for padding);
// ctx: [B,T,H], heads side by side; probs: [B,nh,T,T], the softmax kept for backward (optional).
// Per (b,h) block:  S = q·kᵀ·scale + maskAdd[b]   P = softmax(S) by rows   ctx = P·v
// Attention dropout (training): dropMask [B,nh,T,T] holds 0 or 1/(1-p) per probability; then ctx = (P ⊙ M)·v,
// and probs keeps P itself (the softmax backward needs it).
//
// Why the fast one is fast: each (b,h) block copies its q, k rows and vᵀ (strided in qkv) into small
// contiguous panels once — O(T·hd), next to the O(T²·hd) products — so both products run on the tiled
// a·bᵀ kernel of gemm-kernel.ts, and only one [T,T] block of scores exists at a time (no [B,nh,T,hd]
// splitHeads copies of the whole batch). Measured at B 1, T 128, 12 heads of 64: 69 ms tiled, 339 ms
// naive (4.9×, on a busy 2-core machine; the ratio is what holds).
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";
import { gemmAccumulate, gemmTransAAccumulate, gemmTransBTiled, scratchLike } from "./gemm-kernel.js";
import { softmaxBackward, softmaxForward } from "./softmax.js";

function checkAttention(
  fn: string, ctx: FloatArray, probs: FloatArray | null, qkv: FloatArray, maskAdd: FloatArray | null,
  B: number, T: number, nh: number, hd: number, names = { ctx: "ctx" },
): void {
  checkSize(fn, "qkv", qkv, [B, T, 3 * nh * hd], "[B,T,3H]");
  checkSize(fn, names.ctx, ctx, [B, T, nh * hd], "[B,T,H]");
  if (maskAdd !== null) checkSize(fn, "maskAdd", maskAdd, [B, T], "[B,T]");
  if (probs !== null) checkSize(fn, "probs", probs, [B, nh, T, T], "[B,nh,T,T]");
}

/**
 * head[t,d] = qkv[b,t, part·H + h·hd + d] for part 0 (q), 1 (k), 2 (v): one head's rows, contiguous [T,hd].
 * With `transposed`, written as [hd,T] instead (vᵀ, so that P·v is an a·bᵀ product).
 */
function gatherHead(
  head: FloatArray, qkv: FloatArray, b: number, h: number, part: number, T: number, H: number, hd: number, transposed: boolean,
): void {
  for (let t = 0; t < T; t++) {
    const src = (b * T + t) * 3 * H + part * H + h * hd;
    for (let d = 0; d < hd; d++) {
      if (transposed) head[d * T + t] = qkv[src + d]!;
      else head[t * hd + d] = qkv[src + d]!;
    }
  }
}

/** qkv[b,t, part·H + h·hd + d] += head[t,d]: the inverse of gatherHead, accumulating. */
function scatterAddHead(
  qkv: FloatArray, head: FloatArray, b: number, h: number, part: number, T: number, H: number, hd: number,
): void {
  for (let t = 0; t < T; t++) {
    const dst = (b * T + t) * 3 * H + part * H + h * hd;
    for (let d = 0; d < hd; d++) qkv[dst + d]! += head[t * hd + d]!;
  }
}

/** Fast attention (see the file comment); probs [B,nh,T,T] is filled when not null. */
export function attentionForward(
  ctx: FloatArray, probs: FloatArray | null, qkv: FloatArray, maskAdd: FloatArray,
  B: number, T: number, nh: number, hd: number, scale: number, dropMask: FloatArray | null = null,
): void {
  checkAttention("attentionForward", ctx, probs, qkv, maskAdd, B, T, nh, hd);
  if (dropMask !== null) checkSize("attentionForward", "dropMask", dropMask, [B, nh, T, T], "[B,nh,T,T]");
  const H = nh * hd;
  const q = scratchLike(qkv, T * hd); // [T,hd]
  const k = scratchLike(qkv, T * hd); // [T,hd]
  const vT = scratchLike(qkv, hd * T); // [hd,T]
  const scores = scratchLike(qkv, T * T); // [T,T], one block at a time
  const p = scratchLike(qkv, T * T); // [T,T]
  const dropped = scratchLike(qkv, dropMask === null ? 0 : T * T); // [T,T], P ⊙ M
  const head = scratchLike(qkv, T * hd); // [T,hd]
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      gatherHead(q, qkv, b, h, 0, T, H, hd, false);
      gatherHead(k, qkv, b, h, 1, T, H, hd, false);
      gatherHead(vT, qkv, b, h, 2, T, H, hd, true);
      // S[i,j] = q[i]·k[j]·scale + maskAdd[b,j]; stored in the element type of qkv, so in Float32 a padding
      // key rounds to exactly float32's minimum and a row with no real key becomes uniform (as in HF)
      gemmTransBTiled(scores, q, k, T, hd, T, null);
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) scores[i * T + j] = scores[i * T + j]! * scale + maskAdd[b * T + j]!;
      }
      const block = probs === null ? p : probs.subarray((b * nh + h) * T * T, (b * nh + h + 1) * T * T);
      softmaxForward(block, scores, T, T, null);
      // head[T,hd] = P[T,T]·v[T,hd] (or (P ⊙ M)·v), then ctx[b,:,h·hd:(h+1)·hd] = head
      const used = dropMask === null ? block : dropBlock(dropped, block, dropMask, (b * nh + h) * T * T);
      gemmTransBTiled(head, used, vT, T, T, hd, null);
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * H + h * hd;
        for (let d = 0; d < hd; d++) ctx[row + d] = head[t * hd + d]!;
      }
    }
  }
}

/** Reference attention, plain loops over (b, h, i): the same math and the same rounding points. */
export function attentionNaive(
  ctx: FloatArray, probs: FloatArray | null, qkv: FloatArray, maskAdd: FloatArray,
  B: number, T: number, nh: number, hd: number, scale: number, dropMask: FloatArray | null = null,
): void {
  checkAttention("attentionNaive", ctx, probs, qkv, maskAdd, B, T, nh, hd);
  if (dropMask !== null) checkSize("attentionNaive", "dropMask", dropMask, [B, nh, T, T], "[B,nh,T,T]");
  const H = nh * hd;
  const row = scratchLike(qkv, T); // scores of one query, then its probabilities
  const at = (b: number, t: number, part: number, h: number): number => (b * T + t) * 3 * H + part * H + h * hd;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      for (let i = 0; i < T; i++) {
        // S[i,j] = round(round(q[i]·k[j])·scale + maskAdd[b,j])
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += qkv[at(b, i, 0, h) + d]! * qkv[at(b, j, 1, h) + d]!;
          row[j] = s;
          row[j] = row[j]! * scale + maskAdd[b * T + j]!;
        }
        softmaxForward(row, row, 1, T, null);
        if (probs !== null) probs.set(row, ((b * nh + h) * T + i) * T);
        // P[i,j] ⊙ M[i,j] under attention dropout
        if (dropMask !== null) for (let j = 0; j < T; j++) row[j] = row[j]! * dropMask[((b * nh + h) * T + i) * T + j]!;
        // ctx[b,i,h·hd + d] = Σ_j P[i,j] · v[j,d]
        for (let d = 0; d < hd; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += row[j]! * qkv[at(b, j, 2, h) + d]!;
          ctx[(b * T + i) * H + h * hd + d] = s;
        }
      }
    }
  }
}

/** out[T,T] = P ⊙ M for the block of dropMask that starts at `offset`; returns out. */
function dropBlock(out: FloatArray, P: FloatArray, dropMask: FloatArray, offset: number): FloatArray {
  for (let i = 0; i < out.length; i++) out[i] = P[i]! * dropMask[offset + i]!;
  return out;
}

/**
 * Backward of attentionForward from the probs it kept; accumulates (+=) into dqkv [B,T,3H]. Per block:
 * dP = dctx·vᵀ, dv += Pᵀ·dctx, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dq += scale·dS·k, dk += scale·dSᵀ·q.
 * With the forward's dropMask M: dv += (P ⊙ M)ᵀ·dctx and dP = (dctx·vᵀ) ⊙ M.
 */
export function attentionBackward(
  dqkv: FloatArray, dctx: FloatArray, qkv: FloatArray, probs: FloatArray,
  B: number, T: number, nh: number, hd: number, scale: number, dropMask: FloatArray | null = null,
): void {
  checkAttention("attentionBackward", dctx, probs, qkv, null, B, T, nh, hd, { ctx: "dctx" });
  checkSize("attentionBackward", "dqkv", dqkv, [B, T, 3 * nh * hd], "[B,T,3H]");
  if (dropMask !== null) checkSize("attentionBackward", "dropMask", dropMask, [B, nh, T, T], "[B,nh,T,T]");
  const H = nh * hd;
  const q = scratchLike(qkv, T * hd), k = scratchLike(qkv, T * hd), v = scratchLike(qkv, T * hd);
  const dHead = scratchLike(qkv, T * hd); // dctx of one head [T,hd]
  const dP = scratchLike(qkv, T * T), dS = scratchLike(qkv, T * T);
  const dropped = scratchLike(qkv, dropMask === null ? 0 : T * T); // P ⊙ M of one block
  const dq = scratchLike(qkv, T * hd), dk = scratchLike(qkv, T * hd), dv = scratchLike(qkv, T * hd);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const P = probs.subarray((b * nh + h) * T * T, (b * nh + h + 1) * T * T);
      gatherHead(q, qkv, b, h, 0, T, H, hd, false);
      gatherHead(k, qkv, b, h, 1, T, H, hd, false);
      gatherHead(v, qkv, b, h, 2, T, H, hd, false);
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < hd; d++) dHead[t * hd + d] = dctx[(b * T + t) * H + h * hd + d]!;
      }
      // dP[T,T] = dctx[T,hd]·v[T,hd]ᵀ (⊙ M);  dv[T,hd] = P[T,T]ᵀ·dctx[T,hd] (P ⊙ M under dropout)
      const offset = (b * nh + h) * T * T;
      gemmTransBTiled(dP, dHead, v, T, hd, T, null);
      if (dropMask !== null) for (let i = 0; i < T * T; i++) dP[i] = dP[i]! * dropMask[offset + i]!;
      dv.fill(0);
      gemmTransAAccumulate(dv, dropMask === null ? P : dropBlock(dropped, P, dropMask, offset), dHead, T, T, hd);
      // dS = P ⊙ (dP − rowsum(dP ⊙ P)), then · scale (the factor of S = q·kᵀ·scale)
      dS.fill(0);
      softmaxBackward(dS, dP, P, T, T);
      for (let i = 0; i < T * T; i++) dS[i] = dS[i]! * scale;
      // dq[T,hd] = dS·k;  dk[T,hd] = dSᵀ·q
      dq.fill(0);
      gemmAccumulate(dq, dS, k, T, T, hd);
      dk.fill(0);
      gemmTransAAccumulate(dk, dS, q, T, T, hd);
      scatterAddHead(dqkv, dq, b, h, 0, T, H, hd);
      scatterAddHead(dqkv, dk, b, h, 1, T, H, hd);
      scatterAddHead(dqkv, dv, b, h, 2, T, H, hd);
    }
  }
}
