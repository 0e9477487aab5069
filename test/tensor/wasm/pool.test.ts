// The worker pool's hand-off under load: many tiny dispatches in a row (each a full round trip through
// Atomics), and a job with fewer shares than threads. Both once went wrong: Atomics.wait in Node 20 may
// return "ok" with nothing new (about once in 100,000 waits), and a worker that took that for a job ran
// its last one twice and left the caller waiting forever; an idle worker re-ran its previous share.
// And a worker that the OS does not run (a busy machine): the caller takes over its share.
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { WasmEngine } from "../../../src/tensor/wasm/engine.js";
import { NODE_WORKER, setThreadPlatform, threadPlatform, type ThreadPlatform } from "../../../src/tensor/wasm/pool.js";
import { rand } from "./support.js";

describe("the worker pool under load", () => {
  it("completes 200,000 tiny dispatches on 2 threads with the right results", async () => {
    const e = await WasmEngine.create({ threads: 2 });
    try {
      const n = 72;
      const x = e.malloc(n * 4), y = e.malloc(n * 4), ref = e.malloc(n * 4);
      e.f32(x, n).set(rand(n, 9, 3));
      e.gelu(ref, x, n);
      for (let i = 0; i < 200_000; i++) e.gelu(y, x, 8 + (i % 64));
      // the last call covered the first 8 + 199,999 % 64 = 71 elements
      expect(Array.from(e.f32(y, 71))).toEqual(Array.from(e.f32(ref, 71)));
    } finally {
      e.dispose();
    }
  }, 120_000);

  it("gives a worker without a share of a job nothing to do (3 threads, a job of 2 shares)", async () => {
    const e = await WasmEngine.create({ threads: 3 });
    try {
      const big = 300, small = 8;
      const xBig = e.malloc(big * 4), yBig = e.malloc(big * 4);
      e.f32(xBig, big).set(rand(big, 1));
      e.gelu(yBig, xBig, big); // 3 shares
      const before = e.f32(yBig, big).slice();
      e.f32(xBig, big).fill(7); // a stale re-run of the share above would now write gelu(7) into yBig
      const xSmall = e.malloc(small * 4), ySmall = e.malloc(small * 4);
      e.gelu(ySmall, xSmall, small); // 2 shares of 4: the third thread has none
      expect(Array.from(e.f32(yBig, big))).toEqual(Array.from(before));
    } finally {
      e.dispose();
    }
  });

  it("lets the caller run the share of a worker that never wakes, with the same numbers", async () => {
    // A worker that says "ready" and then sleeps until it is terminated: without the caller taking over
    // its shares, every dispatch would wait for it forever.
    const sleeping = NODE_WORKER.replace(
      "(m) => parentPort.postMessage(m)",
      "(m) => { parentPort.postMessage(m); if (m === 'ready') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); }",
    );
    expect(sleeping).not.toBe(NODE_WORKER);
    const before = threadPlatform();
    const platform: ThreadPlatform = {
      cores: 2,
      spawn: (data, onMessage, onError) => {
        const w = new Worker(sleeping, { eval: true, workerData: data });
        w.unref();
        w.once("message", onMessage);
        w.once("error", onError);
        return w;
      },
    };
    setThreadPlatform(platform);
    const e = await WasmEngine.create({ threads: 2 });
    if (before !== null) setThreadPlatform(before);
    const one = await WasmEngine.create({ threads: 1 });
    try {
      const n = 4096;
      const x = e.malloc(n * 4), y = e.malloc(n * 4);
      e.f32(x, n).set(rand(n, 5, 4));
      for (let i = 0; i < 100; i++) e.gelu(y, x, n);
      const x1 = one.malloc(n * 4), y1 = one.malloc(n * 4);
      one.f32(x1, n).set(rand(n, 5, 4));
      one.gelu(y1, x1, n);
      expect(Array.from(e.f32(y, n))).toEqual(Array.from(one.f32(y1, n)));
    } finally {
      e.dispose();
      one.dispose();
    }
  }, 60_000);
});
