// The forward benchmark's report: the thread-scaling floors are judged on the calls paired in one process
// when they ran (bench/forward/child.ts, Job.against), and the round-by-round table lines up our 2-thread
// runs with the peer's of the same round.
import { describe, expect, it } from "vitest";
import { floorsTable, pairRatio, roundsTable, type Report, type Run } from "../../bench/forward/report.js";
import type { PairedTiming, SystemSpec } from "../../bench/forward/systems.js";

const wasm = (threads: number): SystemSpec => ({ system: "ours", backend: "wasm", threads, dtype: "f32" });
const ort = (threads: number): SystemSpec => ({ system: "onnxruntime-node", threads });

/** A run taking `one` s at 1 × 128 and `eight` s at 8 × 128 in `round`. */
function run(one: number, eight: number, round: number): Run {
  const t = (B: number, seconds: number) => ({ B, T: 128, seconds, cpuSeconds: seconds });
  return { available: true, loadSeconds: 1, parity: null, timings: [t(1, one), t(8, eight)], peakRssBytes: 600e6, round };
}

function paired(B: number, twoThreads: number[], oneThread: number[]): PairedTiming {
  return { B, T: 128, seconds: twoThreads, againstSeconds: oneThread };
}

function report(scaling: Report["scaling"]): Report {
  return {
    rows: [
      // separate processes: round 1 caught the 2-thread run on a slow machine (1.5 × at 8 × 128)
      { spec: wasm(1), runs: [run(0.5, 4.2, 1), run(0.5, 4.2, 2), run(0.5, 4.2, 3)] },
      { spec: wasm(2), runs: [run(0.3, 2.8, 1), run(0.3, 2.2, 2), run(0.3, 2.9, 3)] },
      { spec: ort(1), runs: [run(0.15, 1.2, 1)] },
      { spec: ort(2), runs: [run(0.1, 0.8, 1), run(0.1, 0.6, 1), run(0.09, 0.6, 2), run(0.1, 0.7, 3)] },
    ],
    sweep: null,
    sweepNote: "",
    weightBytes: 500e6,
    scaling,
  };
}

describe("bench forward report", () => {
  it("takes the median of the pairs' 1-thread ÷ 2-thread ratios", () => {
    expect(pairRatio(paired(8, [2, 2, 4], [4, 3.8, 4.4]))).toBeCloseTo(1.9, 10); // ratios 2, 1.9, 1.1
  });

  it("judges 2 threads against 1 on the pairs when they ran, and says so", () => {
    const scaling = [
      { round: 1, timings: [paired(1, [0.3, 0.3], [0.55, 0.56]), paired(8, [2.2, 2.3], [4.2, 4.3])] },
      { round: 2, timings: [paired(1, [0.3, 0.3], [0.54, 0.57]), paired(8, [2.3, 2.2], [4.3, 4.2])] },
    ];
    const table = floorsTable(report(scaling));
    const line = (text: string) => table.split("\n").find((l) => l.includes(text)) ?? "";
    expect(line("8 × 128 tokens (paired in one process)")).toMatch(/\| 1\.8\d × \| PASS \|/);
    expect(line("1 × 128 tokens (paired in one process)")).toMatch(/\| 1\.8\d × \| PASS \|/);
    // the separate processes' figure is still shown: 4.2 / 2.8 = 1.50 ×
    expect(table).toContain("1.50 × at 8 × 128");
  });

  it("falls back to the separate processes' medians when no pair ran", () => {
    const table = floorsTable(report([]));
    expect(table).toMatch(/2 threads ≥ 1\.7 × one thread, 8 × 128 tokens \| 1\.50 × \| FAIL \|/);
    expect(table).not.toContain("paired");
  });

  it("lines up each round's 2-thread runs with the peer's of the same round", () => {
    const table = roundsTable(report([{ round: 2, timings: [paired(8, [2.2], [4.4])] }]));
    const rows = table.split("\n").filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(3);
    // round 1: ours 2.8 s, the peer's two runs 0.8 and 0.6 → median 0.7 s → 0.25 ×
    expect(rows[0]).toMatch(/^\| 1 \| 2,800 \| 366 \| 700 \| 1463 \| 0\.25 \| — \| — \|$/);
    expect(rows[1]).toContain("| 2.00 × (1 pairs) |");
  });
});
