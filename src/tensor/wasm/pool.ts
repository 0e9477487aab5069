// Worker threads for the engine: each worker instantiates the same compiled kernel module on the same shared
// WebAssembly.Memory and waits on a control block in that memory. A dispatch writes each share's arguments,
// bumps a sequence number and notifies (Atomics); the calling thread runs its own share meanwhile, then waits
// until the pending count of shares drops to zero. The partition of every kernel's range is static
// (engine.ts), so a given thread count always computes the same numbers.
//
// Each share is *claimed* before it runs (compare-and-swap of its claim slot), by its worker or, once the
// caller has finished its own share, by the caller: a worker that the OS has not woken yet (a busy, shared
// machine) no longer holds up the whole dispatch — the caller does that share itself. Which thread runs a
// share never changes its numbers (a share's scratch region travels with its arguments), so results stay
// bit-identical. Without this, a 2-thread forward on a machine whose cores are busy with other processes
// ran several times slower than 1 thread (every dispatch waited for a sleeping worker); now only a share a
// worker has already started can make the caller wait. On a quiet machine nothing changes: a worker claims its share within microseconds.
//
// The worker's code is a small JS string generated here and started from a Blob URL (Web Workers: browsers,
// Deno, Bun) or, once src/node.ts has installed its spawner, with `eval: true` (Node worker_threads): no
// worker file to locate, so it works the same from TypeScript sources under vitest, from the built dist/,
// and inside a bundle that moves files around. This file stays free of node:* (the core runs everywhere).
// A browser's main thread may not Atomics.wait: there the caller spins on the pending count instead (or run
// the engine inside a worker, where waiting is allowed).
import { NotSupportedError } from "../../errors.js";
import type { WasmMemory, WasmModule } from "./wasm-api.js";

/** Int32 slots of the control block. */
const SEQ = 0, FN = 1, PENDING = 2, STOP = 3, ERROR = 4;
/** Bytes before the argument slots; then per thread MAX_ARGS float64 values (argument count first); then
 * one int32 claim slot per thread (0 = free, 1 = taken by whoever runs that share). */
const HEADER = 64;
export const MAX_ARGS = 32;

/** Byte offset of the claim slots in a control block for `workers` workers. */
function claimsOffset(workers: number): number {
  return HEADER + (workers + 1) * MAX_ARGS * 8;
}

/** Bytes of the control block for `workers` workers. */
export function controlBytes(workers: number): number {
  return claimsOffset(workers) + (workers + 1) * 4;
}

/** The worker's whole program: instantiate, then loop waiting for the sequence number to move. */
const WORKER_MAIN = `
function workerMain(module, memory, ctrlPtr, claimsPtr, index, names, argsMax, post) {
  const ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
  const args = new Float64Array(memory.buffer, ctrlPtr + ${HEADER} + index * argsMax * 8, argsMax);
  const claims = new Int32Array(memory.buffer, claimsPtr, index + 1);
  let fns = null;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    fns = names.map((n) => instance.exports[n]);
  } catch (e) {
    post(String(e));
  }
  if (fns !== null) post("ready");
  let seq = 0;
  for (;;) {
    for (let spin = 0; spin < 2000 && Atomics.load(ctrl, ${SEQ}) === seq; spin++);
    // Proceed only once the sequence number has moved: Atomics.wait may return "ok" with nothing new
    // (seen in Node 20 about once per 100,000 waits).
    let next;
    while ((next = Atomics.load(ctrl, ${SEQ})) === seq) Atomics.wait(ctrl, ${SEQ}, seq);
    seq = next;
    if (Atomics.load(ctrl, ${STOP}) !== 0) return;
    // Claim this thread's share; if the caller already took it (or there is none), there is nothing to do.
    // The function and arguments are read after the claim: they belong to the dispatch the claim was for,
    // even when this worker slept through earlier ones.
    if (Atomics.compareExchange(claims, index, 0, 1) !== 0) continue;
    try {
      const n = args[0];
      const a = [];
      for (let i = 1; i <= n; i++) a.push(args[i]);
      fns[Atomics.load(ctrl, ${FN})](...a);
    } catch (e) {
      Atomics.store(ctrl, ${ERROR}, 1);
    }
    if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
  }
}`;

/** Node's version of the worker program: the data arrives as workerData (see src/io/worker-threads.ts). */
export const NODE_WORKER = `${WORKER_MAIN}
const { parentPort, workerData: d } = require("node:worker_threads");
workerMain(d.module, d.memory, d.ctrlPtr, d.claimsPtr, d.index, d.names, d.argsMax, (m) => parentPort.postMessage(m));`;

const WEB_WORKER = `${WORKER_MAIN}
onmessage = (e) => { const d = e.data; workerMain(d.module, d.memory, d.ctrlPtr, d.claimsPtr, d.index, d.names, d.argsMax, (m) => postMessage(m)); };`;

/** What a worker is handed: the compiled module, the shared memory, where its control block and the claim
 * slots are, its index. */
export interface WorkerData {
  module: WasmModule;
  memory: WasmMemory;
  ctrlPtr: number;
  claimsPtr: number;
  index: number;
  names: string[];
  argsMax: number;
}

export interface SpawnedWorker { terminate(): unknown }

/**
 * Starts one worker running the worker program on `data`; `onMessage` receives its first message ("ready" or
 * its instantiation error), `onError` a failure to start.
 */
export type SpawnWorker = (data: WorkerData, onMessage: (m: unknown) => void, onError: (e: unknown) => void) => SpawnedWorker;

/** How this runtime starts threads, and how many cores it has. */
export interface ThreadPlatform {
  spawn: SpawnWorker;
  cores: number;
}

/**
 * Web Workers from a Blob URL (browsers, Deno, Bun), or null where there are none (Node without src/node.ts).
 * Default thread count: every core in a browser (a page does not exit) and where a worker can be unref'd
 * (Bun), so that an idle pool never keeps a script alive; 1 elsewhere (Deno's Web Workers keep the process
 * running until terminated: ask for threads there, and dispose() the model when done).
 */
function webPlatform(): ThreadPlatform | null {
  const g = globalThis as {
    Worker?: (new (url: string, options?: { type: string }) => WebWorkerLike) & { prototype: { unref?: unknown } };
    navigator?: { hardwareConcurrency?: number };
    document?: unknown;
    WorkerGlobalScope?: unknown;
  };
  const WebWorker = g.Worker;
  if (WebWorker === undefined) return null;
  const spawn: SpawnWorker = (data, onMessage, onError) => {
    const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: "text/javascript" }));
    const w = new WebWorker(url, { type: "module" });
    w.unref?.();
    w.onmessage = (e) => onMessage(e.data);
    w.onerror = onError;
    w.postMessage(data);
    return w;
  };
  const browser = g.document !== undefined || g.WorkerGlobalScope !== undefined;
  const idleSafe = browser || typeof WebWorker.prototype.unref === "function";
  return { spawn, cores: idleSafe ? Math.max(1, g.navigator?.hardwareConcurrency ?? 1) : 1 };
}

let platform: ThreadPlatform | null = webPlatform();

/** Replaces how threads start (src/node.ts installs Node's worker_threads and core count here). */
export function setThreadPlatform(p: ThreadPlatform): void {
  platform = p;
}

/** How threads start here, or null where they cannot (then the engine runs on one thread). */
export function threadPlatform(): ThreadPlatform | null {
  return platform;
}

export class WorkerPool {
  private readonly ctrl: Int32Array;
  private readonly claims: Int32Array;
  private readonly canWait: boolean;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly ctrlPtr: number,
    private readonly workers: SpawnedWorker[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
    this.claims = new Int32Array(memory.buffer, ctrlPtr + claimsOffset(workers.length), workers.length + 1);
    this.canWait = mayWait(this.ctrl);
  }

  /** Starts `count` workers over `memory` and resolves once every one has instantiated the module. */
  static async start(module: WasmModule, memory: WasmMemory, ctrlPtr: number, count: number, names: readonly string[]): Promise<WorkerPool> {
    const workers: SpawnedWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 1; i <= count; i++) {
      const data: WorkerData = { module, memory, ctrlPtr, claimsPtr: ctrlPtr + claimsOffset(count), index: i, names: [...names], argsMax: MAX_ARGS };
      ready.push(new Promise((resolve, reject) => {
        if (platform === null) throw new NotSupportedError("threads need Web Workers (or, in Node, the encoder-pooling entry point)");
        workers.push(platform.spawn(
          data,
          (m) => (m === "ready" ? resolve() : reject(new Error(`wasm engine: a worker failed to start: ${String(m)}`))),
          (e) => reject(e instanceof Error ? e : new Error(`wasm engine: a worker failed: ${String(e)}`)),
        ));
      }));
    }
    const pool = new WorkerPool(memory, ctrlPtr, workers);
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.stop();
      throw e;
    }
    return pool;
  }

  /** Runs fn(argsPerThread[t]…) for every share t (t = 0 on the caller) and returns when all are done. */
  run(fnIndex: number, fn: (...args: number[]) => void, argsPerThread: readonly (readonly number[])[]): void {
    const workers = this.workers.length;
    const args = new Float64Array(this.memory.buffer, this.ctrlPtr + HEADER, (workers + 1) * MAX_ARGS);
    // write every share's arguments, then open its claim; a thread without a share (a range shorter than
    // the thread count) finds its claim already taken
    let shares = 0;
    for (let t = 1; t <= workers; t++) {
      const a = argsPerThread[t];
      if (a === undefined) {
        Atomics.store(this.claims, t, 1);
        continue;
      }
      args[t * MAX_ARGS] = a.length;
      args.set(a, t * MAX_ARGS + 1);
      shares++;
    }
    Atomics.store(this.ctrl, FN, fnIndex);
    Atomics.store(this.ctrl, PENDING, shares);
    for (let t = 1; t <= workers; t++) if (argsPerThread[t] !== undefined) Atomics.store(this.claims, t, 0);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    let error: unknown = null;
    const runShare = (a: readonly number[]): void => {
      try {
        fn(...a);
      } catch (e) {
        error ??= e;
      }
    };
    runShare(argsPerThread[0]!);
    // then take over every share no worker has claimed yet
    for (let t = 1; t <= workers; t++) {
      if (Atomics.compareExchange(this.claims, t, 0, 1) !== 0) continue;
      runShare(argsPerThread[t]!);
      Atomics.sub(this.ctrl, PENDING, 1);
    }
    for (;;) {
      const pending = Atomics.load(this.ctrl, PENDING);
      if (pending === 0) break;
      if (this.canWait) Atomics.wait(this.ctrl, PENDING, pending);
    }
    if (error !== null) throw error;
    if (Atomics.exchange(this.ctrl, ERROR, 0) !== 0) throw new Error("wasm engine: a kernel failed in a worker thread");
  }

  /** Ends every worker. */
  stop(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}

interface WebWorkerLike extends SpawnedWorker {
  unref?(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: unknown) => void) | null;
  postMessage(data: unknown): void;
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayWait(ctrl: Int32Array): boolean {
  try {
    Atomics.wait(ctrl, 15, 1, 0);
    return true;
  } catch {
    return false;
  }
}
