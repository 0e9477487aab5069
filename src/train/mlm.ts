// The data side of masked-language-model pre-training, as RoBERTa and Hugging Face's
// DataCollatorForLanguageModeling do it: documents packed into full rows, 15 % of the tokens chosen,
// and of those 80 % replaced by <mask>, 10 % by a random token and 10 % left as they are; the loss is
// the cross-entropy of the original token at every chosen position. Also the unigram baseline that
// held-out accuracy is measured against. Legend: R rows, T tokens per row, M chosen positions, V vocab.
import { TrainingError } from "../errors.js";
import type { Rng } from "../tensor/random.js";

/** The ids the packing and the masking need. */
export interface MlmVocab {
  vocabSize: number; // V
  bosTokenId: number; // <s>, first of every row
  eosTokenId: number; // </s>, last of every row and between documents
  padTokenId: number;
  maskTokenId: number; // <mask>
  /** Ids never chosen nor drawn as random replacements (<s>, <pad>, </s>, <unk>, <mask>). */
  specialIds: readonly number[];
}

/**
 * RoBERTa's FULL-SENTENCES packing: documents (token ids, no specials) one after another, each
 * followed by </s>, cut into rows of T − 2 tokens with <s> before and </s> after. Every row is full,
 * so no padding is needed; the tail that does not fill a row is dropped. Returns rows [R,T].
 */
export function packDocuments(documents: readonly ArrayLike<number>[], T: number, vocab: MlmVocab): { rows: Int32Array; count: number } {
  if (!Number.isInteger(T) || T < 3) throw new TrainingError(`packDocuments: row length must be an integer >= 3, got ${T}`);
  let total = 0;
  for (const doc of documents) total += doc.length + 1;
  const inner = T - 2;
  const count = Math.floor(total / inner);
  const rows = new Int32Array(count * T);
  let row = 0;
  let col = 0;
  const push = (id: number): void => {
    if (row >= count) return;
    if (col === 0) rows[row * T] = vocab.bosTokenId;
    rows[row * T + 1 + col] = id;
    col++;
    if (col === inner) {
      rows[row * T + T - 1] = vocab.eosTokenId;
      row++;
      col = 0;
    }
  };
  for (const doc of documents) {
    for (let i = 0; i < doc.length; i++) push(doc[i]!);
    push(vocab.eosTokenId);
  }
  return { rows, count };
}

/** One masked batch: the model's input, and the chosen positions with the ids they held. */
export interface MaskedBatch {
  inputIds: Int32Array; // [B,T], with <mask> / random / kept tokens at the chosen positions
  positions: Int32Array; // [M], flat indices b·T + t of the chosen positions, ascending
  labels: Int32Array; // [M], the original ids there
}

/**
 * Chooses each non-special token with probability `probability` (at least one per batch), then for a
 * chosen one draws u: u < 0.8 → <mask>, u < 0.9 → a random non-special id, else it stays. The draws
 * come from `rng` in a fixed order, so a batch repeats exactly from the generator's state.
 */
export function maskTokens(ids: Int32Array, rng: Rng, vocab: MlmVocab, probability = 0.15): MaskedBatch {
  const special = new Set(vocab.specialIds);
  const inputIds = Int32Array.from(ids);
  const chosen: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (rng.next() < probability && !special.has(ids[i]!)) chosen.push(i);
  }
  if (chosen.length === 0) {
    const candidates = [...ids.keys()].filter((i) => !special.has(ids[i]!));
    if (candidates.length === 0) throw new TrainingError("maskTokens: the batch has no token that may be masked");
    chosen.push(candidates[rng.int(candidates.length)]!);
  }
  for (const i of chosen) {
    const u = rng.next();
    if (u < 0.8) inputIds[i] = vocab.maskTokenId;
    else if (u < 0.9) inputIds[i] = randomToken(rng, vocab, special);
  }
  const positions = Int32Array.from(chosen);
  return { inputIds, positions, labels: positions.map((i) => ids[i]!) };
}

function randomToken(rng: Rng, vocab: MlmVocab, special: Set<number>): number {
  for (;;) {
    const id = rng.int(vocab.vocabSize);
    if (!special.has(id)) return id;
  }
}

/** Loss, gradient and hits of the chosen positions. */
export interface MlmLoss {
  /** Mean cross-entropy over the M positions (natural log), as CrossEntropyLoss(ignore_index=-100). */
  loss: number;
  /** d loss / d logits [M,V]. */
  dLogits: Float32Array;
  /** Positions whose highest-scoring id is the label. */
  correct: number;
}

/**
 * The MLM loss of logits [M,V] against labels [M]; accuracy counts argmax hits. One exp per logit
 * (this runs on M·V ≈ 2.5 million values a step: twice as fast as losses.ts's crossEntropyLoss, which
 * it equals; test/train/mlm.test.ts checks that).
 */
export function maskedLmLoss(logits: Float32Array, labels: Int32Array, V: number): MlmLoss {
  const M = labels.length;
  if (logits.length !== M * V) throw new TrainingError(`maskedLmLoss: logits have ${logits.length} values, expected [M,V] = [${M},${V}]`);
  const dLogits = new Float32Array(M * V);
  let sum = 0;
  let correct = 0;
  for (let m = 0; m < M; m++) {
    const row = m * V;
    const label = labels[m]!;
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[row + j]! > logits[row + best]!) best = j;
    if (best === label) correct++;
    const max = logits[row + best]!;
    // e_j = exp(x_j − max);  loss_m = log Σ e − (x_label − max);  dx_j = (e_j / Σ e − [j = label]) / M
    let sumExp = 0;
    for (let j = 0; j < V; j++) {
      const e = Math.exp(logits[row + j]! - max);
      dLogits[row + j] = e;
      sumExp += e;
    }
    sum += Math.log(sumExp) - (logits[row + label]! - max);
    const scale = 1 / (sumExp * M);
    for (let j = 0; j < V; j++) dLogits[row + j] = dLogits[row + j]! * scale;
    dLogits[row + label] = dLogits[row + label]! - 1 / M;
  }
  return { loss: sum / M, dLogits, correct };
}

/** What a model that knows only token frequencies achieves on held-out masked positions. */
export interface UnigramBaseline {
  /** The most frequent non-special training token, the baseline's answer everywhere. */
  topTokenId: number;
  /** Fraction of held-out labels equal to it. */
  accuracy: number;
  /** Held-out cross-entropy (nats) of the training unigram distribution, add-one smoothed. */
  loss: number;
}

/** The unigram baseline: token counts of the training rows, scored on the held-out labels. */
export function unigramBaseline(trainRows: Int32Array, heldOutLabels: Int32Array, vocab: MlmVocab): UnigramBaseline {
  const special = new Set(vocab.specialIds);
  const counts = new Float64Array(vocab.vocabSize);
  let total = 0;
  for (const id of trainRows) {
    if (special.has(id)) continue;
    counts[id]!++;
    total++;
  }
  let topTokenId = 0;
  for (let id = 0; id < counts.length; id++) if (counts[id]! > counts[topTokenId]!) topTokenId = id;
  const normal = vocab.vocabSize - special.size;
  let hits = 0;
  let nll = 0;
  for (const id of heldOutLabels) {
    if (id === topTokenId) hits++;
    // p(id) = (count + 1) / (total + V_normal)
    nll -= Math.log((counts[id]! + 1) / (total + normal));
  }
  const n = Math.max(1, heldOutLabels.length);
  return { topTokenId, accuracy: hits / n, loss: nll / n };
}
