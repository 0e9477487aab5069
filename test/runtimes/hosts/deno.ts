// Deno host: `deno run --allow-read=<model dir> deno.js <model dir>` reads the model with Deno's own
// file API (no node: compatibility layer) and prints a ParityReport.
import { parityFromBuffers, type ParityReport } from "../guest.js";

declare const Deno: {
  args: string[];
  version: { deno: string };
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
};

const dir = Deno.args[0]!;
const result = await parityFromBuffers({
  config: await Deno.readTextFile(`${dir}/config.json`),
  weights: await Deno.readFile(`${dir}/model.safetensors`),
  vocab: await Deno.readTextFile(`${dir}/vocab.json`),
  merges: await Deno.readTextFile(`${dir}/merges.txt`),
});
const report: ParityReport = { runtime: `deno ${Deno.version.deno}`, ...result };
console.log(JSON.stringify(report));
