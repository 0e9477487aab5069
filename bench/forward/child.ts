// One configuration of the forward benchmark in a process of its own, so that its peak RSS is its own:
// load the system, check its last_hidden_state against the reference on the check input, then time it on
// each shape. Started by bench/forward.ts with the job as JSON in argv[2]; answers with one line
// "@@result <json>" on stdout (a ChildResult). A failed parity check is an error: nothing is timed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { secondsPerCallAsync } from "../timing.js";
import { benchInputs, checkInputs, parity, type BenchInputs } from "./inputs.js";
import { loadRunner, NotAvailable, type Runner } from "./runners.js";
import {
  isFullPrecision,
  PARITY_ATOL,
  PROGRESS_PREFIX,
  REDUCED_MIN_COSINE,
  RESULT_PREFIX,
  specId,
  type ChildResult,
  type Job,
  type PairedTiming,
  type Parity,
  type SystemSpec,
  type Timing,
} from "./systems.js";

/**
 * benchmark.js after one untimed warm-up call (its own first call is a sample too): samples for about 2 s
 * per shape and at least 2 (a 32 × 128 forward of a slow configuration takes a minute on a busy machine).
 */
const BENCH_OPTIONS = { minSamples: 2, maxTime: 2, initCount: 1, minTime: 0.05 };

function referencePath(modelDir: string): string {
  return join(dirname(modelDir), "check-last-hidden-state.f32");
}

async function check(job: Job, spec: SystemSpec, runner: Runner, vocabSize: number): Promise<Parity | null> {
  const inputs = checkInputs(vocabSize);
  const out = await runner.forward(inputs);
  const path = referencePath(job.modelDir);
  if (job.check === "reference") {
    writeFileSync(path, out);
    return null;
  }
  if (!existsSync(path)) throw new Error(`${path} is missing: the reference child must run first`);
  const bytes = readFileSync(path);
  const reference = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const p = parity(reference, out, inputs);
  const ok = isFullPrecision(spec) ? p.maxAbsDiff <= PARITY_ATOL : p.minCosine >= REDUCED_MIN_COSINE;
  if (!ok) {
    throw new Error(
      `${specId(spec)}: parity check failed against ours (js, f32): max abs diff ${p.maxAbsDiff.toExponential(2)} ` +
        `(atol ${PARITY_ATOL}), min cosine of mean-pooled rows ${p.minCosine.toFixed(6)}; not timed`,
    );
  }
  return p;
}

// CPU seconds of the whole process (every thread: our workers, onnxruntime's pool) during one forward
async function cpuTimed(runner: Runner, inputs: BenchInputs, cpu: { seconds: number; calls: number }): Promise<void> {
  const before = process.cpuUsage();
  await runner.forward(inputs);
  const used = process.cpuUsage(before);
  cpu.seconds += (used.user + used.system) / 1e6;
  cpu.calls++;
  progress(`${inputs.batchSize}×${inputs.seqLen} call ${cpu.calls}`);
}

/** Tells the parent's watchdog that this child is alive, and where it is. */
function progress(label: string): void {
  console.log(PROGRESS_PREFIX + label);
}

async function time(job: Job, runner: Runner, vocabSize: number): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (const shape of job.shapes) {
    const inputs = benchInputs(shape, vocabSize);
    const cpu = { seconds: 0, calls: 0 };
    let seconds: number;
    if (job.timing === "once") {
      const start = performance.now();
      await cpuTimed(runner, inputs, cpu);
      seconds = (performance.now() - start) / 1000;
    } else {
      await runner.forward(inputs); // warm-up: first-call allocations and compilation stay out of the samples
      progress(`${shape.B}×${shape.T} warm-up`);
      const name = `${specId(job.spec)} ${shape.B}x${shape.T}`;
      seconds = await secondsPerCallAsync(name, () => cpuTimed(runner, inputs, cpu), BENCH_OPTIONS);
    }
    timings.push({ ...shape, seconds, cpuSeconds: cpu.seconds / cpu.calls });
  }
  return timings;
}

/** Wall seconds of one call. */
async function oneCall(runner: Runner, inputs: BenchInputs): Promise<number> {
  const start = performance.now();
  await runner.forward(inputs);
  return (performance.now() - start) / 1000;
}

/**
 * Paired timing: per shape, one warm-up call of each, then pairs of calls alternating which goes first,
 * about PAIRED_SECONDS per shape (at least MIN_PAIRS pairs). The ratio of a pair is immune to drift slower
 * than one pair (a few seconds), which separate processes minutes apart are not.
 */
const PAIRED_SECONDS = 24;
const MIN_PAIRS = 4;
const MAX_PAIRS = 16;

async function timePaired(job: Job, a: Runner, b: Runner, vocabSize: number): Promise<PairedTiming[]> {
  const out: PairedTiming[] = [];
  for (const shape of job.shapes) {
    const inputs = benchInputs(shape, vocabSize);
    const warm = (await oneCall(a, inputs)) + (await oneCall(b, inputs));
    progress(`${shape.B}×${shape.T} warm-up (paired)`);
    const pairs = Math.max(MIN_PAIRS, Math.min(MAX_PAIRS, Math.ceil(PAIRED_SECONDS / warm)));
    const timing: PairedTiming = { ...shape, seconds: [], againstSeconds: [] };
    for (let i = 0; i < pairs; i++) {
      if (i % 2 === 0) {
        timing.seconds.push(await oneCall(a, inputs));
        timing.againstSeconds.push(await oneCall(b, inputs));
      } else {
        timing.againstSeconds.push(await oneCall(b, inputs));
        timing.seconds.push(await oneCall(a, inputs));
      }
      progress(`${shape.B}×${shape.T} pair ${i + 1} of ${pairs}`);
    }
    out.push(timing);
  }
  return out;
}

/** The runner of `spec`, or the NotAvailable that says why this configuration does not exist. */
async function tryLoad(job: Job, spec: SystemSpec): Promise<Runner | NotAvailable> {
  try {
    return await loadRunner(job.modelDir, spec);
  } catch (err) {
    if (err instanceof NotAvailable) return err;
    throw err;
  }
}

async function runJob(job: Job): Promise<ChildResult> {
  const config = parseRobertaConfig(readFileSync(join(job.modelDir, "config.json"), "utf8"), job.modelDir);
  const started = performance.now();
  const runner = await tryLoad(job, job.spec);
  if (runner instanceof NotAvailable) return { available: false, reason: runner.message };
  const loadSeconds = (performance.now() - started) / 1000;
  progress("loaded");
  const p = await check(job, job.spec, runner, config.vocabSize);
  progress("checked");
  if (job.against !== undefined) {
    const other = await tryLoad(job, job.against);
    if (other instanceof NotAvailable) return { available: false, reason: other.message };
    await check(job, job.against, other, config.vocabSize);
    const paired = await timePaired(job, runner, other, config.vocabSize);
    return { available: true, loadSeconds, parity: p, timings: [], paired, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
  const timings = await time(job, runner, config.vocabSize);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return { available: true, loadSeconds, parity: p, timings, peakRssBytes, ...(runner.version ? { version: runner.version } : {}) };
}

const arg = process.argv[2];
if (arg === undefined) {
  console.error("usage: node dist/bench/forward/child.js '<job json>' (started by bench/forward.ts)");
  process.exit(2);
}
try {
  const result = await runJob(JSON.parse(arg) as Job);
  console.log(RESULT_PREFIX + JSON.stringify(result));
  process.exit(0);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
