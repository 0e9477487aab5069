// The engine flags of every command that loads a model: --backend, --threads, --dtype, --quantize. They are
// declared here once (engineFlags, engineUsage), checked here once (parseFlags calls engineOptions, so a
// wrong value is a usage error naming the command and the flag, before any file is read), and turned into
// loadModel's options here (loadModelFlag, and forward, which loads only the encoder).
import { sharedBackend, UsageError, type Backend, type LoadOptions } from "../node.js";

/** Parsed flag values (args.ts's FlagValues; not imported from there, which imports this file). */
type FlagValues = Readonly<Record<string, unknown>>;

/** The flags, for a command's parseFlags table. */
export const engineFlags = {
  backend: { type: "string" },
  threads: { type: "string" },
  dtype: { type: "string" },
  quantize: { type: "string" },
} as const;

/** Their help text, for a command's usage, descriptions from column `column` (23; 20 in forward's narrower table). */
export function engineUsage(column = 23): string {
  const rows: [string, string[]][] = [
    ["--backend B", ["where the kernels run: auto (default: wasm where WebAssembly SIMD works, else js),",
      "wasm (WebAssembly SIMD on --threads threads) or js (pure TypeScript, one thread)"]],
    ["--threads N", ["threads of the wasm backend (default: every core)"]],
    ["--dtype D", ["encoder weights in f32 (default), f16 or bf16 (half the memory, widened in the kernels)"]],
    ["--quantize int8", ["dynamic int8 quantization of the encoder's linear layers (smaller, faster, less exact)"]],
  ];
  return rows.map(([flag, lines]) => lines.map((line, i) => `${(i === 0 ? `  ${flag}` : "").padEnd(column)}${line}`).join("\n")).join("\n");
}

const BACKENDS = ["auto", "wasm", "js"] as const;
const DTYPES = ["f32", "f16", "bf16"] as const;
/** More threads than this is a typo, not a machine (createBackend's limit). */
const MAX_THREADS = 256;

/** What the engine flags choose, as loadModel takes it. */
export type EngineOptions = Pick<LoadOptions, "dtype" | "quantize"> & { backend?: (typeof BACKENDS)[number]; threads?: number };

function oneOf<T extends string>(command: string, values: FlagValues, name: string, allowed: readonly T[]): T | undefined {
  const v = values[name];
  if (typeof v !== "string") return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`${command}: --${name} must be ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}, got "${v}"`);
  return v as T;
}

/** The engine flags of `values`, checked: a UsageError (exit status 2) names the command and the flag. */
export function engineOptions(command: string, values: FlagValues): EngineOptions {
  const backend = oneOf(command, values, "backend", BACKENDS);
  const dtype = oneOf(command, values, "dtype", DTYPES);
  const quantize = oneOf(command, values, "quantize", ["int8"] as const);
  const threadsText = values["threads"];
  let threads: number | undefined;
  if (typeof threadsText === "string") {
    threads = Number(threadsText);
    if (threadsText.trim() === "" || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new UsageError(`${command}: --threads must be an integer from 1 to ${MAX_THREADS}, got "${threadsText}"`);
    }
    if (backend === "js" && threads > 1) throw new UsageError(`${command}: --threads ${threads} needs --backend wasm or auto (js runs on one thread)`);
  }
  return {
    ...(backend === undefined ? {} : { backend }),
    ...(threads === undefined ? {} : { threads }),
    ...(dtype === undefined ? {} : { dtype }),
    ...(quantize === undefined ? {} : { quantize }),
  };
}

/** The engine flags as RobertaModel.load takes them: the backend made (shared per choice and threads), dtype, quantize. */
export async function encoderEngine(command: string, values: FlagValues): Promise<{ backend: Backend } & Pick<LoadOptions, "dtype" | "quantize">> {
  const { backend = "auto", threads, ...precision } = engineOptions(command, values);
  return { backend: await sharedBackend(backend, threads === undefined ? {} : { threads }), ...precision };
}
