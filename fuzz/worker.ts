// One fuzzing thread. It runs targets in turn (a time slice each), mutating cases from a pool that
// starts with the seeds and keeps every case that produced an error message not seen before (a cheap
// stand-in for coverage: an input that gets one check further says something new). Before each
// execution it writes the case into the shared buffer and stamps the time, so that the main thread's
// watchdog can name the input of a hang or of a crash out of memory.
import v8 from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import { type Case, encodeCase, FuzzRng } from "./case.js";
import { runCase, type Outcome, type OutcomeKind } from "./classify.js";
import { dictionaryOf, mutateCase } from "./mutate.js";
import { TARGETS, type Target } from "./targets.js";
import { CONTROL, SHARED_INPUT_OFFSET, type FromWorker, type WorkerSetup } from "./protocol.js";

const setup = workerData as WorkerSetup;
const control = new Int32Array(setup.shared, 0, CONTROL.slots);
const clock = new Float64Array(setup.shared, CONTROL.bytes, 1);
const inputArea = new Uint8Array(setup.shared, SHARED_INPUT_OFFSET);
const rng = new FuzzRng(setup.seed);
const MB = 1024 * 1024;
const POOL_LIMIT = 256;
const collect = (globalThis as { gc?: () => void }).gc;

interface TargetState {
  target: Target;
  pool: Case[];
  words: string[];
  seenKeys: Set<string>;
}

const states = new Map<string, TargetState>();

function stateOf(target: Target): TargetState {
  let state = states.get(target.name);
  if (state === undefined) {
    const seeds = target.seeds();
    state = { target, pool: [...seeds], words: dictionaryOf(seeds, target.files), seenKeys: new Set() };
    states.set(target.name, state);
  }
  return state;
}

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

function memoryInUse(): number {
  const stats = v8.getHeapStatistics();
  return stats.used_heap_size + stats.external_memory;
}

/** Writes the case where the watchdog can read it; a case too large for the area is cut (length < 0). */
function publish(bytes: Uint8Array): void {
  const length = Math.min(bytes.length, inputArea.length);
  inputArea.set(bytes.subarray(0, length));
  Atomics.store(control, CONTROL.inputLength, bytes.length > inputArea.length ? -length : length);
  clock[0] = Date.now();
  Atomics.store(control, CONTROL.state, 1);
}

/** A mutation of `base`; the fuzzer's own failures (a string past V8's limit) keep the base. */
function mutateOrKeep(base: Case, state: TargetState): Case {
  try {
    return mutateCase(base, state.pool, state.target.files, state.words, rng);
  } catch {
    return base;
  }
}

// Counts are sent this often, so that a worker stopped by the watchdog loses little.
const STATS_EVERY_MS = 500;

async function runSlice(target: Target, until: number, baseline: { bytes: number }): Promise<void> {
  const state = stateOf(target);
  const fresh = (): Record<OutcomeKind, number> => ({ ok: 0, typed: 0, generic: 0, hang: 0, memory: 0, nan: 0 });
  let counts = fresh();
  let execs = 0;
  let slowest = 0;
  let sinceCollect = 0;
  let windowStart = performance.now();
  const flush = (): void => {
    const now = performance.now();
    post({ type: "stats", target: target.name, execs, counts, ms: now - windowStart, slowestMs: slowest });
    counts = fresh();
    execs = 0;
    windowStart = now;
  };
  while (Date.now() < until) {
    const base = rng.pick(state.pool);
    const c = rng.chance(0.02) ? base : mutateOrKeep(base, state);
    const bytes = encodeCase(c);
    publish(bytes);
    const t0 = performance.now();
    let outcome: Outcome = await runCase(target, c);
    const took = performance.now() - t0;
    Atomics.store(control, CONTROL.state, 0);
    slowest = Math.max(slowest, took);
    const grew = memoryInUse() - baseline.bytes;
    if (grew > setup.memoryMb * MB) {
      outcome = { kind: "memory", key: `retained or allocated ${Math.round(grew / MB)} MB during one execution`, detail: outcome.detail };
    }
    counts[outcome.kind]++;
    execs++;
    if (!state.seenKeys.has(outcome.key)) {
      state.seenKeys.add(outcome.key);
      if (outcome.kind === "typed" && state.pool.length < POOL_LIMIT) state.pool.push(c);
      if (outcome.kind !== "ok" && outcome.kind !== "typed") post({ type: "finding", target: target.name, outcome, input: bytes });
      else post({ type: "key", target: target.name, kind: outcome.kind, key: outcome.key });
    }
    if (grew > setup.memoryMb * MB || ++sinceCollect === 2000) {
      sinceCollect = 0;
      collect?.();
      baseline.bytes = memoryInUse();
    }
    if (performance.now() - windowStart >= STATS_EVERY_MS) flush();
  }
  flush();
}

async function main(): Promise<void> {
  collect?.();
  const baseline = { bytes: memoryInUse() };
  const targets = setup.targets.map((name) => TARGETS.find((t) => t.name === name)!);
  for (let turn = setup.firstTurn; Date.now() < setup.deadline; turn++) {
    const target = targets[turn % targets.length]!;
    await runSlice(target, Math.min(setup.deadline, Date.now() + setup.sliceMs), baseline);
    post({ type: "turn", turn: turn + 1 });
  }
  post({ type: "done" });
}

main().catch((err: unknown) => {
  post({ type: "crash", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
});
