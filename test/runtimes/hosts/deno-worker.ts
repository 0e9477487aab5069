// Deno host of createEmbeddingWorker: `deno run --allow-read=<dir> deno-worker.js <model dir>` reads the
// model, hands the bytes to a module worker (embedding-worker.js beside this file) and prints a ParityReport.
import { parityThroughWorker, type ParityReport } from "../guest.js";

declare const Deno: {
  args: string[];
  version: { deno: string };
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
};

const dir = Deno.args[0]!;
const files = {
  config: await Deno.readTextFile(`${dir}/config.json`),
  weights: await Deno.readFile(`${dir}/model.safetensors`),
  vocab: await Deno.readTextFile(`${dir}/vocab.json`),
  merges: await Deno.readTextFile(`${dir}/merges.txt`),
};
const result = await parityThroughWorker(files, new URL("./embedding-worker.js", import.meta.url));
const report: ParityReport = { runtime: `deno ${Deno.version.deno}, createEmbeddingWorker`, ...result };
console.log(JSON.stringify(report));
