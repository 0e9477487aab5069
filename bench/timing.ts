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

/**
 * Seconds per call of an async `fn` (mean over the samples), measured by benchmark.js in deferred mode:
 * each call is awaited before the next one starts.
 */
export function secondsPerCallAsync(name: string, fn: () => Promise<unknown>, options: Benchmark.Options): Promise<number> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      ...options,
      defer: true,
      fn: (deferred: { resolve(): void }) => {
        fn().then(() => deferred.resolve(), (err: unknown) => reject(err));
      },
      onComplete: () => (bench.error !== undefined ? reject(bench.error) : resolve(bench.stats.mean)),
    });
    bench.run({ async: true });
  });
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
