// Bun host: `bun bun.js <model dir>` reads the model with Bun.file and prints a ParityReport.
import { parityFromBuffers, type ParityReport } from "../guest.js";

declare const Bun: {
  argv: string[];
  version: string;
  file(path: string): { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> };
};

const dir = Bun.argv[2]!;
const result = await parityFromBuffers({
  config: await Bun.file(`${dir}/config.json`).text(),
  weights: await Bun.file(`${dir}/model.safetensors`).arrayBuffer(),
  vocab: await Bun.file(`${dir}/vocab.json`).text(),
  merges: await Bun.file(`${dir}/merges.txt`).text(),
});
const report: ParityReport = { runtime: `bun ${Bun.version}`, ...result };
console.log(JSON.stringify(report));
