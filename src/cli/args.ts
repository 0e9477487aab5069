// Flag parsing for the commands: node's own parseArgs, with its errors turned into UsageErrors that
// say which command was being parsed.
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean, UsageError } from "../node.js";
import { engineOptions } from "./engine-flags.js";

export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** `--output FILE` and `--force` (overwrite it), which every command that writes a file takes. */
export const outputFlags = {
  output: { type: "string" },
  force: { type: "boolean" },
} as const;

/**
 * Parses `argv` strictly against `options`: an unknown flag (with the closest known one suggested), a
 * flag given twice that is not a list (which would silently keep only the last), a missing value or a
 * stray argument becomes a UsageError naming the flag; so does a wrong value of the engine flags (--backend,
 * --threads, …) when the command takes them.
 */
export function parseFlags(command: string, argv: string[], options: FlagOptions): FlagValues {
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const seen = new Map<string, number>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (!Object.hasOwn(options, token.name)) {
      const hint = didYouMean(token.name, Object.keys(options), (name) => `--${name}`);
      throw new UsageError(`${command}: unknown flag ${token.rawName}${hint}; \`encoder-pooling help ${command}\` lists the flags`);
    }
    seen.set(token.name, (seen.get(token.name) ?? 0) + 1);
  }
  for (const [name, count] of seen) {
    if (count > 1 && options[name]!.multiple !== true) throw new UsageError(`${command}: --${name} is given ${count} times; give it once`);
  }
  let values: FlagValues;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  if ("backend" in options) engineOptions(command, values);
  return values;
}

/** A string flag's value (undefined when absent). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

/** The value of a required string flag, or a UsageError naming it. */
export function requireFlag(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new UsageError(`${command}: --${name} is required`);
  return value;
}

/** A required path flag resolved against the working folder, e.g. `--output out.jsonl`. */
export function requirePathFlag(command: string, values: FlagValues, name: string, cwd: string): string {
  return resolve(cwd, requireFlag(command, name, stringFlag(values, name)));
}

/** Parses a positive integer flag such as `--batch-size 32`. */
export function positiveIntFlag(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${command}: --${name} must be a positive integer, got "${value}"`);
  return n;
}

/** Parses a finite number flag such as `--lr 1e-3`. */
export function numberFlag(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} must be a number, got "${value}"`);
  return n;
}

/** A UsageError from the library, its message led by the command's name as the command line's are. */
export function commandUsage(command: string, err: unknown): unknown {
  return err instanceof UsageError && !err.message.startsWith(`${command}:`) ? new UsageError(`${command}: ${err.message}`) : err;
}
