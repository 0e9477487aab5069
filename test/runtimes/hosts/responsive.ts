// Responsiveness host: responsive.html?mode=… embeds 32 texts of ~155 tokens while a 10 ms setInterval
// runs, and reports the longest gap between two ticks (and from the start and to the end of the call).
//   main          embed() on the page's thread, batches of 4: the gap is bounded by one batch, not the call
//   worker        through createEmbeddingWorker: the page's thread stays free (gaps ≤ 100 ms)
//   abort         embed() on the page's thread, aborted by a timer part-way
//   worker-abort  the same through the worker
// The result is the promise `globalThis.responsive` (for Playwright).
import { createEmbeddingWorker, loadModelFromUrl, type EmbedOptions, type Embeddings } from "../../../src/index.js";

declare const location: { href: string };

/** 32 texts of ~155 tokens, the size issue 11 measured a frozen page with. */
export const LONG_TEXTS = Array.from({ length: 32 }, (_, i) => `Text ${i}: ${"Pooling turns the hidden states of every token into one vector. ".repeat(12)}`);
const BATCH = 4;
const TICK_MS = 10;

export interface Timing {
  /** The whole call, ms. */
  totalMs: number;
  /** The longest stretch without a tick: between two ticks, from the call's start to the first, or from the last to its end. */
  longestGapMs: number;
  ticks: number;
  /** The longest stretch between two progress callbacks (the first from the call's start: tokenizing and one batch). */
  longestBatchMs: number;
  batches: number;
}

export type ResponsiveResult =
  | ({ mode: "main" | "worker"; backend: string } & Timing)
  | { mode: "abort" | "worker-abort"; name: string; code: string; message: string; done: number; total: number }
  | { mode: string; error: string };

const modelUrl = new URL("model", location.href).href;
const workerUrl = new URL("embedding-worker.js", location.href);

interface Embedder {
  embed(texts: string[], options: EmbedOptions): Promise<Embeddings>;
}

/** Runs one embed() call while a timer ticks, and measures the gaps. */
async function timed(embedder: Embedder): Promise<Timing> {
  const ticks: number[] = [];
  const progress: number[] = [];
  const timer = setInterval(() => ticks.push(performance.now()), TICK_MS);
  const start = performance.now();
  await embedder.embed(LONG_TEXTS, { batchSize: BATCH, onProgress: () => progress.push(performance.now()) });
  const end = performance.now();
  clearInterval(timer);
  const longestGap = (times: number[]): number => {
    let previous = start;
    let longest = 0;
    for (const t of [...times, end]) {
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    return longest;
  };
  return { totalMs: end - start, longestGapMs: longestGap(ticks), ticks: ticks.length, longestBatchMs: longestGap(progress), batches: progress.length };
}

/** Starts a call, aborts it once a quarter of the texts are done, and reports how it ended. */
async function aborted(embedder: Embedder): Promise<{ name: string; code: string; message: string; done: number; total: number }> {
  const controller = new AbortController();
  let done = 0;
  try {
    await embedder.embed(LONG_TEXTS, {
      batchSize: BATCH,
      signal: controller.signal,
      onProgress: (d) => {
        done = d;
        // from a timer, as a user's click would: the call must see it between two batches
        if (d >= LONG_TEXTS.length / 4) setTimeout(() => controller.abort(), 0);
      },
    });
    return { name: "none", code: "", message: "embed resolved although it was aborted", done, total: LONG_TEXTS.length };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { name: e.name, code: e.code ?? "", message: e.message, done, total: LONG_TEXTS.length };
  }
}

async function run(mode: string): Promise<ResponsiveResult> {
  try {
    if (mode === "main" || mode === "abort") {
      const model = await loadModelFromUrl(modelUrl, { tokenizer: "vocab.json+merges.txt" });
      await model.embed(["warm up"]);
      const { backend } = model.encoder;
      return mode === "main" ? { mode, backend: `${backend.name}×${backend.threads}`, ...(await timed(model)) } : { mode, ...(await aborted(model)) };
    }
    const embedder = await createEmbeddingWorker(modelUrl, { worker: workerUrl, tokenizer: "vocab.json+merges.txt" });
    try {
      await embedder.embed(["warm up"]);
      if (mode === "worker") return { mode, backend: embedder.backend, ...(await timed(embedder)) };
      if (mode === "worker-abort") return { mode, ...(await aborted(embedder)) };
      throw new Error(`unknown mode ${mode}`);
    } finally {
      embedder.terminate();
    }
  } catch (err) {
    return { mode, error: String((err as Error).stack ?? err) };
  }
}

(globalThis as { responsive?: Promise<ResponsiveResult> }).responsive = run(new URL(location.href).searchParams.get("mode") ?? "main");
