// createEmbeddingThread: the model in a Node worker thread behind createEmbeddingWorker's embed(). The
// thread's script is bundled here by esbuild (the TypeScript sources have no compiled script beside
// them; dist/ has). Rows equal the model's own, errors come back as their class, the event loop runs
// while the thread embeds, and terminate() rejects what is still running.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../scripts/bundle.js";
import { AbortError, createEmbeddingThread, loadModelFromBuffers, PoolingError, type EmbeddingWorker, type EncoderModel } from "../../src/node.js";
import { MODEL_DIR } from "../runtimes/harness.js";

const read = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");
const files = () => ({
  config: read("config.json"), weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))), vocab: read("vocab.json"), merges: read("merges.txt"),
});
const TEXTS = ["The cat sat on the mat.", "A dog barked at the mailman, twice, then slept.", "short", "naïve café 東京"];

let dir = "";
let script = "";
let model: EncoderModel;
let embedder: EmbeddingWorker;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "encoder-pooling-thread-"));
  script = join(dir, "embedding-thread-worker.mjs");
  writeFileSync(script, await bundle("src/io/embedding-thread-worker.ts", { platform: "node" }));
  model = await loadModelFromBuffers(files(), { backend: "js" });
  embedder = await createEmbeddingThread(files(), { script, backend: "js" });
}, 60_000);

afterAll(() => {
  embedder?.terminate();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("createEmbeddingThread", () => {
  it("gives the model's own rows, and the event loop runs meanwhile", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const many = Array.from({ length: 24 }, (_, i) => `${TEXTS[i % 4]} ${"again ".repeat(i)}`);
    let there;
    try {
      there = await embedder.embed(many, { pooling: "attention", batchSize: 24 });
    } finally {
      clearInterval(timer);
    }
    const here = await model.embed(many, { pooling: "attention", batchSize: 24 });
    expect(Array.from(there.data)).toEqual(Array.from(here.data));
    expect(ticks).toBeGreaterThan(2);
    expect(embedder.backend).toBe("js×1");
  });

  it("re-creates the thread's error as its class", async () => {
    await expect(embedder.embed(TEXTS, { pooling: "no-such-pooler" })).rejects.toBeInstanceOf(PoolingError);
  });

  it("terminate() rejects a call still running with an AbortError", async () => {
    const own = await createEmbeddingThread(files(), { script, backend: "js" });
    const running = own.embed(Array.from({ length: 40 }, (_, i) => `text ${i} `.repeat(20)), { batchSize: 1 });
    own.terminate();
    await expect(running).rejects.toBeInstanceOf(AbortError);
  });
});
