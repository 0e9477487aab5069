import { FuzzRng } from "./case.js";
import { mutateCase, dictionaryOf } from "./mutate.js";
import { targetNamed } from "./targets.js";
import { runCase } from "./classify.js";
const t = targetNamed(process.argv[2]!);
const seeds = t.seeds();
const words = dictionaryOf(seeds, t.files);
const rng = new FuzzRng(1);
const times: number[] = [];
const sizes: number[] = [];
for (let i = 0; i < 400; i++) {
  const c = mutateCase(rng.pick(seeds), seeds, t.files, words, rng);
  const d = performance.now();
  await runCase(t, c);
  times.push(performance.now() - d);
  sizes.push([...c.values()].reduce((n, b) => n + b.length, 0));
}
const order = times.map((_, i) => i).sort((a, b) => times[b]! - times[a]!);
times.sort((a, b) => a - b);
console.log(t.name, "median", times[200]!.toFixed(3), "p90", times[360]!.toFixed(3), "max", times[399]!.toFixed(1), "slowest sizes", order.slice(0, 5).map((i) => sizes[i]));
