// `npm run bench`: every benchmark suite in turn. Each suite checks its fast path against the
// reference before it times anything, and prints a table.
import { runKernelsBench } from "./kernels.js";
import { runMatmulBench } from "./matmul.js";
import { runForwardBench } from "./forward.js";
import { runTokenizerBench } from "./tokenizer.js";

const suites: [string, () => Promise<void>][] = [
  ["matmul", runMatmulBench],
  ["kernels", runKernelsBench],
  ["forward", runForwardBench],
  ["tokenizer", runTokenizerBench],
];

const only = process.argv.slice(2);
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}\n`);
  await run();
}
