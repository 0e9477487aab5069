// What `train`, `evaluate`, `predict` and `compare` print while they work: one note per kind of
// tokenization problem instead of one per text, a progress bar while the encoder runs, one line per
// finished epoch, and Ctrl-C turned into a stop request.
import {
  encodeToCaches, listIndices, TrainingError, tokenizeTexts,
  type EncoderModel, type EpochRecord, type FeatureCache, type LabelledData, type Metrics, type PoolerReads, type StopFlag, type TrainProgress,
} from "../node.js";
import type { CliContext } from "./context.js";
import { progressBar } from "./progress.js";

/**
 * Tokenizes a split's texts at `maxLength` and encodes them into one cache per entry of `plan`, with a
 * note about cut texts, a progress bar and the time it took; Ctrl-C (`stop`) ends it with an error.
 */
export async function encodeWithProgress(
  model: EncoderModel, data: Pick<LabelledData, "source" | "texts" | "lines">, maxLength: number, plan: PoolerReads[], label: string, ctx: CliContext, stop: StopFlag,
): Promise<FeatureCache[]> {
  const { encodings, truncated, replaced } = tokenizeTexts(model, data.texts, maxLength, data.source);
  const lines = (indices: number[]): string => listIndices(indices.map((i) => data.lines[i] ?? i + 1));
  if (truncated.length > 0) {
    ctx.stderr.write(`note: ${data.source}: ${truncated.length} of ${data.texts.length} texts cut to ${maxLength} tokens (--max-length); lines ${lines(truncated)}\n`);
  }
  if (replaced.length > 0) ctx.stderr.write(`warning: ${data.source}: lone surrogates replaced by U+FFFD on lines ${lines(replaced)}\n`);
  const bar = progressBar(ctx, `encode ${label}`, encodings.length);
  const start = Date.now();
  try {
    return await encodeToCaches(model, encodings, plan, {
      onProgress: (done) => bar.update(done),
      yieldBetweenBatches: () => new Promise((done) => setImmediate(() => done(stop.requested))),
    });
  } catch (err) {
    if (stop.requested) throw new TrainingError(`interrupted while encoding ${label}; nothing was written`);
    throw err;
  } finally {
    bar.finish();
    if (!stop.requested) ctx.stderr.write(`encoded ${label}: ${encodings.length} texts in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  }
}

/** `{ accuracy: 0.91, macroF1: 0.88 }` -> "accuracy 0.9100, macroF1 0.8800" (with digits = 4). */
export function formatMetrics(metrics: Metrics, digits: number): string {
  return Object.entries(metrics).map(([name, value]) => `${name} ${value.toFixed(digits)}`).join(", ");
}

/**
 * Shows training progress: on a terminal a bar with loss and ETA; and, on a terminal or not, one line
 * per finished epoch with its mean training loss and its validation metrics.
 */
export function trainingProgress(
  ctx: CliContext, label: string,
): { update(p: TrainProgress): void; epoch(record: EpochRecord, epochs: number): void; finish(): void } {
  let bar: ReturnType<typeof progressBar> | null = null;
  let epochStart = Date.now();
  return {
    update(p) {
      if (!ctx.interactive) return;
      bar ??= progressBar(ctx, label, p.totalSteps);
      bar.update(p.step, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)}`);
    },
    epoch(record, epochs) {
      const seconds = (Date.now() - epochStart) / 1000;
      epochStart = Date.now();
      const valid = record.validMetrics === null ? "" : `, validation ${formatMetrics(record.validMetrics, 4)}`;
      bar?.finish();
      ctx.stderr.write(`${label}: epoch ${record.epoch}/${epochs} done, train loss ${record.trainLoss.toFixed(4)}${valid} (${seconds.toFixed(1)} s)\n`);
    },
    finish() {
      bar?.finish();
    },
  };
}

/** Turns SIGINT into a stop request while `body` runs; a second Ctrl-C falls through to the default. */
export async function withInterrupt<T>(stop: StopFlag, ctx: CliContext, body: () => Promise<T>): Promise<T> {
  const onSigint = (): void => {
    ctx.stderr.write("\ninterrupt: stopping after the current step (Ctrl-C again to abort at once)\n");
    stop.request();
    process.removeListener("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  try {
    return await body();
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}
