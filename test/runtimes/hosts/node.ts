// Node host: `node node.js <model dir>` reads the shipped model with node:fs and prints a ParityReport.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parityFromBuffers, type ParityReport } from "../guest.js";

const dir = process.argv[2]!;
const text = (name: string): Promise<string> => readFile(join(dir, name), "utf8");
const result = await parityFromBuffers({
  config: await text("config.json"),
  // A fresh Uint8Array, not the pooled Buffer readFile gives (issue 11's Buffer bug is tested elsewhere).
  weights: new Uint8Array(await readFile(join(dir, "model.safetensors"))),
  vocab: await text("vocab.json"),
  merges: await text("merges.txt"),
});
const report: ParityReport = { runtime: `node ${process.version}`, ...result };
process.stdout.write(JSON.stringify(report));
