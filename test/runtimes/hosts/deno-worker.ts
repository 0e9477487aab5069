// Deno host of createEmbeddingWorker: `deno run --allow-read=<dir> deno-worker.js <model dir>` reads the
// model, hands the bytes to a module worker (embedding-worker.js beside this file) and prints a ParityReport.
import { parityThroughWorker, type ParityReport } from "../guest.js";
import { denoRuntime, readModelArgument } from "./deno-model.js";

const result = await parityThroughWorker(await readModelArgument(), new URL("./embedding-worker.js", import.meta.url));
const report: ParityReport = { runtime: `${denoRuntime()}, createEmbeddingWorker`, ...result };
console.log(JSON.stringify(report));
