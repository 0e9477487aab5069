// Splitting examples by index: a seeded (optionally stratified) hold-out and k folds.
import { TrainingError } from "../errors.js";
import { Rng } from "../tensor/random.js";

/** start, start+1, …, end−1 */
export function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}

/**
 * A seeded train/validation split holding out `fraction` of the examples. With `strata` (e.g. the raw
 * class labels) each stratum is split on its own, so every class keeps the same share on both sides
 * and at least one training example (a class seen only in validation is an error later on).
 */
export function holdoutSplit(n: number, fraction: number, seed: number, strata?: readonly unknown[]): { train: number[]; valid: number[] } {
  if (!(fraction > 0 && fraction < 1)) throw new TrainingError(`validation split must be a fraction in (0, 1), got ${fraction}`);
  if (strata !== undefined && strata.length !== n) throw new TrainingError(`holdoutSplit: ${strata.length} strata for ${n} examples`);
  const rng = new Rng(seed);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const key = strata === undefined ? "" : JSON.stringify(strata[i]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const train: number[] = [];
  const valid: number[] = [];
  for (const members of groups.values()) {
    rng.shuffle(members);
    const held = Math.min(Math.round(fraction * members.length), members.length - 1);
    valid.push(...members.slice(0, held));
    train.push(...members.slice(held));
  }
  if (valid.length === 0) throw new TrainingError(`a validation fraction of ${fraction} of ${n} examples leaves the validation split empty`);
  return { train: train.sort((a, b) => a - b), valid: valid.sort((a, b) => a - b) };
}

/** k disjoint validation folds over a seeded shuffle of 0..n−1 (sizes differ by at most one). */
export function kFoldSplits(n: number, k: number, seed: number): { train: number[]; valid: number[] }[] {
  if (!Number.isInteger(k) || k < 2 || k > n) throw new TrainingError(`k-fold: k must be an integer in [2, ${n}], got ${k}`);
  const order = new Rng(seed).shuffle(range(0, n));
  const folds: { train: number[]; valid: number[] }[] = [];
  for (let f = 0; f < k; f++) {
    const lo = Math.floor((f * n) / k);
    const hi = Math.floor(((f + 1) * n) / k);
    folds.push({ train: [...order.slice(0, lo), ...order.slice(hi)], valid: order.slice(lo, hi) });
  }
  return folds;
}
