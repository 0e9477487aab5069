// createEmbeddingWorker and serveEmbeddingWorker over a MessageChannel in Node: the same protocol a
// Web Worker carries (the real module worker in Chromium and Deno is test/runtimes/responsive.test.ts
// and parity.test.ts). Rows equal the model's own, callbacks arrive, errors come back as their class,
// and an abort or a terminate rejects with an AbortError.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import {
  AbortError, ConfigError, createEmbeddingWorker, EncoderPoolingError, loadModelFromBuffers, NotSupportedError, PoolingError,
  serveEmbeddingWorker, type EmbeddingWorker, type EncoderModel, type WorkerLike,
} from "../../src/index.js";
import { errorFromWire, errorToWire } from "../../src/pipeline/worker-protocol.js";
import { MODEL_DIR } from "../runtimes/harness.js";

const read = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");
const files = () => ({
  config: read("config.json"),
  weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))),
  vocab: read("vocab.json"),
  merges: read("merges.txt"),
});
const TEXTS = ["The cat sat on the mat.", "A dog barked at the mailman, twice, then slept.", "short", "naïve café 東京"];

/** A "worker" whose other end, in this thread, is served by serveEmbeddingWorker: the protocol without a thread. */
function channelWorker(): WorkerLike & { terminated: boolean } {
  const { port1, port2 } = new MessageChannel();
  serveEmbeddingWorker({
    addEventListener: (_type, listener) => port2.on("message", (data) => listener({ data })),
    postMessage: (message, transfer) => port2.postMessage(message, transfer),
  });
  const fake = {
    terminated: false,
    postMessage: (message: unknown) => port1.postMessage(message),
    addEventListener: (type: string, listener: (event: { data?: unknown }) => void) => {
      if (type === "message") port1.on("message", (data) => listener({ data }));
    },
    terminate: () => {
      fake.terminated = true;
      port1.close();
    },
  };
  return fake;
}

let model: EncoderModel;
let embedder: EmbeddingWorker;
beforeAll(async () => {
  model = await loadModelFromBuffers(files(), { backend: "js" });
  embedder = await createEmbeddingWorker(files(), { worker: channelWorker(), backend: "js" });
  return () => embedder.terminate();
}, 60_000); // building and loading take longer on a busy machine than the 10 s default

describe("createEmbeddingWorker", () => {
  it("reports the model's size and backend, and gives the model's own rows", async () => {
    expect(embedder.dims).toEqual(model.dims);
    expect(embedder.maxLength).toBe(model.maxLength);
    expect(embedder.backend).toBe("js×1");
    for (const pooling of ["mean", "attention", "cls"]) {
      const here = await model.embed(TEXTS, { pooling, normalize: true, batchSize: 2 });
      const there = await embedder.embed(TEXTS, { pooling, normalize: true, batchSize: 2 });
      expect(there.count).toBe(TEXTS.length);
      expect(there.dim).toBe(here.dim);
      expect(Array.from(there.data)).toEqual(Array.from(here.data));
      expect(Array.from(there.vectors[2]!)).toEqual(Array.from(here.vectors[2]!));
    }
  });

  it("forwards progress and warnings", async () => {
    const progress: number[] = [];
    const warnings: string[] = [];
    await embedder.embed(TEXTS, { batchSize: 2, maxLength: 6, onProgress: (done) => progress.push(done), onWarning: (m, i) => warnings.push(`${i}: ${m}`) });
    expect(progress).toEqual([2, 4]);
    expect(warnings).toContain("1: truncated to 6 tokens");
  });

  it("re-creates the worker's error as its class, with its code and message", async () => {
    const err = await embedder.embed(TEXTS, { pooling: "no-such-pooler" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoolingError);
    expect((err as PoolingError).code).toBe("EP_POOLING");
    expect((err as Error).message).toMatch(/no-such-pooler/);
  });

  it("rejects with an AbortError when the signal fires, and keeps serving other calls", async () => {
    const controller = new AbortController();
    const many = Array.from({ length: 40 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${i}`);
    const call = embedder.embed(many, { batchSize: 1, signal: controller.signal, onProgress: (done) => done === 3 && controller.abort() });
    await expect(call).rejects.toBeInstanceOf(AbortError);
    const after = await embedder.embed(TEXTS.slice(0, 1));
    expect(after.count).toBe(1);
  });

  it("a load error rejects with the worker's error class, and the worker is terminated", async () => {
    const worker = channelWorker();
    const err = await createEmbeddingWorker({ ...files(), config: "{" }, { worker }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(worker.terminated).toBe(true);
  });

  it("terminate() rejects the calls still running with an AbortError, and every later call", async () => {
    const own = await createEmbeddingWorker(files(), { worker: channelWorker(), backend: "js" });
    const running = own.embed(Array.from({ length: 20 }, (_, i) => `text ${i}`), { batchSize: 1 });
    own.terminate();
    await expect(running).rejects.toBeInstanceOf(AbortError);
    await expect(own.embed(["x"])).rejects.toThrow(/already stopped/);
  });
});

describe("errors across postMessage", () => {
  it("keeps class, name, code and message (NotSupportedError's prefix only once)", () => {
    for (const original of [new NotSupportedError("dtype F8"), new AbortError("embed: aborted"), new EncoderPoolingError("x", { code: "EP_LIMIT" })]) {
      const back = errorFromWire(structuredClone(errorToWire(original)));
      expect(back.constructor).toBe(original.constructor);
      expect(back.name).toBe(original.name);
      expect(back.message).toBe(original.message);
      expect((back as EncoderPoolingError).code).toBe(original.code);
    }
    const range = errorFromWire(errorToWire(new RangeError("too big")));
    expect(range).toBeInstanceOf(RangeError);
    const other = errorFromWire({ name: "DataCloneError", message: "could not clone" });
    expect(other.name).toBe("DataCloneError");
    expect(other.message).toBe("could not clone");
  });
});
