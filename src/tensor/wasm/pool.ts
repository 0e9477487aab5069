// Worker threads for the engine: each worker instantiates the same compiled kernel module on the same shared
// WebAssembly.Memory and waits on a control block in that memory. A dispatch writes the arguments of each
// *share* of a job (engine.ts cuts every kernel's range into shares, always the same way for the same
// arguments), opens the shares' claim slots, bumps a sequence number and notifies (Atomics); then every
// thread, the caller included, claims open shares one by one (compare-and-swap of a claim slot) and runs
// them until none is left, and the caller waits until the pending count drops to zero.
//
// Why claim shares instead of giving each thread its own: this machine (and a browser tab, and a laptop on
// battery) is shared. With one fixed share per thread, a thread the OS preempts for a while holds up the
// whole dispatch; with a few shares per thread, the other thread takes over the work it has not started.
// Measured on the roberta-base-shaped forward, 2 threads, this machine while other virtual machines were
// busy (old and new alternating in one run): 8 × 128 tokens one share per thread 2.69–3.37 s, up to four
// per thread 2.61–2.80 s; on a quiet moment 2.18 vs 2.22 s (see engine.ts `parts`).
// A share's numbers never depend on which thread runs it: its scratch region is that thread's (the engine
// says which argument is the scratch pointer), and scratch never carries values from one share to another.
// So results stay bit-identical run to run.
//
// The worker's code is a small JS string generated here and started from a Blob URL (Web Workers: browsers,
// Deno, Bun) or, once src/node.ts has installed its spawner, with `eval: true` (Node worker_threads): no
// worker file to locate, so it works the same from TypeScript sources under vitest, from the built dist/,
// and inside a bundle that moves files around. This file stays free of node:* (the core runs everywhere).
// A browser's main thread may not Atomics.wait: there the caller spins on the pending count instead (or run
// the engine inside a worker, where waiting is allowed).
import { NotSupportedError } from "../../errors.js";
import type { WasmMemory, WasmModule } from "./wasm-api.js";

/** Int32 slots of the control block (slot 15 is mayWait's). */
const SEQ = 0, FN = 1, PENDING = 2, STOP = 3, ERROR = 4, SHARES = 5, SCRATCH_ARG = 6;
/** Float64 slots of the control block: the scratch of thread t is SCRATCH_BASE + t · SCRATCH_STRIDE. */
const SCRATCH_BASE = 4, SCRATCH_STRIDE = 5;
/** Bytes before the argument slots; then per share MAX_ARGS float64 values (argument count first); then
 * one int32 claim slot per share (0 = open, 1 = taken, or no share). */
const HEADER = 64;
export const MAX_ARGS = 32;
/** Most shares one dispatch may have. */
export const MAX_SHARES = 64;

/** Byte offset of the claim slots in a control block. */
const CLAIMS = HEADER + MAX_SHARES * MAX_ARGS * 8;

/** Bytes of the control block. */
export const CONTROL_BYTES = CLAIMS + MAX_SHARES * 4;

/** Which argument of every share is a scratch pointer, and where each thread's scratch is. */
export interface ShareScratch {
  readonly arg: number;
  readonly base: number;
  readonly stride: number;
}

/** The worker's whole program: instantiate, then loop waiting for the sequence number to move. */
const WORKER_MAIN = `
function workerMain(module, memory, ctrlPtr, index, names, argsMax, maxShares, post) {
  const ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
  const head = new Float64Array(memory.buffer, ctrlPtr, 8);
  const args = new Float64Array(memory.buffer, ctrlPtr + ${HEADER}, maxShares * argsMax);
  const claims = new Int32Array(memory.buffer, ctrlPtr + ${CLAIMS}, maxShares);
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
    // Claim open shares until none is left. The function and arguments are read after a claim: they belong
    // to the dispatch that opened it, even when this worker slept through earlier ones.
    const shares = Atomics.load(ctrl, ${SHARES});
    for (let i = 0; i < shares; i++) {
      if (Atomics.compareExchange(claims, i, 0, 1) !== 0) continue;
      try {
        const n = args[i * argsMax];
        const a = [];
        for (let j = 1; j <= n; j++) a.push(args[i * argsMax + j]);
        const arg = Atomics.load(ctrl, ${SCRATCH_ARG});
        if (arg >= 0) a[arg] = head[${SCRATCH_BASE}] + index * head[${SCRATCH_STRIDE}];
        fns[Atomics.load(ctrl, ${FN})](...a);
      } catch (e) {
        Atomics.store(ctrl, ${ERROR}, 1);
      }
      if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
    }
  }
}`;

/** Node's version of the worker program: the data arrives as workerData (see src/io/worker-threads.ts). */
export const NODE_WORKER = `${WORKER_MAIN}
const { parentPort, workerData: d } = require("node:worker_threads");
workerMain(d.module, d.memory, d.ctrlPtr, d.index, d.names, d.argsMax, d.maxShares, (m) => parentPort.postMessage(m));`;

const WEB_WORKER = `${WORKER_MAIN}
onmessage = (e) => { const d = e.data; workerMain(d.module, d.memory, d.ctrlPtr, d.index, d.names, d.argsMax, d.maxShares, (m) => postMessage(m)); };`;

/** What a worker is handed: the compiled module, the shared memory, where its control block is, its index
 * (its scratch is the index-th region; the caller is 0). */
export interface WorkerData {
  module: WasmModule;
  memory: WasmMemory;
  ctrlPtr: number;
  index: number;
  names: string[];
  argsMax: number;
  maxShares: number;
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
  private readonly head: Float64Array;
  /** Every share's argument slots (shared memory never detaches on growth, so one view serves for good). */
  private readonly args: Float64Array;
  private readonly claims: Int32Array;
  private readonly canWait: boolean;

  private constructor(
    memory: WasmMemory,
    ctrlPtr: number,
    private readonly workers: SpawnedWorker[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, ctrlPtr, 16);
    this.head = new Float64Array(memory.buffer, ctrlPtr, 8);
    this.args = new Float64Array(memory.buffer, ctrlPtr + HEADER, MAX_SHARES * MAX_ARGS);
    this.claims = new Int32Array(memory.buffer, ctrlPtr + CLAIMS, MAX_SHARES);
    // every slot closed until a dispatch opens it
    for (let i = 0; i < MAX_SHARES; i++) Atomics.store(this.claims, i, 1);
    this.canWait = mayWait(this.ctrl);
  }

  /** Starts `count` workers over `memory` and resolves once every one has instantiated the module. */
  static async start(module: WasmModule, memory: WasmMemory, ctrlPtr: number, count: number, names: readonly string[]): Promise<WorkerPool> {
    const workers: SpawnedWorker[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 1; i <= count; i++) {
      const data: WorkerData = { module, memory, ctrlPtr, index: i, names: [...names], argsMax: MAX_ARGS, maxShares: MAX_SHARES };
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

  /**
   * Runs fn(...shares[i]) for every share i, on whichever thread claims it first (the caller is one of them),
   * and returns when all are done. With `scratch`, argument `scratch.arg` of every share must be
   * `scratch.base` (region 0, the caller's); a worker replaces it with its own region.
   */
  run(fnIndex: number, fn: (...args: number[]) => void, shares: readonly (readonly number[])[], scratch: ShareScratch | null): void {
    const count = shares.length;
    if (count > MAX_SHARES) throw new RangeError(`wasm engine: ${count} shares in one dispatch (at most ${MAX_SHARES})`);
    // write every share's arguments while all claim slots are still closed, then open them: a worker that
    // slept through the last dispatch can only claim a share whose arguments are complete
    for (let i = 0; i < count; i++) {
      const a = shares[i]!;
      this.args[i * MAX_ARGS] = a.length;
      this.args.set(a, i * MAX_ARGS + 1);
    }
    this.head[SCRATCH_BASE] = scratch?.base ?? 0;
    this.head[SCRATCH_STRIDE] = scratch?.stride ?? 0;
    Atomics.store(this.ctrl, SCRATCH_ARG, scratch?.arg ?? -1);
    Atomics.store(this.ctrl, FN, fnIndex);
    Atomics.store(this.ctrl, SHARES, count);
    Atomics.store(this.ctrl, PENDING, count);
    for (let i = 0; i < count; i++) Atomics.store(this.claims, i, 0);
    Atomics.add(this.ctrl, SEQ, 1);
    Atomics.notify(this.ctrl, SEQ);
    // the caller claims shares like any worker; its scratch is region 0, the one the shares name
    let error: unknown = null;
    for (let i = 0; i < count; i++) {
      if (Atomics.compareExchange(this.claims, i, 0, 1) !== 0) continue;
      try {
        fn(...shares[i]!);
      } catch (e) {
        error ??= e;
      }
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
