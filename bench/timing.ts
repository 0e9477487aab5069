// Timing shared by the benchmark suites: benchmark.js does the clocking and the statistics, and every
// suite picks how many samples its calls are worth (a forward pass takes seconds, a kernel milliseconds).
import Benchmark from "benchmark";
import { isEntryPoint } from "../src/io/entry-point.js";

/** Seconds per call of `fn` (mean over the samples), measured by benchmark.js. */
export function secondsPerCall(name: string, fn: () => void, options: Benchmark.Options): number {
  const bench = new Benchmark(name, fn, options);
  bench.run({ async: false });
  if (bench.error !== undefined) throw bench.error;
  return bench.stats.mean;
}

/** Runs `suite` when the module at `moduleUrl` is the script node was started with. */
export async function runIfEntryPoint(moduleUrl: string, suite: () => Promise<void>): Promise<void> {
  if (isEntryPoint(moduleUrl)) await suite();
}
