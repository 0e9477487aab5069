// embed() shares its thread: it yields to the event loop between batches (a timer fires between any
// two of them) and stops on an AbortSignal with an AbortError, returning nothing half-done. The same
// in a Chromium page is test/runtimes/responsive.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AbortError, EncoderPoolingError, loadModelFromBuffers, yieldToEventLoop, type EncoderModel } from "../../src/index.js";
import { SLICE_MS } from "../../src/pipeline/cooperate.js";
import { MODEL_DIR } from "../runtimes/harness.js";

const read = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");
const TEXTS = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} is about pooling, and it is ${"long ".repeat(3 * i)}enough.`);

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModelFromBuffers({
    config: read("config.json"),
    weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))),
    vocab: read("vocab.json"),
    merges: read("merges.txt"),
  }, { backend: "js" });
}, 60_000); // building and loading take longer on a busy machine than the 10 s default

describe("yieldToEventLoop", () => {
  it("lets a due timer run (a new task, not a microtask)", async () => {
    let ticked = false;
    setTimeout(() => (ticked = true), 0);
    const until = Date.now() + 5;
    while (Date.now() < until); // the timer is due now
    for (let i = 0; i < 100; i++) await Promise.resolve();
    expect(ticked, "microtasks alone never let a timer run").toBe(false);
    for (let i = 0; i < 10 && !ticked; i++) await yieldToEventLoop();
    expect(ticked).toBe(true);
  });

  it("does not keep the process alive (the channel is closed)", async () => {
    for (let i = 0; i < 100; i++) await yieldToEventLoop();
    // vitest's fork would hang at exit on an open port; reaching here 100 times and exiting is the check
    expect(true).toBe(true);
  });
});

describe("embed yields between batches", () => {
  it("lets a timer run between every two batches, and the vectors do not change", async () => {
    const whole = await model.embed(TEXTS, { pooling: "mean", batchSize: TEXTS.length });
    const events: string[] = [];
    const timer = setInterval(() => events.push("tick"), 0);
    try {
      const batched = await model.embed(TEXTS, { pooling: "mean", batchSize: 2, onProgress: (done) => events.push(`batch ${done}`) });
      for (let i = 0; i < whole.data.length; i++) expect(Math.abs(batched.data[i]! - whole.data[i]!)).toBeLessThan(1e-5);
    } finally {
      clearInterval(timer);
    }
    // between "batch 2" and "batch 4", "batch 4" and "batch 6", …: at least one tick each time
    const batches = events.map((e, i) => (e.startsWith("batch") ? i : -1)).filter((i) => i >= 0);
    expect(batches).toHaveLength(TEXTS.length / 2);
    for (let k = 1; k < batches.length; k++) {
      expect(events.slice(batches[k - 1]! + 1, batches[k]!), `between ${events[batches[k - 1]!]} and ${events[batches[k]!]}`).toContain("tick");
    }
  });
});

describe("embed yields inside a long batch", () => {
  it(`lets a timer run every ${SLICE_MS} ms or so while one batch runs, with the vectors of forward()`, async () => {
    const texts = TEXTS.map((t) => t.repeat(2));
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 0);
    const started = performance.now();
    let result;
    try {
      result = await model.embed(texts, { pooling: "mean", batchSize: texts.length });
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - started;
    expect(took, "one batch long enough for the check to mean something").toBeGreaterThan(4 * SLICE_MS);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    // the same numbers as the synchronous pass
    const [batch] = model.batches(model.tokenize(texts), texts.length);
    const { hiddenStates } = model.encoder.forward(batch!);
    const { pooled } = model.createPooler("mean").forward({ hiddenStates, attentionMask: batch!.attentionMask });
    batch!.indices.forEach((textIndex, b) => {
      expect(Array.from(result.vectors[textIndex]!)).toEqual(Array.from(pooled.data.subarray(b * result.dim, (b + 1) * result.dim)));
    });
  });

  it("forwardAsync stops where `between` rejects, and the encoder still runs afterwards", async () => {
    const [batch] = model.batches(model.tokenize(TEXTS.slice(0, 2)), 2);
    let layers = 0;
    const stopped = model.encoder.forwardAsync(batch!, () => {
      if (++layers === 2) throw new AbortError("stop here");
    });
    await expect(stopped).rejects.toThrow("stop here");
    expect(layers).toBe(2);
    const again = await model.encoder.forwardAsync(batch!, () => {});
    expect(again.hiddenStates).toHaveLength(model.dims.numLayers + 1);
    expect(Array.from(again.lastHiddenState.data)).toEqual(Array.from(model.encoder.forward(batch!).lastHiddenState.data));
  });
});

describe("two embed calls at once", () => {
  it("take turns (batches and layers interleave) and each gives the rows it gives alone, on js and wasm", async () => {
    const files = {
      config: read("config.json"), weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))), vocab: read("vocab.json"), merges: read("merges.txt"),
    };
    for (const backend of ["js", "wasm"] as const) {
      const m = await loadModelFromBuffers(files, { backend, threads: 1 });
      const a = TEXTS.map((t) => t.repeat(2));
      const b = [...TEXTS].reverse();
      const alone = [await m.embed(a, { batchSize: 3 }), await m.embed(b, { pooling: "cls", batchSize: 2 })];
      const order: string[] = [];
      const together = await Promise.all([
        m.embed(a, { batchSize: 3, onProgress: () => order.push("a") }),
        m.embed(b, { pooling: "cls", batchSize: 2, onProgress: () => order.push("b") }),
      ]);
      expect(order.indexOf("b"), `${backend}: b finished a batch before a was done`).toBeLessThan(order.lastIndexOf("a"));
      together.forEach((r, i) => expect(Array.from(r.data), `${backend}, call ${i}`).toEqual(Array.from(alone[i]!.data)));
    }
  });
});

describe("embed with an AbortSignal", () => {
  it("rejects at once when the signal has already fired", async () => {
    const controller = new AbortController();
    controller.abort(new Error("user left"));
    const err = await model.embed(TEXTS, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toBeInstanceOf(EncoderPoolingError);
    expect((err as AbortError).name).toBe("AbortError");
    expect((err as AbortError).code).toBe("EP_ABORTED");
    expect(((err as AbortError).cause as Error).message).toBe("user left");
  });

  it("stops after the batch during which it fired, and returns nothing", async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const result = model.embed(TEXTS, {
      batchSize: 2,
      signal: controller.signal,
      onProgress: (done) => {
        progress.push(done);
        if (done === 4) controller.abort();
      },
    });
    await expect(result).rejects.toThrow(/embed: after 4 of 12 texts: aborted/);
    expect(progress).toEqual([2, 4]);
  });

  it("is read while embed runs: an abort from a timer stops a long call part-way", async () => {
    const controller = new AbortController();
    let done = 0;
    setTimeout(() => controller.abort(), 0);
    const err = await model.embed([...TEXTS, ...TEXTS, ...TEXTS], { batchSize: 1, signal: controller.signal, onProgress: (d) => (done = d) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    // it stops at the first pause after the timer: between two batches, or inside one after 50 ms
    expect(done).toBeLessThan(36);
  });
});
