// `npm run bench -- forward [--quick] [--rounds N]`: the RoBERTa forward pass at roberta-base size, ours
// beside onnxruntime-node, on the same random weights and the same inputs, in one run.
//   - the weights are written once to bench/.cache/ (forward/model.ts), with the ONNX graph of them;
//   - every configuration runs in a process of its own (forward/child.ts), so each has its own peak RSS,
//     and is checked against ours (js, f32, 1 thread) before it is timed;
//   - systems alternate (ours, then onnxruntime-node at the same thread count; the pair's order flips each
//     round) so that drift of this shared machine hits both alike; medians over the rounds are quoted,
//     and a table round by round shows whether a slow round was slow for both;
//   - each round ends with 2 threads against 1 (wasm, f32) loaded in one process, their calls alternating:
//     the thread-scaling floors are judged on those pairs, which drift cannot split (separate processes
//     minutes apart gave 1.58 × in a run whose quiet rounds gave 2.0 ×);
//   - the pure-TypeScript backend (~40 s per 8 × 128 forward) runs once, on the two main shapes only;
//     --quick skips it;
//   - then the best of ours and the peer against sequence length and batch size.
// One table per question is printed and written to bench/RESULTS.md.
// Run alone: npx tsc -p tsconfig.build.json && node dist/bench/forward.js [--quick] [--rounds N]
import { installPeers } from "./peers/ort.js";
import { ensureBenchModel, ensureOnnxModel, weightBytes } from "./forward/model.js";
import { floorsTable, isF32, mainTable, medianSeconds, pairRatio, roundsTable, sweepTables, type Report, type Row, type Run } from "./forward/report.js";
import { environmentLines, writeResultsSection } from "./forward/results-file.js";
import { runChild } from "./forward/spawn.js";
import {
  BATCH_SWEEP,
  LENGTH_SWEEP,
  MAIN_SHAPES,
  REFERENCE,
  oursSpecs,
  peerSpecs,
  specId,
  specLabel,
  type Job,
  type Shape,
  type SystemSpec,
} from "./forward/systems.js";
import { runIfEntryPoint } from "./timing.js";

interface Flags {
  quick: boolean;
  rounds: number;
}

function parseFlags(args: string[]): Flags {
  const flags: Flags = { quick: false, rounds: 5 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--quick") flags.quick = true;
    else if (a === "--rounds" || a.startsWith("--rounds=")) {
      const value = a.includes("=") ? a.slice("--rounds=".length) : args[++i];
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`bench forward: --rounds needs a positive integer, got ${value}`);
      flags.rounds = n;
    } else throw new Error(`bench forward: unknown flag ${a} (known: --quick, --rounds N)`);
  }
  return flags;
}

function describeRun(run: Run): string {
  const times = run.timings.map((t) => `${t.B}×${t.T} ${(t.seconds * 1000).toFixed(0)} ms`).join(", ");
  const parity = run.parity === null ? "" : `, parity ${run.parity.maxAbsDiff.toExponential(1)}`;
  return `${times} | RSS ${(run.peakRssBytes / 1e6).toFixed(0)} MB, load ${run.loadSeconds.toFixed(1)} s${parity}`;
}

/** Runs `spec` on `shapes` unless an earlier attempt showed it cannot run; records the outcome in `row`. */
async function attempt(row: Row, dir: string, shapes: Shape[], timing: Job["timing"], tag: string, round?: number): Promise<void> {
  if (row.note !== undefined) return;
  const name = `${specLabel(row.spec)}, ${row.spec.threads} thread${row.spec.threads > 1 ? "s" : ""}`;
  process.stdout.write(`${tag} ${name} … `);
  const outcome = await runChild({ spec: row.spec, modelDir: dir, check: "compare", shapes, timing });
  if ("hung" in outcome) {
    // a hang may be a race that the next run does not hit: recorded, and the row is tried again next round
    (row.hangs ??= []).push(outcome.hung);
    console.log(`hung: ${outcome.hung}`);
  } else if ("error" in outcome) {
    row.note = `failed: ${outcome.error}`;
    console.log(row.note);
  } else if (!outcome.result.available) {
    row.note = `not available: ${outcome.result.reason}`;
    console.log(row.note);
  } else {
    row.runs.push(round === undefined ? outcome.result : { ...outcome.result, round });
    console.log(describeRun(outcome.result));
  }
}

/**
 * 2 threads against 1 (wasm, f32), the two loaded in one process and their calls alternating, on the main
 * shapes: the thread-scaling floors are judged on these pairs (see Job.against).
 */
async function scalingPairs(report: Report, dir: string, round: number): Promise<void> {
  const [one, two] = [1, 2].map((t) => report.rows.find((r) => isF32(r.spec) && r.spec.system === "ours" && r.spec.backend === "wasm" && r.spec.threads === t));
  if (one === undefined || two === undefined || one.runs.length === 0 || two.runs.length === 0) return;
  process.stdout.write(`  ${specId(two.spec)} against ${specId(one.spec)}, paired in one process … `);
  const outcome = await runChild({ spec: two.spec, against: one.spec, modelDir: dir, check: "compare", shapes: MAIN_SHAPES, timing: "benchmark" });
  if (!("result" in outcome) || !outcome.result.available || outcome.result.paired === undefined) {
    console.log("hung" in outcome ? `hung: ${outcome.hung}` : "error" in outcome ? `failed: ${outcome.error}` : "not available");
    return;
  }
  report.scaling.push({ round, timings: outcome.result.paired });
  console.log(outcome.result.paired.map((t) => `${t.B}×${t.T} ${t.seconds.length} pairs, median ratio ${pairRatio(t).toFixed(2)} ×`).join(", "));
}

/** The main table's runs: rounds of (ours, peer at the same threads) pairs, each pair's order flipping. */
async function mainRounds(report: Report, dir: string, flags: Flags): Promise<void> {
  const rows = report.rows;
  const peerOf = (threads: number) => rows.find((r) => r.spec.system === "onnxruntime-node" && r.spec.threads === threads);
  for (let round = 1; round <= flags.rounds; round++) {
    console.log(`\nround ${round} of ${flags.rounds}`);
    const peersRun = new Set<Row>();
    for (const row of rows) {
      if (row.spec.system !== "ours" || row.note !== undefined) continue;
      const js = row.spec.backend === "js";
      if (js && round > 1) continue; // the pure-TS backend: once
      const peer = peerOf(row.spec.threads);
      const pair: [Row, Shape[], Job["timing"]][] = [[row, MAIN_SHAPES, js ? "once" : "benchmark"]];
      if (peer !== undefined) pair.push([peer, MAIN_SHAPES, "benchmark"]);
      if (round % 2 === 0) pair.reverse();
      for (const [r, shapes, timing] of pair) {
        if (row.note === undefined) await attempt(r, dir, shapes, timing, "  ", round); // no peer run beside a row that cannot run
      }
      if (peer !== undefined && row.runs.length > 0) peersRun.add(peer);
    }
    for (const peer of rows.filter((r) => r.spec.system === "onnxruntime-node" && !peersRun.has(r))) {
      await attempt(peer, dir, MAIN_SHAPES, "benchmark", "  ", round);
    }
    await scalingPairs(report, dir, round);
  }
}

/** The best of ours for the sweeps: the fastest F32 configuration on 8 × 128 that is not the pure-TS one. */
function bestOurs(rows: Row[]): Row | null {
  const candidates = rows.filter((r) => isF32(r.spec) && r.spec.system === "ours" && r.spec.backend !== "js" && r.runs.length > 0);
  const seconds = (r: Row) => medianSeconds(r, { B: 8, T: 128 }) ?? Infinity;
  return candidates.sort((a, b) => seconds(a) - seconds(b))[0] ?? null;
}

async function sweepRounds(report: Report, dir: string, flags: Flags): Promise<void> {
  const best = bestOurs(report.rows);
  if (best === null) {
    report.sweepNote = "Sweeps not run: no configuration of ours besides the pure-TypeScript backend ran (it takes only the two main shapes).";
    return;
  }
  const shapes = [...LENGTH_SWEEP, ...BATCH_SWEEP.filter((s) => !LENGTH_SWEEP.some((l) => l.B === s.B && l.T === s.T))];
  const ours: Row = { spec: best.spec, runs: [] };
  const peerSpec = report.rows.find((r) => r.spec.system === "onnxruntime-node" && r.spec.threads === best.spec.threads && r.runs.length > 0)?.spec;
  const peer: Row | null = peerSpec === undefined ? null : { spec: peerSpec, runs: [] };
  report.sweep = { ours, peer };
  report.sweepNote = `Best of ours = the fastest F32 configuration on 8 × 128 (${specId(best.spec)}); medians over ${flags.rounds} round(s).`;
  console.log(`\nsweeps: ${specId(best.spec)} against ${peer === null ? "no peer" : specId(peer.spec)}`);
  for (let round = 1; round <= flags.rounds; round++) {
    const pair = peer === null ? [ours] : round % 2 === 1 ? [ours, peer] : [peer, ours];
    for (const row of pair) await attempt(row, dir, shapes, "benchmark", `  round ${round}:`);
  }
}

function tables(report: Report): string {
  return [
    "### Forward pass, roberta-base shape (random weights), ours beside onnxruntime-node",
    "",
    mainTable(report),
    "",
    "### Round by round",
    "",
    roundsTable(report),
    "",
    "### Floors",
    "",
    floorsTable(report),
    "",
    "### Cost against sequence length and batch size",
    "",
    sweepTables(report),
  ].join("\n");
}

/** Prints the tables of a side-by-side forward benchmark and writes them to bench/RESULTS.md. */
export async function runForwardBench(args: string[] = []): Promise<void> {
  const flags = parseFlags(args);
  const dir = await ensureBenchModel(console.log);
  const report: Report = { rows: [], sweep: null, sweepNote: "", weightBytes: weightBytes(dir), scaling: [] };
  const peerMissing = installPeers(console.log);
  if (peerMissing === null) ensureOnnxModel(dir, console.log);
  else console.log(`onnxruntime-node: not available: ${peerMissing}. Continuing with our rows only.`);

  const specs: SystemSpec[] = [...oursSpecs(), ...peerSpecs()];
  report.rows = specs.map((spec) => ({
    spec,
    runs: [],
    ...(flags.quick && spec.system === "ours" && spec.backend === "js" ? { note: "skipped (--quick)" } : {}),
    ...(spec.system === "onnxruntime-node" && peerMissing !== null ? { note: `not available: ${peerMissing}` } : {}),
  }));
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    console.log("\ninterrupted: the tables below hold what was measured; bench/RESULTS.md is left as it was.\n");
    console.log(tables(report));
    process.exit(130);
  });

  console.log("reference: ours (js, f32, 1 thread) on the 2 × 16-token check input");
  const reference = await runChild({ spec: REFERENCE, modelDir: dir, check: "reference", shapes: [], timing: "once" });
  const referenceFailure =
    "hung" in reference ? reference.hung : "error" in reference ? reference.error : reference.result.available ? null : reference.result.reason;
  if (referenceFailure !== null) throw new Error(`bench forward: the reference run failed: ${referenceFailure}`);
  await mainRounds(report, dir, flags);
  await sweepRounds(report, dir, flags);
  if (interrupted) return;

  const ortVersion = report.rows.flatMap((r) => r.runs).find((r) => r.version !== undefined)?.version ?? null;
  const command = `npm run bench -- forward${args.length > 0 ? ` ${args.join(" ")}` : ""}`;
  const section = ["## forward", "", ...environmentLines(ortVersion, command), "", tables(report)].join("\n");
  console.log(`\n${section}\n`);
  console.log(`written to ${writeResultsSection("forward", section)}`);
}

await runIfEntryPoint(import.meta.url, () => runForwardBench(process.argv.slice(2)));
