// `npm run bench [-- suite… --flag…]`: every benchmark suite in turn, or the ones named. Flags (words that
// start with --) go to the suites, e.g. `npm run bench -- forward --quick`. Each suite checks its fast
// path against the reference before it times anything, and prints a table.
import { runKernelsBench } from "./kernels.js";
import { runMatmulBench } from "./matmul.js";
import { runForwardBench } from "./forward.js";
import { runTokenizerBench } from "./tokenizer.js";
import { runEmbedStreamBench } from "./embed-stream.js";

const suites: [string, (flags: string[]) => Promise<void>][] = [
  ["matmul", runMatmulBench],
  ["kernels", runKernelsBench],
  ["forward", runForwardBench],
  ["tokenizer", runTokenizerBench],
  ["embed-stream", runEmbedStreamBench],
];

const args = process.argv.slice(2);
const flags: string[] = [];
const only: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (!a.startsWith("--")) only.push(a);
  else if (a === "--rounds" && i + 1 < args.length) flags.push(a, args[++i]!);
  else flags.push(a);
}
const unknown = only.filter((name) => !suites.some(([s]) => s === name));
if (unknown.length > 0) throw new Error(`bench: unknown suite ${unknown.join(", ")} (known: ${suites.map(([s]) => s).join(", ")})`);
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n## ${name}\n`);
  await run(flags);
}
