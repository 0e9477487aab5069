// npm run fuzz [-- --seconds N | --minutes N] [--workers N] [--targets a,b] [--out DIR] [--seed N]
// npm run fuzz -- --replay FILE [--save-corpus NAME]     run a finding again (and add it to the corpus)
// npm run fuzz -- --make-corpus | --expect-corpus        write the classics / rewrite expected.json
//
// First the property tests (fast-check round trips), then the mutation fuzzer: worker threads attack
// every target in turn while this thread keeps two watchdogs — time (an execution running longer than
// --hang-ms is a hang: the worker is stopped and its input saved) and memory (a worker that runs out
// of heap, or a process past --rss-mb). Each new finding is saved under --out as a case file that
// `npm run fuzz -- --replay FILE` runs again. The closing table gives, per target, the executions,
// executions per second and how each ended; the exit status is 1 when anything but "ok" and "typed"
// happened.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { decodeCase, repoRoot } from "./case.js";
import { writeClassics } from "./classics.js";
import { OUTCOMES, runCase, type Outcome, type OutcomeKind } from "./classify.js";
import { CORPUS_DIR, writeExpectations } from "./corpus.js";
import { runProperties } from "./properties.js";
import { CONTROL, SHARED_INPUT_BYTES, SHARED_INPUT_OFFSET, type FromWorker, type WorkerSetup } from "./protocol.js";
import { TARGETS, targetNamed } from "./targets.js";

interface Options {
  seconds: number;
  workers: number;
  targets: string[];
  out: string;
  seed: number;
  sliceMs: number;
  hangMs: number;
  memoryMb: number;
  rssMb: number;
  properties: boolean;
  replay: string | null;
  saveCorpus: string | null;
  makeCorpus: boolean;
  expectCorpus: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    seconds: 60, workers: 2, targets: TARGETS.map((t) => t.name), out: join(repoRoot(), "fuzz-out"), seed: Date.now() % 1e9,
    sliceMs: 3000, hangMs: 5000, memoryMb: 512, rssMb: 8192, properties: true, replay: null, saveCorpus: null,
    makeCorpus: false, expectCorpus: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`fuzz: ${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < 0) throw new Error(`fuzz: ${flag} needs a non-negative number`);
      return n;
    };
    if (flag === "--seconds") options.seconds = number();
    else if (flag === "--minutes") options.seconds = number() * 60;
    else if (flag === "--workers") options.workers = Math.max(1, Math.floor(number()));
    else if (flag === "--targets") options.targets = value().split(",").map((t) => targetNamed(t.trim()).name);
    else if (flag === "--out") options.out = resolve(value());
    else if (flag === "--seed") options.seed = Math.floor(number());
    else if (flag === "--slice-ms") options.sliceMs = number();
    else if (flag === "--hang-ms") options.hangMs = number();
    else if (flag === "--memory-mb") options.memoryMb = number();
    else if (flag === "--rss-mb") options.rssMb = number();
    else if (flag === "--no-properties") options.properties = false;
    else if (flag === "--replay") options.replay = value();
    else if (flag === "--save-corpus") options.saveCorpus = value();
    else if (flag === "--make-corpus") options.makeCorpus = true;
    else if (flag === "--expect-corpus") options.expectCorpus = true;
    else throw new Error(`fuzz: unknown flag ${flag}`);
  }
  return options;
}

interface TargetTally {
  execs: number;
  ms: number;
  slowestMs: number;
  counts: Record<OutcomeKind, number>;
  typedKeys: Set<string>;
}

interface Finding {
  target: string;
  outcome: Outcome;
  file: string;
}

class Fuzzer {
  private readonly tally = new Map<string, TargetTally>();
  private readonly findings = new Map<string, Finding>();
  private readonly slots: { worker: Worker | null; shared: SharedArrayBuffer; turn: number; done: boolean }[] = [];
  private readonly deadline: number;

  constructor(private readonly options: Options) {
    this.deadline = Date.now() + options.seconds * 1000;
    for (const name of options.targets) {
      this.tally.set(name, { execs: 0, ms: 0, slowestMs: 0, counts: { ok: 0, typed: 0, generic: 0, hang: 0, memory: 0, nan: 0 }, typedKeys: new Set() });
    }
  }

  async run(): Promise<void> {
    for (let i = 0; i < this.options.workers; i++) {
      this.slots.push({ worker: null, shared: new SharedArrayBuffer(SHARED_INPUT_OFFSET + SHARED_INPUT_BYTES), turn: i, done: false });
      this.start(i);
    }
    let lastReport = Date.now();
    while (this.slots.some((s) => !s.done)) {
      await new Promise((r) => setTimeout(r, 200));
      this.watch();
      if (Date.now() - lastReport >= 30_000) {
        lastReport = Date.now();
        const execs = [...this.tally.values()].reduce((n, t) => n + t.execs, 0);
        const bad = [...this.findings.values()].length;
        process.stderr.write(`fuzz: ${Math.round((this.deadline - Date.now()) / 1000)} s left, ${execs} executions, ${bad} findings\n`);
      }
    }
  }

  private start(index: number): void {
    const slot = this.slots[index]!;
    if (Date.now() >= this.deadline) {
      slot.done = true;
      return;
    }
    const setup: WorkerSetup = {
      shared: slot.shared, seed: this.options.seed * 31 + index * 7919 + slot.turn, targets: this.options.targets,
      firstTurn: slot.turn, sliceMs: this.options.sliceMs, deadline: this.deadline, memoryMb: this.options.memoryMb,
    };
    new Int32Array(slot.shared, 0, CONTROL.slots).fill(0);
    const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: setup, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    slot.worker = worker;
    worker.on("message", (message: FromWorker) => this.receive(index, message));
    worker.on("error", (err: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      const kind: OutcomeKind = err.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "generic";
      this.lost(index, { kind, key: `worker died: ${err.code ?? err.name}`, detail: err.message.slice(0, 300) });
    });
    worker.on("exit", () => {
      if (slot.worker === worker) {
        slot.worker = null;
        slot.done = true;
      }
    });
  }

  private receive(index: number, message: FromWorker): void {
    const slot = this.slots[index]!;
    switch (message.type) {
      case "stats": {
        const t = this.tally.get(message.target)!;
        t.execs += message.execs;
        t.ms += message.ms;
        t.slowestMs = Math.max(t.slowestMs, message.slowestMs);
        for (const kind of OUTCOMES) t.counts[kind] += message.counts[kind];
        break;
      }
      case "finding":
        this.record(message.target, message.outcome, message.input);
        break;
      case "key":
        if (message.kind === "typed") this.tally.get(message.target)!.typedKeys.add(message.key);
        break;
      case "turn":
        slot.turn = message.turn;
        break;
      case "done":
        slot.done = true;
        void slot.worker?.terminate();
        slot.worker = null;
        break;
      case "crash":
        process.stderr.write(`fuzz: worker ${index} crashed: ${message.message}\n`);
        slot.done = true;
        break;
    }
  }

  /** The watchdogs: an execution past --hang-ms, a process past --rss-mb. */
  private watch(): void {
    const rssMb = process.memoryUsage.rss() / (1024 * 1024);
    for (const [index, slot] of this.slots.entries()) {
      if (slot.worker === null || slot.done) continue;
      const control = new Int32Array(slot.shared, 0, CONTROL.slots);
      if (Atomics.load(control, CONTROL.state) !== 1) continue;
      const elapsed = Date.now() - new Float64Array(slot.shared, CONTROL.bytes, 1)[0]!;
      if (elapsed > this.options.hangMs) {
        this.lost(index, { kind: "hang", key: `no result after ${this.options.hangMs} ms`, detail: `stopped after ${Math.round(elapsed)} ms` });
      } else if (rssMb > this.options.rssMb) {
        this.lost(index, { kind: "memory", key: `process past ${this.options.rssMb} MB`, detail: `rss ${Math.round(rssMb)} MB` });
      }
    }
  }

  /** A worker stopped mid-execution: count and save its input, start a fresh worker at the next turn. */
  private lost(index: number, outcome: Outcome): void {
    const slot = this.slots[index]!;
    const worker = slot.worker;
    slot.worker = null;
    void worker?.terminate();
    const target = this.options.targets[slot.turn % this.options.targets.length]!;
    const t = this.tally.get(target)!;
    t.execs++;
    t.counts[outcome.kind]++;
    const control = new Int32Array(slot.shared, 0, CONTROL.slots);
    const length = Atomics.load(control, CONTROL.inputLength);
    const input = new Uint8Array(slot.shared, SHARED_INPUT_OFFSET, Math.abs(length)).slice();
    if (length < 0) outcome = { ...outcome, detail: `${outcome.detail} (input cut to ${-length} bytes)` };
    this.record(target, outcome, input);
    slot.turn++;
    this.start(index);
  }

  private record(target: string, outcome: Outcome, input: Uint8Array): void {
    const id = `${target}|${outcome.kind}|${outcome.key}`;
    if (this.findings.has(id)) return;
    const hash = createHash("sha256").update(id).digest("hex").slice(0, 10);
    const dir = join(this.options.out, target);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${outcome.kind}-${hash}.case`);
    writeFileSync(file, input);
    this.findings.set(id, { target, outcome, file });
    process.stderr.write(`fuzz: ${target}: ${outcome.kind}: ${outcome.key}\n  ${outcome.detail}\n  saved ${file}\n`);
  }

  report(): boolean {
    const header = ["target", "execs", "execs/s", "slowest ms", ...OUTCOMES.map((k) => (k === "nan" ? "NaN accepted" : k)), "typed kinds"];
    const rows = [...this.tally.entries()].map(([name, t]) => [
      name, String(t.execs), (t.execs / Math.max(t.ms / 1000, 1e-9)).toFixed(0), t.slowestMs.toFixed(0), ...OUTCOMES.map((k) => String(t.counts[k])), String(t.typedKeys.size),
    ]);
    const total = (kind: OutcomeKind): number => [...this.tally.values()].reduce((n, t) => n + t.counts[kind], 0);
    const execs = [...this.tally.values()].reduce((n, t) => n + t.execs, 0);
    rows.push(["total", String(execs), (execs / this.options.seconds).toFixed(0), "", ...OUTCOMES.map((k) => String(total(k))), ""]);
    printTable(header, rows);
    writeFileSync(join(this.options.out, "findings.json"), `${JSON.stringify([...this.findings.values()], null, 2)}\n`);
    return total("generic") + total("hang") + total("memory") + total("nan") === 0;
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const row of rows) console.log(line(row));
}

/** Runs a saved finding again; with --save-corpus NAME, adds the file it changed to the corpus. */
async function replay(file: string, options: Options): Promise<void> {
  const target = options.targets.length === 1 ? targetNamed(options.targets[0]!) : targetNamed(resolve(file).split(/[\\/]/).at(-2)!);
  const c = decodeCase(new Uint8Array(readFileSync(file)));
  const started = performance.now();
  const outcome = await runCase(target, c);
  console.log(`${target.name}: ${outcome.kind} after ${(performance.now() - started).toFixed(0)} ms: ${outcome.key}\n${outcome.detail}`);
  if (options.saveCorpus === null) return;
  const seed = target.seeds()[0]!;
  const changed = [...c].filter(([name, bytes]) => Buffer.compare(Buffer.from(bytes), Buffer.from(seed.get(name) ?? new Uint8Array(0))) !== 0);
  if (changed.length !== 1) throw new Error(`fuzz: the case changes ${changed.length} files of the first seed; the corpus holds one-file changes`);
  const [name, bytes] = changed[0]!;
  mkdirSync(join(CORPUS_DIR, target.name), { recursive: true });
  const path = join(CORPUS_DIR, target.name, `${options.saveCorpus}.${name}`);
  writeFileSync(path, bytes);
  console.log(`saved ${path}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.replay !== null) return replay(options.replay, options);
  if (options.makeCorpus) {
    writeClassics();
    return;
  }
  if (options.expectCorpus) return writeExpectations();
  mkdirSync(options.out, { recursive: true });
  let ok = true;
  if (options.properties) ok = runProperties({ seconds: Math.min(60, Math.max(5, options.seconds / 20)), seed: options.seed }) && ok;
  console.log(`\nmutation fuzzing: ${options.targets.length} targets, ${options.workers} workers, ${options.seconds} s, seed ${options.seed}`);
  const fuzzer = new Fuzzer(options);
  await fuzzer.run();
  ok = fuzzer.report() && ok;
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
