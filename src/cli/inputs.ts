// Pieces several commands share: which model to load, how to read the texts, how to read a pooling
// spec and its parameters, and how to print warnings with the line they are about.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  InputError, loadModel, parseJson, parseStateDict, PoolingError, POOLING_TYPES, readBytes, readRecords, readText, UsageError,
  type EncoderModel, type FloatArray, type Tensor, type TextRecord,
} from "../node.js";
import { stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import { engineOptions } from "./engine-flags.js";

/** Flags every text-reading command accepts. */
export const inputFlags = {
  input: { type: "string" },
  text: { type: "string", multiple: true },
  "text-field": { type: "string" },
  "text-column": { type: "string" },
} as const;

/** Loads `--model DIR`, or the shipped default model when the flag is absent, on the engine its flags choose. */
export async function loadModelFlag(values: FlagValues, ctx: CliContext, command = "load"): Promise<EncoderModel> {
  const dir = stringFlag(values, "model");
  const options = { allowNonFinite: values["allow-nonfinite"] === true, ...engineOptions(command, values) };
  return dir === undefined ? loadModel(undefined, options) : loadModel(resolve(ctx.cwd, dir), options);
}

/** The texts of `--input FILE` (or `-`) or of the `--text` flags, each with where it came from. */
export async function readInputTexts(command: string, values: FlagValues, ctx: CliContext): Promise<{ records: TextRecord[]; source: string }> {
  const input = stringFlag(values, "input");
  const texts = values["text"];
  if (input !== undefined && Array.isArray(texts)) throw new UsageError(`${command}: give --input or --text, not both`);
  if (Array.isArray(texts)) {
    return { records: texts.map((text, i) => ({ text: String(text), line: i + 1 })), source: "--text" };
  }
  if (input === undefined) throw new UsageError(`${command}: give --input FILE (or -) or --text "…"`);
  const path = input === "-" ? "-" : resolve(ctx.cwd, input);
  const textField = stringFlag(values, "text-field") ?? stringFlag(values, "text-column");
  const { records, warnings } = await readRecords(path, { stdin: ctx.stdin, ...(textField === undefined ? {} : { textField }) });
  for (const warning of warnings) ctx.stderr.write(`warning: ${warning}\n`);
  if (records.length === 0) throw new InputError(`${input}: no texts in the input`);
  return { records, source: input === "-" ? "<stdin>" : input };
}

/**
 * `--pooling NAME`, `--pooling SPEC.json` or `--pooling '{"type": …}'` as a name or parsed spec.
 * A known pooling name always means that pooling, even when a file of that name is around.
 */
export async function readPoolingFlag(value: string, ctx: CliContext): Promise<string | object> {
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) return parseSpecJson(trimmed, "--pooling");
  if ((POOLING_TYPES as readonly string[]).includes(trimmed)) return trimmed;
  if (trimmed.endsWith(".json") || existsSync(resolve(ctx.cwd, trimmed))) {
    const path = resolve(ctx.cwd, trimmed);
    return parseSpecJson(await readText(path, "pooling spec"), value);
  }
  return trimmed;
}

function parseSpecJson(text: string, source: string): string | object {
  const spec = parseJson(text, `${source}: not a pooling spec`, PoolingError);
  if (typeof spec === "string") return spec;
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new PoolingError(`${source}: not a pooling spec: expected a JSON object or a pooling name`);
  }
  return spec;
}

/** Reads pooler parameters from a safetensors file (Float32, or with `keepDtype` as stored). */
export async function readParamsFile(path: string, options: { keepDtype?: boolean } = {}): Promise<Map<string, Tensor<FloatArray>>> {
  return parseStateDict(await readBytes(path, "params"), path, options);
}

/** Prints a warning about text `index` as `source:line: message`. */
export function warnAt(ctx: CliContext, source: string, records: TextRecord[], index: number, message: string): void {
  const line = records[index]?.line ?? index + 1;
  ctx.stderr.write(`warning: ${source}:${line}: ${message}\n`);
}
