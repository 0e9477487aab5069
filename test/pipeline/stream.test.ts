// model.embedStream: rows come out in input order with their records, equal to model.embed's; the
// windows are cut where windowBounds says whatever the source; a resumed stream (skip) gives the very
// bits of the rows it skipped to; a stop takes effect between batches; progress and warnings name texts.
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { loadModel } from "../../src/io/load-model.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { embedWindows, windowBounds, type StreamProgress, type StreamRow } from "../../src/pipeline/stream.js";
import { Rng } from "../../src/tensor/random.js";
import { expectClose } from "../helpers.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
const WORDS = ["the", "keeper", "wrote", "names", "of", "boats", "a", "storm", "broke", "lamp", "Café", "naïve", "👍🏽", "1887,"];

/** `n` texts of 0 to 30 words (so that they sort differently from input order), seeded. */
function texts(n: number, seed = 1): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: rng.int(31) }, () => WORDS[rng.int(WORDS.length)]).join(" "));
}

async function collect<R>(rows: AsyncIterable<StreamRow<R>>): Promise<StreamRow<R>[]> {
  const out: StreamRow<R>[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/** The same items one at a time from an async generator, as a file reader gives them. */
async function* slowly<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    yield item;
  }
}

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModel(TINY);
});

describe("windowBounds", () => {
  it("grows from one batch by doubling to the window, then repeats it", () => {
    const bounds = windowBounds(100, 16);
    expect(Array.from({ length: 6 }, () => bounds.next().value)).toEqual([[0, 16], [16, 48], [48, 112], [112, 212], [212, 312], [312, 412]]);
    const small = windowBounds(5, 8);
    expect(Array.from({ length: 3 }, () => small.next().value)).toEqual([[0, 5], [5, 10], [10, 15]]);
  });
});

describe("model.embedStream", () => {
  const input = texts(61);
  const options = { pooling: "mean-max", normalize: true, batchSize: 4, window: 12 };

  it("yields every text once, in input order, with its record, equal to model.embed (1e-6)", async () => {
    const records = input.map((text, i) => ({ text, id: `doc${i}` }));
    const rows = await collect(model.embedStream(slowly(records), options));
    expect(rows.map((r) => r.index)).toEqual(input.map((_, i) => i));
    expect(rows.map((r) => r.record)).toEqual(records);
    const { data, dim } = await model.embed(input, options);
    expect(rows[0]!.vector.length).toBe(dim);
    expectClose(rows.flatMap((r) => [...r.vector]), data, 1e-6, "stream vs embed");
  });

  it("takes strings, arrays and async sources alike, and gives the same bits for every source", async () => {
    const fromArray = await collect(model.embedStream(input, options));
    const fromAsync = await collect(model.embedStream(slowly(input), options));
    expect(fromAsync.map((r) => r.record)).toEqual(input);
    expect(fromAsync.map((r) => [...r.vector])).toEqual(fromArray.map((r) => [...r.vector]));
  });

  it("skip: a resumed stream yields rows from `skip` on, with the bits of the uninterrupted stream", async () => {
    const full = await collect(model.embedStream(input, options));
    for (const skip of [0, 3, 4, 12, 13, 40, 60, 61]) {
      const resumed = await collect(model.embedStream(slowly(input), { ...options, skip }));
      expect(resumed.map((r) => r.index), `skip ${skip}`).toEqual(full.slice(skip).map((r) => r.index));
      expect(resumed.map((r) => [...r.vector]), `skip ${skip}`).toEqual(full.slice(skip).map((r) => [...r.vector]));
    }
  });

  it("embeds a window only when it holds a row to yield, and tokenizes the texts it embeds", async () => {
    let last: StreamProgress | null = null;
    await collect(model.embedStream(input, { ...options, skip: 40, onProgress: (p) => (last = { ...p }) }));
    // windows [0,4) [4,12) [12,24) [24,36) [36,48) [48,60) [60,61): those from [36,48) on are embedded
    expect(last).toEqual({ textsRead: 61, textsTokenized: 25, textsEmbedded: 25, tokensTokenized: expect.any(Number), tokensEmbedded: expect.any(Number) });
    expect(last!.tokensEmbedded).toBe(last!.tokensTokenized);
  });

  it("reports progress while reading, tokenizing and embedding; the totals match the input", async () => {
    const seen: StreamProgress[] = [];
    await collect(model.embedStream(input, { ...options, window: 100, onProgress: (p) => seen.push({ ...p }) }));
    const tokens = model.tokenize(input).reduce((n, e) => n + e.inputIds.length, 0);
    expect(seen.at(-1)).toEqual({ textsRead: 61, textsTokenized: 61, textsEmbedded: 61, tokensTokenized: tokens, tokensEmbedded: tokens });
    expect(seen.some((p) => p.textsEmbedded > 0 && p.textsEmbedded < 61)).toBe(true);
  });

  it("stops between batches when the signal is aborted, with an AbortError whose cause is its reason", async () => {
    const controller = new AbortController();
    const reason = new Error("stop here");
    const rows: number[] = [];
    await expect(async () => {
      for await (const row of model.embedStream(input, { ...options, signal: controller.signal })) {
        rows.push(row.index);
        if (row.index === 5) controller.abort(reason);
      }
    }).rejects.toMatchObject({ name: "AbortError", code: "EP_ABORTED", cause: reason });
    // the window [4,12) was done when the stop came: its rows are all handed out before the stop
    expect(rows).toEqual([...Array(12).keys()]);
  });

  it("stops at once when the signal is aborted while the source waits for input, and does not wait for it", async () => {
    const controller = new AbortController();
    const reason = new Error("stop while waiting");
    let returned = false;
    async function* quietAfter(items: string[]): AsyncGenerator<string> {
      try {
        yield* items;
        await new Promise(() => {}); // a pipe that stays open and silent
      } finally {
        returned = true;
      }
    }
    const rows: number[] = [];
    const run = (async () => {
      for await (const row of model.embedStream(quietAfter(input.slice(0, 12)), { ...options, signal: controller.signal })) rows.push(row.index);
    })();
    while (rows.length < 12) await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);
    await expect(run).rejects.toMatchObject({ name: "AbortError", code: "EP_ABORTED", cause: reason, message: "embedStream: aborted while waiting for input" });
    expect(rows).toEqual([...Array(12).keys()]); // the windows [0,4) and [4,12) were complete
    expect(returned).toBe(false); // its pending read is left to its owner (the CLI closes stdin)
  });

  it("model.embed yields to the event loop between batches and stops there when the signal is aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("stop embed");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const many = texts(40, 3);
    const done = await model.embed(many, { batchSize: 4 });
    await expect(model.embed(many, { batchSize: 4, signal: controller.signal, onProgress: (n) => n === 8 && controller.abort(reason) })).rejects.toMatchObject({ name: "AbortError", code: "EP_ABORTED", cause: reason });
    clearInterval(timer);
    expect(done.count).toBe(40);
    expect(ticks).toBeGreaterThan(0); // timers ran while embed was working
    const aborted = new AbortController();
    aborted.abort(reason);
    await expect(model.embed(many, { signal: aborted.signal })).rejects.toMatchObject({ name: "AbortError", code: "EP_ABORTED", cause: reason });
  });

  it("names the text in warnings and errors through describeText and onWarning, with its index and record", async () => {
    const long = "the keeper wrote the names of the boats ".repeat(10);
    const records = [{ text: "short", line: 10 }, { text: long, line: 11 }];
    const warnings: [string, number, number][] = [];
    await collect(model.embedStream(records, { onWarning: (message, index, record) => warnings.push([message, index, record.line]) }));
    expect(warnings).toEqual([["truncated to 38 tokens", 1, 11]]);
    const refused = collect(model.embedStream(records, { truncation: false, describeText: (i, r) => `in.txt:${r.line} (#${i})` }));
    await expect(refused).rejects.toThrow(new InputError("in.txt:11 (#1): longer than 38 tokens (and truncation is off)"));
  });

  it("yields nothing for an empty source, and checks its options before reading anything", async () => {
    expect(await collect(model.embedStream([]))).toEqual([]);
    expect(() => model.embedStream(input, { window: 0 })).toThrow(/window must be a positive integer, got 0/);
    expect(() => model.embedStream(input, { pooling: "average" })).toThrow(/average/);
  });

  it("embedWindows keeps order for any engine: rows come back in input order whatever the batching", async () => {
    // an engine whose "vector" is the text's length, embedded longest first as the model does
    const engine = {
      dim: 1,
      tokenize: (records: string[]) => records.map((r) => Array.from({ length: r.length + 2 }, () => 0)),
      embed: async (ids: ArrayLike<number>[], out: Float32Array, afterBatch: (n: number, t: number) => Promise<void>) => {
        const order = ids.map((_, i) => i).sort((a, b) => ids[b]!.length - ids[a]!.length);
        for (const i of order) out[i] = ids[i]!.length - 2;
        await afterBatch(ids.length, 0);
      },
    };
    const rows = await collect(embedWindows(slowly(input), engine, { window: 7, batchSize: 3 }));
    expect(rows.map((r) => r.vector[0])).toEqual(input.map((t) => t.length));
  });

  it("keeps no record it has handed out alive while it waits for the next, when a signal is given", async () => {
    // Regression: one never-settling "aborted" promise raced against every read kept each race's reaction,
    // and so every record ever read, alive (a 50 MB input grew the live heap by 60 MB).
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const engine = {
      dim: 1,
      tokenize: (records: { text: string }[]) => records.map(() => [0, 0]),
      embed: async (_ids: ArrayLike<number>[], _out: Float32Array, afterBatch: (n: number, t: number) => Promise<void>) => afterBatch(1, 0),
    };
    const refs: WeakRef<{ text: string }>[] = [];
    async function* source(): AsyncGenerator<{ text: string }> {
      for (let i = 0; i < 2000; i++) {
        const record = { text: `record ${i}` };
        refs.push(new WeakRef(record));
        await Promise.resolve();
        yield record;
      }
    }
    const controller = new AbortController();
    let alive = -1;
    for await (const row of embedWindows(source(), engine, { window: 16, batchSize: 4, signal: controller.signal })) {
      if (row.index !== 1900) continue;
      // mid-stream, while the signal is still in use: of the first 1,800 records, none is needed any more
      await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRef targets are kept until the job ends
      gc();
      alive = refs.slice(0, 1800).filter((r) => r.deref() !== undefined).length;
    }
    expect(alive).toBeGreaterThanOrEqual(0);
    expect(alive).toBeLessThan(100); // a few may linger in V8's own bookkeeping; the leak kept all 1,800
  });
});
