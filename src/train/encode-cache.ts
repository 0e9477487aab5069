// Filling feature caches from an EncoderModel: the encoder runs once per text, and each cache keeps
// what its poolers read (feature-cache.ts). Several poolers share caches: one for those that read
// every token and one for those that read only first tokens, so an LSTM over the first tokens of all
// layers does not force every token of every layer into memory.
// Legend: N texts, B batch, T tokens, H hidden, L layers.
import type { Encoding } from "../encoder/tokenizer/index.js";
import { InputError, TrainingError } from "../errors.js";
import type { PoolerReads } from "../pooling/pooler.js";
import type { EncoderModel } from "../pipeline/model.js";
import { appendToCache, createFeatureCache, type CachedExample, type FeatureCache } from "./feature-cache.js";

/** Tokenized texts and which of them were cut or had lone surrogates replaced (indices into the texts). */
export interface TokenizedTexts {
  encodings: Encoding[];
  truncated: number[];
  replaced: number[];
}

/**
 * Tokenizes texts for training, cutting each at `maxLength` tokens; instead of one warning per text it
 * returns the indices of the texts that were cut or repaired, for one summary line. `source` names the
 * data in the error for a text that gives no token at all.
 */
export function tokenizeTexts(model: EncoderModel, texts: string[], maxLength: number, source: string): TokenizedTexts {
  const truncated: number[] = [];
  const replaced: number[] = [];
  const encodings = model.tokenize(texts, {
    maxLength,
    onWarning: (message, i) => (message.startsWith("truncated") ? truncated : replaced).push(i),
  });
  if (encodings.some((e) => e.inputIds.length === 0)) throw new InputError(`${source}: a text gave no tokens`);
  return { encodings, truncated, replaced };
}

/**
 * The fewest reads that serve every pooler: the union of the layers of the poolers that read all
 * tokens, and the union of the layers of those that read only the first token (each part omitted
 * when no pooler needs it).
 */
export function planCacheReads(reads: readonly PoolerReads[]): PoolerReads[] {
  const full = new Set<number>();
  const first = new Set<number>();
  for (const r of reads) for (const l of r.layers) (r.firstTokenOnly ? first : full).add(l);
  const plan: PoolerReads[] = [];
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  if (full.size > 0) plan.push({ layers: sorted(full), firstTokenOnly: false });
  if (first.size > 0) plan.push({ layers: sorted(first), firstTokenOnly: true });
  return plan;
}

/** The first cache that holds everything `reads` asks for, or an error naming what is missing. */
export function pickCache(caches: readonly FeatureCache[], reads: PoolerReads, what: string): FeatureCache {
  const fits = (c: FeatureCache): boolean =>
    reads.layers.every((l) => c.layers.includes(l)) && (reads.firstTokenOnly || !c.firstTokenOnly);
  // a first-token cache is much smaller, so it is preferred when it fits
  const found = [...caches].sort((a, b) => Number(b.firstTokenOnly) - Number(a.firstTokenOnly)).find(fits);
  if (found === undefined) {
    throw new TrainingError(`${what}: no feature cache holds layers [${reads.layers.join(",")}]${reads.firstTokenOnly ? " (first tokens)" : ""}`);
  }
  return found;
}

/** A cache holding only `layers` of `cache` (sharing its arrays), for handing one pooler just what it reads. */
export function selectCacheLayers(cache: FeatureCache, reads: PoolerReads): FeatureCache {
  const positions = reads.layers.map((l) => {
    const c = cache.layers.indexOf(l);
    if (c < 0) throw new TrainingError(`selectCacheLayers: layer ${l} is not in the cache (layers [${cache.layers.join(",")}])`);
    return c;
  });
  return {
    dims: cache.dims,
    layers: [...reads.layers],
    firstTokenOnly: cache.firstTokenOnly,
    examples: cache.examples.map((e) => ({ length: e.length, states: positions.map((c) => e.states[c]!) })),
  };
}

export interface EncodeCacheOptions {
  /** Texts per encoder forward pass; default 16. */
  batchSize?: number;
  /** Called after each batch with the number of texts done. */
  onProgress?: (done: number, total: number) => void;
  /** Awaited after each batch (e.g. to let a Ctrl-C handler run); a true result stops with an error. */
  yieldBetweenBatches?: () => Promise<boolean>;
}

/**
 * Runs the encoder once over tokenized texts and fills one cache per entry of `plan`; example i of
 * every cache belongs to encodings[i] whatever the batching (batches are grouped by length).
 * @example
 * const [cache] = await encodeToCaches(model, model.tokenize(texts, { maxLength: 128 }), [pooler.reads]);
 */
export async function encodeToCaches(
  model: EncoderModel, encodings: readonly Encoding[], plan: readonly PoolerReads[], options: EncodeCacheOptions = {},
): Promise<FeatureCache[]> {
  if (encodings.length === 0) throw new TrainingError("encodeToCaches: no texts to encode");
  const caches = plan.map((reads) => createFeatureCache(reads, model.dims));
  const slots: CachedExample[][] = caches.map(() => new Array<CachedExample>(encodings.length));
  let done = 0;
  for (const batch of model.batches([...encodings], options.batchSize ?? 16)) {
    const { hiddenStates } = model.encoder.forward(batch);
    caches.forEach((cache, c) => {
      // appendToCache keeps batch order; put each row back at its text's position
      const scratch: FeatureCache = { ...cache, examples: [] };
      appendToCache(scratch, { hiddenStates, attentionMask: batch.attentionMask });
      batch.indices.forEach((textIndex, b) => (slots[c]![textIndex] = scratch.examples[b]!));
    });
    done += batch.batchSize;
    options.onProgress?.(done, encodings.length);
    if (options.yieldBetweenBatches !== undefined && (await options.yieldBetweenBatches())) {
      throw new TrainingError(`encoding stopped after ${done} of ${encodings.length} texts`);
    }
  }
  caches.forEach((cache, c) => (cache.examples = slots[c]!));
  return caches;
}
