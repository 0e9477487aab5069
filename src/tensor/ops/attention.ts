// Multi-head self-attention over a packed qkv, the readable reference of the fused attention kernels (the
// wasm engine's, and any backend's). Legend: B batch, T tokens, nh heads, hd head size, H = nh·hd.
// qkv: [B,T,3H] (q | k | v on the last axis, head h in columns h·hd..(h+1)·hd of each); maskAdd: [B,T], 0 for
// a real key and float32's minimum for padding; ctx: [B,T,H]; probs: [B,nh,T,T].
import { checkSize } from "./check.js";
import { softmaxBackward, softmaxForward } from "./softmax.js";

function checkAttention(fn: string, qkv: Float32Array, B: number, T: number, nh: number, hd: number): void {
  checkSize(fn, "qkv", qkv, [B, T, 3 * nh * hd], "[B,T,3H]");
}

/**
 * ctx[b,:,h·hd:(h+1)·hd] = softmax(q·kᵀ·scale + maskAdd[b,:])·v for every (b, h); probs (when given) keeps
 * the softmax for backward. A row whose keys are all padding has equal scores and comes out uniform, as in HF.
 */
export function attentionForward(
  ctx: Float32Array, probs: Float32Array | null, qkv: Float32Array, maskAdd: Float32Array,
  B: number, T: number, nh: number, hd: number, scale: number,
): void {
  checkAttention("attentionForward", qkv, B, T, nh, hd);
  const H = nh * hd;
  checkSize("attentionForward", "maskAdd", maskAdd, [B, T], "[B,T]");
  checkSize("attentionForward", "ctx", ctx, [B, T, H], "[B,T,H]");
  if (probs !== null) checkSize("attentionForward", "probs", probs, [B, nh, T, T], "[B,nh,T,T]");
  const scores = new Float32Array(T * T);
  const p = new Float32Array(T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const q = (i: number, d: number): number => qkv[(b * T + i) * 3 * H + h * hd + d]!;
      const k = (j: number, d: number): number => qkv[(b * T + j) * 3 * H + H + h * hd + d]!;
      const v = (j: number, d: number): number => qkv[(b * T + j) * 3 * H + 2 * H + h * hd + d]!;
      // scores[i,j] = q[i]·k[j]·scale + maskAdd[b,j]
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q(i, d) * k(j, d);
          scores[i * T + j] = Math.fround(s * scale) + maskAdd[b * T + j]!;
        }
      }
      softmaxForward(p, scores, T, T, null);
      if (probs !== null) probs.set(p, (b * nh + h) * T * T);
      // ctx[b,i,h·hd + d] = Σ_j p[i,j]·v[j,d]
      for (let i = 0; i < T; i++) {
        for (let d = 0; d < hd; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += p[i * T + j]! * v(j, d);
          ctx[(b * T + i) * H + h * hd + d] = s;
        }
      }
    }
  }
}

/**
 * Backward of attentionForward from its probs; accumulates (+=) into dqkv [B,T,3H]:
 * dP = dctx·vᵀ, dv += Pᵀ·dctx, dS = softmax backward of dP, dq += dS·k·scale, dk += dSᵀ·q·scale.
 */
export function attentionBackward(
  dqkv: Float32Array, dctx: Float32Array, qkv: Float32Array, probs: Float32Array,
  B: number, T: number, nh: number, hd: number, scale: number,
): void {
  checkAttention("attentionBackward", qkv, B, T, nh, hd);
  const H = nh * hd;
  checkSize("attentionBackward", "dqkv", dqkv, [B, T, 3 * H], "[B,T,3H]");
  checkSize("attentionBackward", "dctx", dctx, [B, T, H], "[B,T,H]");
  checkSize("attentionBackward", "probs", probs, [B, nh, T, T], "[B,nh,T,T]");
  const dP = new Float32Array(T * T);
  const dS = new Float32Array(T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      const p = probs.subarray((b * nh + h) * T * T, (b * nh + h + 1) * T * T);
      const at = (t: number, part: number, d: number): number => (b * T + t) * 3 * H + part * H + h * hd + d;
      const dc = (i: number, d: number): number => dctx[(b * T + i) * H + h * hd + d]!;
      // dP[i,j] = Σ_d dctx[i,d]·v[j,d]; dv[j,d] += Σ_i p[i,j]·dctx[i,d]
      for (let i = 0; i < T; i++) {
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += dc(i, d) * qkv[at(j, 2, d)]!;
          dP[i * T + j] = s;
        }
      }
      for (let j = 0; j < T; j++) {
        for (let d = 0; d < hd; d++) {
          let s = 0;
          for (let i = 0; i < T; i++) s += p[i * T + j]! * dc(i, d);
          dqkv[at(j, 2, d)]! += s;
        }
      }
      // dS = P ⊙ (dP − rowsum(dP ⊙ P)); dq[i] += scale · Σ_j dS[i,j]·k[j]; dk[j] += scale · Σ_i dS[i,j]·q[i]
      dS.fill(0);
      softmaxBackward(dS, dP, p, T, T);
      for (let i = 0; i < T; i++) {
        for (let d = 0; d < hd; d++) {
          let sq = 0, sk = 0;
          for (let j = 0; j < T; j++) {
            sq += dS[i * T + j]! * qkv[at(j, 1, d)]!;
            sk += dS[j * T + i]! * qkv[at(j, 0, d)]!;
          }
          dqkv[at(i, 0, d)]! += scale * sq;
          dqkv[at(i, 1, d)]! += scale * sk;
        }
      }
    }
  }
}
