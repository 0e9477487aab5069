// Deno host: `deno run --allow-read=<model dir> deno.js <model dir>` reads the model with Deno's own
// file API (no node: compatibility layer) and prints a ParityReport.
import { parityFromBuffers, type ParityReport } from "../guest.js";
import { denoRuntime, readModelArgument } from "./deno-model.js";

const result = await parityFromBuffers(await readModelArgument());
const report: ParityReport = { runtime: denoRuntime(), ...result };
console.log(JSON.stringify(report));
