// Pieces several commands share: which model to load, how to read the texts, how to read a pooling
// spec and its parameters, and how to print warnings with the line they are about.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  InputError, INPUT_FORMATS, loadModel, openRecordStream, parseJson, parseStateDict, poolerParameters, poolingFromJson, PoolingError, POOLING_TYPES, readBytes,
  readRecords, readText, UsageError, type EncoderModel, type FloatArray, type InputFormat, type RecordStream, type Shard, type Tensor, type TextRecord,
} from "../node.js";
import { commandUsage, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import { engineOptions } from "./engine-flags.js";
import type { WarningLog } from "./warnings.js";

/** Flags every text-reading command accepts. */
export const inputFlags = {
  input: { type: "string" },
  text: { type: "string", multiple: true },
  "text-field": { type: "string" },
  "text-column": { type: "string" },
} as const;

/** Flags of the commands that stream their input: the above, the format of `-`, and an id to carry along. */
export const streamInputFlags = {
  ...inputFlags,
  "input-format": { type: "string" },
  "id-field": { type: "string" },
} as const;

/** The texts of `--text` (in memory) or of `--input FILE|-` (a stream), with the source messages name. */
export interface InputRecords {
  records: Iterable<TextRecord> | AsyncIterable<TextRecord>;
  source: string;
  /** The file or stdin being read, for the progress (null for --text). */
  stream: RecordStream | null;
}

/** Opens `--input` (or takes `--text`) as a stream of records; reader warnings go to `log`. */
export function openInputRecords(command: string, values: FlagValues, ctx: CliContext, log: WarningLog, shard?: Shard): InputRecords {
  const input = stringFlag(values, "input");
  const texts = values["text"];
  const idField = stringFlag(values, "id-field");
  if (input !== undefined && Array.isArray(texts)) throw new UsageError(`${command}: give --input or --text, not both`);
  if (Array.isArray(texts)) {
    if (idField !== undefined || shard !== undefined) throw new UsageError(`${command}: --id-field and --shard need --input`);
    return { records: texts.map((text, i) => ({ text: String(text), line: i + 1 })), source: "--text", stream: null };
  }
  if (input === undefined) throw new UsageError(`${command}: give --input FILE (or -) or --text "…"`);
  const formatFlag = stringFlag(values, "input-format");
  if (formatFlag !== undefined && !(INPUT_FORMATS as readonly string[]).includes(formatFlag)) {
    throw new UsageError(`${command}: --input-format must be one of ${INPUT_FORMATS.join(", ")}, got "${formatFlag}"`);
  }
  const textField = stringFlag(values, "text-field") ?? stringFlag(values, "text-column");
  let source = input;
  let stream: RecordStream;
  try {
    stream = openRecordStream(input === "-" ? "-" : resolve(ctx.cwd, input), {
      stdin: ctx.stdin,
      ...(formatFlag === undefined ? {} : { format: formatFlag as InputFormat }),
      ...(textField === undefined ? {} : { textField }),
      ...(idField === undefined ? {} : { idField }),
      ...(shard === undefined ? {} : { shard }),
      onWarning: (w) => log.warn(`${source}:${w.line}`, w.message),
    });
  } catch (err) {
    throw commandUsage(command, err);
  }
  // messages name the input as typed (not its absolute path), with a shard's start: `in.txt@1048576:12`
  source = input === "-" ? stream.source : `${input}${/@\d+$/.exec(stream.source)?.[0] ?? ""}`;
  return { records: stream.records, source, stream };
}

/**
 * Loads `--model DIR`, or the shipped default model when the flag is absent, on the engine its flags choose
 * (--backend, --threads, --dtype, --quantize); warnings about the folder's files are printed.
 */
export async function loadModelFlag(values: FlagValues, ctx: CliContext, command = "load"): Promise<EncoderModel> {
  const dir = stringFlag(values, "model");
  const options = {
    allowNonFinite: values["allow-nonfinite"] === true,
    onWarning: (message: string) => void ctx.stderr.write(`warning: ${message}\n`),
    ...engineOptions(command, values),
  };
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
 * `--pooling NAME`, `--pooling SPEC.json` or `--pooling '{"type": …}'` as a name or parsed spec; a head
 * folder's pooling.json means that head's pooling. A known pooling name always means that pooling,
 * even when a file of that name is around.
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
  return poolingFromJson(parseJson(text, `${source}: not a pooling spec`, PoolingError), source);
}

/**
 * Reads pooler parameters from a safetensors file (Float32, or with `keepDtype` as stored); a head's
 * head.safetensors gives its `pooler.*` tensors.
 */
export async function readParamsFile(path: string, options: { keepDtype?: boolean } = {}): Promise<Map<string, Tensor<FloatArray>>> {
  return poolerParameters(parseStateDict(await readBytes(path, "params"), path, options), path);
}

/** Prints a warning about text `index` as `source:line: message`. */
export function warnAt(ctx: CliContext, source: string, records: TextRecord[], index: number, message: string): void {
  const line = records[index]?.line ?? index + 1;
  ctx.stderr.write(`warning: ${source}:${line}: ${message}\n`);
}
