// The forward benchmark's tables, as Markdown (printed, and written to bench/RESULTS.md): one row per
// configuration with medians over its runs, the floors of issue 8 with PASS / FAIL, and the cost of the
// best of ours and the peer against sequence length and batch size.
// Legend: B batch, T tokens.
import {
  BATCH_SWEEP,
  LENGTH_SWEEP,
  PARITY_ATOL,
  REDUCED_MIN_COSINE,
  isFullPrecision,
  specId,
  specLabel,
  type ChildResult,
  type OursSpec,
  type PairedTiming,
  type Shape,
  type SystemSpec,
} from "./systems.js";
import { median } from "../timing.js";

export type Run = Extract<ChildResult, { available: true }>;

/** Every run of one configuration, or why it has none. */
export interface Row {
  spec: SystemSpec;
  runs: Run[];
  /** Why it did not run: "not available: …", "failed: …", "skipped (--quick)". */
  note?: string;
  /** Runs killed for making no progress (the row is still tried in later rounds). */
  hangs?: string[];
}

export interface Report {
  rows: Row[];
  /** Sweep runs: the best of ours and the peer at the same thread count (null when not run). */
  sweep: { ours: Row; peer: Row | null } | null;
  sweepNote: string;
  weightBytes: number;
  /** 2 threads against 1 (wasm, f32) paired in one process, once per round of the main table. */
  scaling: { round: number; timings: PairedTiming[] }[];
}

/** Median (wall-clock or CPU) seconds per forward of `shape` over the row's runs, or null when never timed. */
export function medianSeconds(row: Row | null | undefined, { B, T }: Shape, clock: "seconds" | "cpuSeconds" = "seconds"): number | null {
  const values = (row?.runs ?? []).flatMap((r) => r.timings.filter((t) => t.B === B && t.T === T).map((t) => t[clock]));
  return values.length === 0 ? null : median(values);
}

/** 1-thread seconds ÷ 2-thread seconds of each pair (a paired job's `against` is the 1-thread run). */
function pairRatios(t: PairedTiming): number[] {
  return t.seconds.map((s, i) => t.againstSeconds[i]! / s);
}

/** The median over a paired timing's pairs of (1-thread seconds ÷ 2-thread seconds). */
export function pairRatio(t: PairedTiming): number {
  return median(pairRatios(t));
}

/** The median over every pair of every round on `shape`, or null when none was timed. */
function pairedSpeedup(report: Report, { B, T }: Shape): number | null {
  const ratios = report.scaling.flatMap((s) => s.timings.filter((t) => t.B === B && t.T === T).flatMap(pairRatios));
  return ratios.length === 0 ? null : median(ratios);
}

function medianRss(row: Row): number | null {
  return row.runs.length === 0 ? null : median(row.runs.map((r) => r.peakRssBytes));
}

const MB = 1e6;
const fmtMs = (s: number | null): string => (s === null ? "—" : (s * 1000).toFixed(s < 0.1 ? 1 : 0).replace(/\B(?=(\d{3})+(?!\d))/g, ","));
const fmtTokS = (s: number | null, { B, T }: Shape): string => (s === null ? "—" : ((B * T) / s).toFixed(0));
const fmtRatio = (x: number | null): string => (x === null ? "—" : x < 0.1 ? x.toFixed(3) : x.toFixed(2));

function threadsLabel(n: number): string {
  return n === 1 ? "1 thread" : `${n} threads`;
}

function peerRow(rows: Row[], threads: number): Row | undefined {
  return rows.find((r) => r.spec.system === "onnxruntime-node" && r.spec.threads === threads);
}

// ours speed / peer speed on one shape, at the same thread count
function ratioToPeer(rows: Row[], row: Row, shape: Shape): number | null {
  const ours = medianSeconds(row, shape);
  const peer = medianSeconds(peerRow(rows, row.spec.threads), shape);
  return ours === null || peer === null ? null : peer / ours;
}

function parityCell(row: Row): string {
  const parities = row.runs.flatMap((r) => (r.parity === null ? [] : [r.parity]));
  if (parities.length === 0) return "—";
  const maxDiff = Math.max(...parities.map((p) => p.maxAbsDiff));
  const minCos = Math.min(...parities.map((p) => p.minCosine));
  return `${maxDiff.toExponential(1)} / ${minCos.toFixed(6)}`;
}

function hangNote(row: Row): string | null {
  const hangs = row.hangs ?? [];
  return hangs.length === 0 ? null : `hung: ${specId(row.spec)}: ${hangs.length} run(s) killed, ${hangs.join("; ")}`;
}

/** The notes that carry a reason ("not available: …", "failed: …", "hung: …"), each listed once under the table. */
function notesOf(rows: Row[]): string[] {
  const notes = rows.flatMap((r) => [...(r.note?.includes(":") ? [r.note] : []), ...(hangNote(r) === null ? [] : [hangNote(r)!])]);
  return [...new Set(notes)];
}

// "not available (2)": the note's first word(s) and its number under the table
function noteRef(note: string, notes: string[]): string {
  const n = notes.indexOf(note);
  return n < 0 ? note : `${note.slice(0, note.indexOf(":"))} (${n + 1})`;
}

function notRunCell(row: Row, notes: string[]): string {
  return noteRef(row.note ?? hangNote(row) ?? "not run", notes);
}

function runsCell(row: Row, notes: string[]): string {
  const hung = hangNote(row);
  return hung === null ? String(row.runs.length) : `${row.runs.length}, ${row.hangs!.length} ${noteRef(hung, notes)}`;
}

/** The main table: one row per configuration. */
export function mainTable(report: Report): string {
  const { rows, weightBytes } = report;
  const notes = notesOf(rows);
  const [one, eight] = [{ B: 1, T: 128 }, { B: 8, T: 128 }];
  const lines = [
    "| system | threads | 1 × 128 ms | 8 × 128 ms | 8 × 128 tokens/s | 8 × 128 CPU s | peak RSS MB | × weights | × onnxruntime-node (1 × 128 / 8 × 128) | load s | parity: max abs diff / min cos | runs |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    const label = specLabel(row.spec);
    const threads = threadsLabel(row.spec.threads);
    if (row.runs.length === 0) {
      lines.push(`| ${label} | ${threads} | ${notRunCell(row, notes)} | | | | | | | | | ${runsCell(row, notes)} |`);
      continue;
    }
    const rss = medianRss(row)!;
    const ratio = row.spec.system === "onnxruntime-node" ? "1" : `${fmtRatio(ratioToPeer(rows, row, one))} / ${fmtRatio(ratioToPeer(rows, row, eight))}`;
    const load = median(row.runs.map((r) => r.loadSeconds)).toFixed(1);
    lines.push(
      `| ${label} | ${threads} | ${fmtMs(medianSeconds(row, one))} | ${fmtMs(medianSeconds(row, eight))} | ` +
        `${fmtTokS(medianSeconds(row, eight), eight)} | ${medianSeconds(row, eight, "cpuSeconds")?.toFixed(1) ?? "—"} | ${(rss / MB).toFixed(0)} | ${(rss / weightBytes).toFixed(2)} | ${ratio} | ` +
        `${load} | ${parityCell(row)} | ${runsCell(row, notes)} |`,
    );
  }
  lines.push("");
  notes.forEach((note, i) => lines.push(`(${i + 1}) ${note}`));
  if (notes.length > 0) lines.push("");
  lines.push(
    `Times are medians over the runs (each run a fresh process; benchmark.js's mean per call inside it, the js ` +
      `backend timed once per shape); onnxruntime-node runs beside each of ours, hence its larger count. CPU s = ` +
      `CPU time of the whole process (all its threads) per forward: less sensitive than wall time to other work on ` +
      `the machine (an idle spinning thread counts too). × weights = peak RSS / ${(weightBytes / MB).toFixed(1)} MB, the bytes of the ` +
      `F32 tensors in model.safetensors. × onnxruntime-node = its time / ours at the same thread count (above 1: ` +
      `we are faster). Parity: against ours (js, f32, 1 thread) on 2 × 16 tokens with padding; F32 rows must be ` +
      `within ${PARITY_ATOL}, f16 / int8 rows need a mean-pooled cosine ≥ ${REDUCED_MIN_COSINE}, or they are not timed.`,
  );
  return lines.join("\n");
}

/** Our rows the floors are judged on: the wasm backend when it ran, else the js one. */
function floorRows(rows: Row[]): OursSpec["backend"] {
  return rows.some((r) => r.spec.system === "ours" && r.spec.backend === "wasm" && r.runs.length > 0) ? "wasm" : "js";
}

function oursRow(rows: Row[], backend: string, threads: number, dtype: "f32" | "f16"): Row | undefined {
  return rows.find(
    (r) => r.spec.system === "ours" && r.spec.backend === backend && r.spec.threads === threads && r.spec.dtype === dtype && r.spec.quantize === undefined,
  );
}

/** The floors of issue 8, each with what was measured and PASS / FAIL ("not measured" when the row did not run). */
export function floorsTable(report: Report): string {
  const { rows, weightBytes } = report;
  const backend = floorRows(rows);
  const one = { B: 1, T: 128 };
  const eight = { B: 8, T: 128 };
  const f32x1 = oursRow(rows, backend, 1, "f32");
  const f32x2 = oursRow(rows, backend, 2, "f32");
  const f16rows = [1, 2].map((t) => oursRow(rows, backend, t, "f16"));
  const secs = (row: Row | undefined, shape: Shape) => medianSeconds(row, shape);
  // 2 threads against 1: the pairs timed in one process when they ran, else the separate processes' medians
  const separateSpeedup = (shape: Shape): number | null => {
    const a = secs(f32x1, shape);
    const b = secs(f32x2, shape);
    return a === null || b === null ? null : a / b;
  };
  const paired = report.scaling.length > 0 && backend === "wasm";
  const speedup = (shape: Shape): number | null => (paired ? pairedSpeedup(report, shape) : separateSpeedup(shape));
  const how = paired ? " (paired in one process)" : "";
  const worstRss = (list: (Row | undefined)[]): number | null => {
    const values = list.flatMap((r) => (r === undefined || r.runs.length === 0 ? [] : [medianRss(r)! / weightBytes]));
    return values.length === 0 ? null : Math.max(...values);
  };
  const tokS = secs(f32x2, eight) === null ? null : 1024 / secs(f32x2, eight)!;
  const peer = secs(peerRow(rows, 2), eight);
  const vsPeer = tokS === null || peer === null ? null : tokS / (1024 / peer);
  const floors: [string, number | null, (x: number) => boolean, (x: number) => string][] = [
    ["8 × 128 tokens, 2 threads: ≥ 400 tokens/s", tokS, (x) => x >= 400, (x) => `${x.toFixed(0)} tokens/s`],
    ["8 × 128 tokens, 2 threads: ≥ 0.17 × onnxruntime-node (2 threads, same run)", vsPeer, (x) => x >= 0.17, (x) => `${fmtRatio(x)} ×`],
    ["1 × 128 tokens, 2 threads: ≤ 400 ms", secs(f32x2, one), (x) => x <= 0.4, (x) => `${fmtMs(x)} ms`],
    [`2 threads ≥ 1.7 × one thread, 1 × 128 tokens${how}`, speedup(one), (x) => x >= 1.7, (x) => `${x.toFixed(2)} ×`],
    [`2 threads ≥ 1.7 × one thread, 8 × 128 tokens${how}`, speedup(eight), (x) => x >= 1.7, (x) => `${x.toFixed(2)} ×`],
    ["peak RSS, F32 weights: ≤ 1.4 × the weights", worstRss([f32x1, f32x2]), (x) => x <= 1.4, (x) => `${x.toFixed(2)} ×`],
    ["peak RSS, dtype f16: ≤ 0.8 × the (F32) weights", worstRss(f16rows), (x) => x <= 0.8, (x) => `${x.toFixed(2)} ×`],
  ];
  const lines = [`| floor (issue 8), ours = ${backend} backend, f32 unless said | measured | result |`, "|---|--:|---|"];
  for (const [name, value, pass, fmt] of floors) {
    lines.push(`| ${name} | ${value === null ? "—" : fmt(value)} | ${value === null ? "not measured" : pass(value) ? "PASS" : "FAIL"} |`);
  }
  lines.push("", "Peak RSS floors take the larger of the 1- and 2-thread rows.");
  if (paired) {
    const fmt = (x: number | null) => (x === null ? "—" : `${x.toFixed(2)} ×`);
    lines.push(
      `2 threads against 1: the median over every pair (1-thread time ÷ 2-thread time of two calls side by side, ` +
        `the two models loaded in one process, calls alternating). From the separate processes of the table above ` +
        `(medians of runs minutes apart): ${fmt(separateSpeedup(one))} at 1 × 128, ${fmt(separateSpeedup(eight))} at 8 × 128.`,
    );
  }
  return lines.join("\n");
}

/**
 * Round by round: ours (wasm, f32, 2 threads) against onnxruntime-node (2 threads) on 8 × 128 in the same
 * round, and the paired 2-against-1-thread ratios — to see whether a slow round was slow for both.
 */
export function roundsTable(report: Report): string {
  const { rows } = report;
  const eight = { B: 8, T: 128 };
  const ours = oursRow(rows, "wasm", 2, "f32");
  const peer = peerRow(rows, 2);
  const roundsSeen = [...new Set([...(ours?.runs ?? []), ...(peer?.runs ?? [])].flatMap((r) => (r.round === undefined ? [] : [r.round])))];
  const rounds = [...new Set([...roundsSeen, ...report.scaling.map((s) => s.round)])].sort((a, b) => a - b);
  if (rounds.length === 0) return "No round ran.";
  const inRound = (row: Row | undefined, round: number): Row | undefined => (row === undefined ? undefined : { ...row, runs: row.runs.filter((r) => r.round === round) });
  const lines = [
    "| round | ours, wasm, f32, 2 threads: 8 × 128 ms | tokens/s | onnxruntime-node, 2 threads: 8 × 128 ms | tokens/s | × onnxruntime-node | 2 threads ÷ 1, paired: 1 × 128 | 8 × 128 |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const round of rounds) {
    const a = medianSeconds(inRound(ours, round), eight);
    const b = medianSeconds(inRound(peer, round), eight);
    const scaling = report.scaling.find((s) => s.round === round);
    const pairedCell = (B: number): string => {
      const t = scaling?.timings.find((x) => x.B === B && x.T === 128);
      return t === undefined ? "—" : `${pairRatio(t).toFixed(2)} × (${t.seconds.length} pairs)`;
    };
    lines.push(`| ${round} | ${fmtMs(a)} | ${fmtTokS(a, eight)} | ${fmtMs(b)} | ${fmtTokS(b, eight)} | ${fmtRatio(a === null || b === null ? null : b / a)} | ${pairedCell(1)} | ${pairedCell(8)} |`);
  }
  lines.push(
    "",
    "onnxruntime-node's time in a round is the median of its 2-thread runs in that round (it runs beside each of our 2-thread configurations). " +
      "A round slow for both systems is the machine, not either of them.",
  );
  return lines.join("\n");
}

function sweepTable(report: Report, shapes: Shape[], axis: "T" | "B"): string {
  const { ours, peer } = report.sweep!;
  const oursName = `${specLabel(ours.spec)}, ${threadsLabel(ours.spec.threads)}`;
  const peerName = `onnxruntime-node, ${threadsLabel(ours.spec.threads)}`;
  const lines = [
    `| ${axis} | ${oursName}: ms | tokens/s | ${peerName}: ms | tokens/s | × onnxruntime-node |`,
    "|--:|--:|--:|--:|--:|--:|",
  ];
  for (const shape of shapes) {
    const a = medianSeconds(ours, shape);
    const b = medianSeconds(peer, shape);
    const ratio = a === null || b === null ? null : b / a;
    lines.push(`| ${shape[axis]} | ${fmtMs(a)} | ${fmtTokS(a, shape)} | ${fmtMs(b)} | ${fmtTokS(b, shape)} | ${fmtRatio(ratio)} |`);
  }
  return lines.join("\n");
}

/** Cost against sequence length and batch size, or why it was not measured. */
export function sweepTables(report: Report): string {
  if (report.sweep === null) return report.sweepNote;
  return [
    report.sweepNote,
    "",
    "Cost against sequence length (B = 1):",
    "",
    sweepTable(report, LENGTH_SWEEP, "T"),
    "",
    "Cost against batch size (T = 128):",
    "",
    sweepTable(report, BATCH_SWEEP, "B"),
  ].join("\n");
}

/** True for the rows that count as F32 (for the floors and the "best of ours"). */
export function isF32(spec: SystemSpec): boolean {
  return spec.system === "ours" && isFullPrecision(spec);
}
