// The inputs every system gets, made from seeds so that each child process builds the same ones, and the
// parity check of a system's output against the reference.
// Legend: B batch, T tokens, H hidden, V vocab.
import { Rng } from "../../src/tensor/random.js";
import type { Parity, Shape } from "./systems.js";

export interface BenchInputs {
  inputIds: Int32Array; // [B,T]
  attentionMask: Int32Array; // [B,T]
  batchSize: number;
  seqLen: number;
}

const BOS = 0;
const PAD = 1;
const EOS = 2;

/** B rows of T tokens, none padding: <s>, T − 2 random ids from [3, V), </s>. Same seed, same ids. */
export function benchInputs({ B, T }: Shape, vocabSize: number): BenchInputs {
  const rng = new Rng(1_000_003 * B + T);
  const inputIds = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) inputIds[b * T + t] = t === 0 ? BOS : t === T - 1 ? EOS : 3 + rng.int(vocabSize - 3);
  }
  return { inputIds, attentionMask: new Int32Array(B * T).fill(1), batchSize: B, seqLen: T };
}

/** The parity input: 2 × 16 tokens, the second row with 5 padding tokens at the end (mask 0, pad id). */
export function checkInputs(vocabSize: number): BenchInputs {
  const inputs = benchInputs({ B: 2, T: 16 }, vocabSize);
  for (let t = 11; t < 16; t++) {
    inputs.inputIds[16 + t] = t === 11 ? EOS : PAD;
    inputs.attentionMask[16 + t] = t === 11 ? 1 : 0;
  }
  return inputs;
}

// pooled[b,:] = Σ_t mask[b,t]·x[b,t,:] / Σ_t mask[b,t]
function meanPool(x: Float32Array, mask: Int32Array, B: number, T: number, H: number): Float64Array {
  const out = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (mask[b * T + t] === 0) continue;
      count++;
      for (let h = 0; h < H; h++) out[b * H + h] = out[b * H + h]! + x[(b * T + t) * H + h]!;
    }
    for (let h = 0; h < H; h++) out[b * H + h] = out[b * H + h]! / count;
  }
  return out;
}

/** Max |a − b| over last_hidden_state [B,T,H], and the smallest cosine of the rows' mean-pooled vectors. */
export function parity(a: Float32Array, b: Float32Array, inputs: BenchInputs): Parity {
  if (a.length !== b.length) throw new Error(`parity: outputs have ${a.length} and ${b.length} elements`);
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    maxAbsDiff = Number.isNaN(d) ? NaN : Math.max(maxAbsDiff, d);
  }
  const { batchSize: B, seqLen: T, attentionMask } = inputs;
  const H = a.length / (B * T);
  const pa = meanPool(a, attentionMask, B, T, H);
  const pb = meanPool(b, attentionMask, B, T, H);
  let minCosine = 1;
  for (let r = 0; r < B; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let h = 0; h < H; h++) {
      dot += pa[r * H + h]! * pb[r * H + h]!;
      na += pa[r * H + h]! ** 2;
      nb += pb[r * H + h]! ** 2;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
  }
  return { maxAbsDiff, minCosine };
}
