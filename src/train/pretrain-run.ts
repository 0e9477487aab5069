// A pre-training run around MlmPretrainer: the corpus as packed rows, the loop with its log, held-out
// evaluations, checkpoints and stop requests, and the loss curve. Everything here is pure (no files):
// `encoder-pooling pretrain` (src/cli/pretrain.ts) reads the texts and writes what this returns.
// Legend: R rows, T tokens per row.
import type { Tokenizer } from "../encoder/tokenizer/index.js";
import { TokenizerError } from "../errors.js";
import { lineChartSvg } from "./chart.js";
import { packDocuments, type MlmVocab, type UnigramBaseline } from "./mlm.js";
import type { MlmPretrainer, StepRecord } from "./pretrain.js";
import type { PretrainLog } from "./pretrain-checkpoint.js";

/** The ids MLM needs, from a RoBERTa tokenizer (which must have <mask>). */
export function mlmVocab(tokenizer: Tokenizer, vocabSize: number): MlmVocab {
  const maskTokenId = tokenizer.tokenToId("<mask>");
  if (maskTokenId === undefined) throw new TokenizerError("pretrain: the tokenizer has no <mask> token");
  const specialIds = [tokenizer.bosTokenId, tokenizer.padTokenId, tokenizer.eosTokenId, maskTokenId];
  if (tokenizer.unkTokenId !== null) specialIds.push(tokenizer.unkTokenId);
  return { vocabSize, bosTokenId: tokenizer.bosTokenId, eosTokenId: tokenizer.eosTokenId, padTokenId: tokenizer.padTokenId, maskTokenId, specialIds };
}

/** Packed rows of a corpus and what they hold. */
export interface PackedCorpus {
  rows: Int32Array; // [R,T]
  count: number; // R
  T: number;
  /** Texts and tokens (without <s> and </s>) of each source, in order. */
  sources: { source: string; texts: number; tokens: number }[];
}

/** Tokenizes every text (whole, no truncation) of each source and packs them all into rows of T tokens. */
export function packCorpus(tokenizer: Tokenizer, sources: { source: string; texts: string[] }[], T: number, vocab: MlmVocab): PackedCorpus {
  const documents: Int32Array[] = [];
  const counts = sources.map(({ source, texts }) => {
    let tokens = 0;
    for (const text of texts) {
      const ids = Int32Array.from(tokenizer.encode(text, { addSpecialTokens: false }).inputIds);
      tokens += ids.length;
      documents.push(ids);
    }
    return { source, texts: texts.length, tokens };
  });
  const { rows, count } = packDocuments(documents, T, vocab);
  return { rows, count, T, sources: counts };
}

/** At most `n` rows of a corpus, spread evenly over it (every ⌈R/n⌉-th row): a held-out sample of every source. */
export function spreadRows(corpus: PackedCorpus, n: number): { data: Int32Array; count: number; T: number } {
  const { T } = corpus;
  const stride = Math.max(1, Math.ceil(corpus.count / n));
  const count = Math.min(n, Math.ceil(corpus.count / stride));
  const data = new Int32Array(count * T);
  for (let i = 0; i < count; i++) data.set(corpus.rows.subarray(i * stride * T, (i * stride + 1) * T), i * T);
  return { data, count, T };
}

export interface RunPretrainingOptions {
  /** Stop after this step (the schedule's total, or less to stop early). */
  untilStep: number;
  /** Steps per log record (mean loss and accuracy since the last one). */
  logEvery: number;
  /** Steps between held-out evaluations and checkpoints. */
  evalEvery: number;
  /** Held-out rows. */
  heldOut: { data: Int32Array; count: number; T: number };
  /** Called after every step with the wall-clock seconds of the run so far. */
  onStep?: (record: StepRecord, seconds: number) => void;
  /** Called after each evaluation, at a stop request (no evaluation then: stop quickly) and at the end: write a checkpoint. */
  onCheckpoint?: (reason: "eval" | "stop" | "done") => Promise<void>;
  /** Checked between steps (after yielding to the event loop, so that a Ctrl-C handler can run). */
  stopRequested?: () => boolean;
  /** The clock (ms); tests pass a fake one. */
  now?: () => number;
}

/**
 * Runs steps until `untilStep` or a stop request, appending to `log` (history every logEvery steps,
 * an evaluation every evalEvery steps and at the end, the session's time), and calling onCheckpoint
 * after every evaluation. Returns why it ended.
 */
export async function runPretraining(trainer: MlmPretrainer, log: PretrainLog, options: RunPretrainingOptions): Promise<"done" | "stop"> {
  const now = options.now ?? (() => Date.now());
  const session = { startedAt: new Date(now()).toISOString(), fromStep: trainer.state.step, toStep: trainer.state.step, seconds: 0 };
  log.sessions.push(session);
  let started = now();
  const account = (): void => {
    const t = now();
    session.seconds += (t - started) / 1000;
    log.seconds += (t - started) / 1000;
    started = t;
  };
  const evaluate = async (reason: "eval" | "stop" | "done"): Promise<void> => {
    const last = log.evals[log.evals.length - 1];
    if (reason !== "stop" && (last === undefined || last.step !== trainer.state.step)) {
      log.evals.push({ step: trainer.state.step, tokensSeen: trainer.state.tokensSeen, ...trainer.evaluate(options.heldOut) });
    }
    account();
    session.toStep = trainer.state.step;
    await options.onCheckpoint?.(reason);
  };
  let lossSum = 0;
  let hitSum = 0;
  let n = 0;
  while (trainer.state.step < options.untilStep) {
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (options.stopRequested?.() === true) {
      await evaluate("stop");
      return "stop";
    }
    const record = trainer.step();
    lossSum += record.loss;
    hitSum += record.accuracy;
    n++;
    account();
    options.onStep?.(record, log.seconds);
    if (record.step % options.logEvery === 0) {
      log.history.push({ step: record.step, loss: lossSum / n, accuracy: hitSum / n, lr: record.lr, tokensSeen: trainer.state.tokensSeen });
      lossSum = hitSum = n = 0;
    }
    if (record.step % options.evalEvery === 0 && record.step < options.untilStep) await evaluate("eval");
  }
  await evaluate("done");
  return "done";
}

/** The loss curve: training loss (per log record) and held-out loss against tokens seen, with the unigram baseline. */
export function lossCurveSvg(log: PretrainLog, baseline: UnigramBaseline | null, title: string): string {
  return lineChartSvg(
    [
      { label: "training loss (masked positions, mean per log interval)", color: "#4C78A8", points: log.history.map((h) => [h.tokensSeen / 1e6, h.loss] as const) },
      { label: "held-out loss", color: "#F58518", dots: true, points: log.evals.map((e) => [e.tokensSeen / 1e6, e.loss] as const) },
    ],
    {
      title,
      xLabel: "tokens seen (millions)",
      yLabel: "cross-entropy (nats)",
      references: baseline === null ? [] : [{ label: "unigram baseline, held out", value: baseline.loss, color: "#D62728" }],
    },
  );
}
