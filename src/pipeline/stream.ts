// Embedding a stream of texts of any length in bounded memory. The texts are taken in windows; each
// window is tokenized, sorted by length into padded batches (inside the window only), embedded, and its
// rows are handed out in input order. Memory holds one window — its texts, token ids and vectors —
// however long the input is.
// Windows grow from one batch to `window` texts by doubling, so that the first rows come out after one
// batch rather than after a whole window. The boundaries depend only on (window, batchSize), never on
// the texts, so a run resumed at row R cuts the same windows — and so the same batches — as the run it
// continues, and its rows are the same bits.
// Core code: no node:*; the source may be any iterable or async iterable (an array, a file reader, a queue).
// Legend: N texts in a window, D pooled size.
import { AbortError, InputError } from "../errors.js";
import { pause } from "./cooperate.js";

/** One embedded text: its position in the input, its vector [D], and the record it came from. */
export interface StreamRow<R> {
  index: number;
  vector: Float32Array;
  record: R;
}

/** Counts since the stream started; `textsRead` runs ahead of the others by up to a window. */
export interface StreamProgress {
  textsRead: number;
  textsTokenized: number;
  tokensTokenized: number;
  textsEmbedded: number;
  tokensEmbedded: number;
}

/** How the stream is cut and watched. */
export interface WindowOptions {
  /** Texts per window, the unit of memory and of length sorting. Default 2048. */
  window?: number;
  /** Texts per forward pass. Default 32; the first window holds one batch. */
  batchSize?: number;
  /** Resume: rows before this index are read from the source but neither embedded nor yielded (except
   * the ones that share a window with it, which are embedded again so that the batches are the same). */
  skip?: number;
  /** Stops the stream between two batches (or while it waits for input) with an AbortError (code
   * EP_ABORTED) whose cause is the signal's reason, as model.embed does. */
  signal?: AbortSignal;
  /** Called as texts are read, tokenized and embedded. */
  onProgress?: (progress: StreamProgress) => void;
}

/** What the stream needs from a model: token ids for a window's texts, and vectors for token ids. */
export interface WindowEngine<R> {
  /** D, the width of one vector. */
  readonly dim: number;
  /** Token ids (with <s> and </s>) of each record; `firstIndex` is the input position of records[0]. */
  tokenize(records: R[], firstIndex: number): ArrayLike<number>[];
  /** Embeds ids[i] into out[i*D … (i+1)*D) for every i, awaiting `afterBatch` after each batch;
   * `window` holds the records the ids came from and the input position of the first (for messages). */
  embed(
    ids: ArrayLike<number>[],
    out: Float32Array,
    afterBatch: (texts: number, tokens: number) => Promise<void>,
    window: { records: readonly R[]; firstIndex: number },
  ): Promise<void>;
}

export const DEFAULT_WINDOW = 2048;
const DEFAULT_BATCH_SIZE = 32;
/** Texts tokenized between two progress reports (and two chances for Ctrl-C to be seen). */
const TOKENIZE_CHUNK = 256;

/** Checks and fills in the window and batch size. */
export function windowSizes(options: WindowOptions): { window: number; batchSize: number } {
  const window = options.window ?? DEFAULT_WINDOW;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(window) || window <= 0) throw new InputError(`embedStream: window must be a positive integer, got ${window}`);
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InputError(`embedStream: batchSize must be a positive integer, got ${batchSize}`);
  return { window, batchSize };
}

/**
 * The windows as [start, end) input positions, forever: batchSize, 2·batchSize, 4·batchSize, … texts,
 * then `window` texts each.
 * @example [...take(windowBounds(100, 32), 4)] // [0,32] [32,96] [96,196] [196,296]
 */
export function* windowBounds(window: number, batchSize: number): Generator<[number, number]> {
  let start = 0;
  for (let size = Math.min(batchSize, window); ; size = Math.min(2 * size, window)) {
    yield [start, start + size];
    start += size;
  }
}

/**
 * The records of `source`, until the signal is aborted: a stop is obeyed at once even while the source
 * waits for more input (a quiet pipe, a queue), instead of when the next record comes. The source is
 * then left as it is (its pending read cannot be cancelled here): its owner closes it.
 * Each read gets its own abort listener, removed when the read settles. Why not one "aborted" promise
 * raced against every read: a promise that never settles keeps every race's reaction — and through it
 * each record read — alive; a 50 MB input grew the live heap by 60 MB (50,000 promises, 28,000 texts).
 */
async function* untilAborted<R>(source: AsyncIterable<R> | Iterable<R>, signal: AbortSignal | undefined): AsyncGenerator<R> {
  if (signal === undefined) {
    yield* source;
    return;
  }
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const read = (): Promise<IteratorResult<R>> =>
    new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new AbortError("embedStream: aborted while waiting for input", { cause: signal.reason }));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      Promise.resolve(iterator.next()).then(
        (r) => (signal.removeEventListener("abort", onAbort), resolve(r)),
        (e: unknown) => (signal.removeEventListener("abort", onAbort), reject(e)),
      );
    });
  let done = false;
  try {
    for (;;) {
      const next = await read();
      if (next.done === true) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // stopped early by the consumer or an error (not by the signal): let the source clean up
    if (!done && !signal.aborted) await iterator.return?.();
  }
}

/**
 * Embeds the records of `source` window by window and yields one row per record, in input order.
 * The engine does the tokenizing and the batches; this function does the windows, the order, the
 * skipping of a resumed run, the progress and the stop.
 */
export async function* embedWindows<R>(
  source: AsyncIterable<R> | Iterable<R>,
  engine: WindowEngine<R>,
  options: WindowOptions = {},
): AsyncGenerator<StreamRow<R>> {
  const { window, batchSize } = windowSizes(options);
  const skip = options.skip ?? 0;
  const progress: StreamProgress = { textsRead: 0, textsTokenized: 0, tokensTokenized: 0, textsEmbedded: 0, tokensEmbedded: 0 };
  const report = (): void => options.onProgress?.(progress);
  const bounds = windowBounds(window, batchSize);
  let [start, end] = bounds.next().value!;
  let records: R[] = [];

  async function* flush(): AsyncGenerator<StreamRow<R>> {
    if (end > skip) yield* embedWindow(records, start);
    records = [];
    [start, end] = bounds.next().value!;
  }

  async function* embedWindow(window: R[], first: number): AsyncGenerator<StreamRow<R>> {
    const ids: ArrayLike<number>[] = [];
    for (let i = 0; i < window.length; i += TOKENIZE_CHUNK) {
      const chunk = engine.tokenize(window.slice(i, i + TOKENIZE_CHUNK), first + i);
      for (const e of chunk) {
        ids.push(e);
        progress.tokensTokenized += e.length;
      }
      progress.textsTokenized += chunk.length;
      report();
      await pause(options.signal, `embedStream: while tokenizing texts ${first + 1}–${first + window.length}`);
    }
    // out: [N,D]
    const D = engine.dim;
    const out = new Float32Array(window.length * D);
    let embedded = 0;
    await engine.embed(ids, out, async (texts, tokens) => {
      progress.textsEmbedded += texts;
      progress.tokensEmbedded += tokens;
      embedded += texts;
      report();
      // after the window's last batch its rows are handed out before a stop is obeyed: they are done
      if (embedded < window.length) await pause(options.signal, `embedStream: after ${progress.textsEmbedded} texts`);
    }, { records: window, firstIndex: first });
    for (let i = Math.max(0, skip - first); i < window.length; i++) {
      yield { index: first + i, vector: out.subarray(i * D, (i + 1) * D), record: window[i]! };
    }
  }

  for await (const record of untilAborted(source, options.signal)) {
    records.push(record);
    progress.textsRead++;
    if (progress.textsRead % TOKENIZE_CHUNK === 0) report();
    if (start + records.length === end) yield* flush();
  }
  if (records.length > 0) yield* flush();
  report();
}
