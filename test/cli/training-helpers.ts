// Shared by the CLI tests: the tiny model, a small learnable data set, fresh folders, and running
// main() or one command in-process with captured output.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import type { CliContext } from "../../src/cli/context.js";
import type { Command } from "../../src/cli/command.js";
import { main } from "../../src/cli/main.js";
import { EncoderPoolingError, UsageError } from "../../src/errors.js";
import { Rng } from "../../src/tensor/random.js";

export const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
export const DEFAULT_MODEL = join(import.meta.dirname, "..", "..", "weights", "default");

let root: string | undefined; // made on the first freshDir(), so that a test which never asks makes none
let count = 0;

/** A fresh empty folder under one temporary root (removed by the OS; tests list folders to find leftovers). */
export function freshDir(): string {
  root ??= mkdtempSync(join(tmpdir(), "training-cli-"));
  const dir = join(root, `t${++count}`);
  mkdirSync(dir);
  return dir;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `encoder-pooling ...argv` through main() in `cwd`, with `stdin` as its whole standard input. */
export async function runMain(argv: string[], cwd: string, stdin = ""): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const input = new PassThrough();
  input.end(stdin);
  const ctx: CliContext = {
    stdout: new PassThrough().on("data", (c: Buffer) => (stdout += c.toString())),
    stderr: new PassThrough().on("data", (c: Buffer) => (stderr += c.toString())),
    stdin: input,
    interactive: false,
    cwd,
  };
  const code = await main(argv, ctx);
  return { code, stdout, stderr };
}

/**
 * Runs a command as main() would: exit 0, 1 for an EncoderPoolingError, 2 for a UsageError; the
 * message goes to stderr. `onStderr` sees every stderr write as it happens.
 */
export async function runCommand(
  command: Command | ((argv: string[], ctx: CliContext) => Promise<void>), argv: string[], cwd: string,
  onStderr?: (text: string) => void,
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const out = new PassThrough().on("data", (c: Buffer) => (stdout += c.toString()));
  const err = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      stderr += text;
      onStderr?.(text);
      done();
    },
  });
  const stdin = new PassThrough();
  stdin.end("");
  const ctx: CliContext = { stdout: out, stderr: err, stdin, interactive: false, cwd };
  const run = typeof command === "function" ? command : command.run.bind(command);
  try {
    await run(argv, ctx);
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (!(e instanceof EncoderPoolingError)) throw e;
    return { code: e instanceof UsageError ? 2 : 1, stdout, stderr: `${stderr}${e.message}\n` };
  }
}

// Words of the tiny model's vocabulary: class "sea" texts draw from the first set, "land" from the second.
const SEA = ["the sea", "the ferry", "a boat", "the storm", "the flags", "the wind", "the ship"];
const LAND = ["the village", "the children", "a notebook", "the keeper", "the lighthouse", "the house", "she wrote"];

/** `n` texts of two easily separated classes, alternating, from a seeded generator. */
export function seaLandExamples(n: number, seed: number): { text: string; label: string }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = i % 2 === 0 ? SEA : LAND;
    const text = Array.from({ length: 3 + rng.int(3) }, () => words[rng.int(words.length)]).join(" and ");
    return { text, label: i % 2 === 0 ? "sea" : "land" };
  });
}

/** Writes objects as JSONL. */
export function writeJsonl(path: string, rows: object[]): void {
  writeFileSync(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

/** Files left in `dir` whose names look like temporary files of writeFileAtomic. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".tmp"));
}

/** A folder with train/valid/test JSONL of the sea/land task. */
export function seaLandData(): { dir: string; train: string; valid: string; test: string } {
  const dir = freshDir();
  const files = { train: join(dir, "train.jsonl"), valid: join(dir, "valid.jsonl"), test: join(dir, "test.jsonl") };
  writeJsonl(files.train, seaLandExamples(48, 1));
  writeJsonl(files.valid, seaLandExamples(16, 2));
  writeJsonl(files.test, seaLandExamples(16, 3));
  return { dir, ...files };
}
