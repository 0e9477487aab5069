#!/usr/bin/env node
// The encoder-pooling command line: a table of commands, each a thin shell over the public API.
import { EncoderPoolingError, isEntryPoint, UsageError, type ErrorCode } from "../node.js";
import type { Command } from "./command.js";
import { processContext, type CliContext } from "./context.js";
import { embedCommand } from "./embed.js";
import { forwardCommand } from "./forward.js";
import { poolCommand } from "./pool.js";
import { trainCommand } from "./train.js";
import { evaluateCommand } from "./evaluate.js";
import { predictCommand } from "./predict.js";
import { compareCommand } from "./compare.js";
import { tokenizeCommand } from "./tokenize.js";
import { pretrainCommand } from "./pretrain.js";

const commands: Command[] = [
  embedCommand,
  tokenizeCommand,
  forwardCommand,
  poolCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  compareCommand,
  pretrainCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `encoder-pooling: text to vectors with a RoBERTa-family encoder and every well-known pooling.

Usage: encoder-pooling <command> [flags]      (encoder-pooling <command> --help for its flags)
       --debug with any command prints the stack of an error

Exit status: 0 ok, 1 bad input, 2 bad command line, 3 a documented limit exceeded, 4 NaN or Infinity,
5 not supported, 6 a file cannot be read or written, 70 internal error (a bug). See docs/limits.md.

Commands:
${rows}
`;
}

/**
 * The exit status of each kind of failure (docs/limits.md). 1 is a bad input file or value, 2 a wrong
 * command line; the others let a script tell a limit, a NaN, an unsupported feature or a file-system
 * problem apart without reading the message. 70 (EX_SOFTWARE) is an internal error: always a bug.
 */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  EP_ERROR: 1, EP_SAFETENSORS: 1, EP_CONFIG: 1, EP_WEIGHTS: 1, EP_TOKENIZER: 1, EP_INPUT: 1, EP_POOLING: 1, EP_TRAINING: 1,
  EP_USAGE: 2, EP_LIMIT: 3, EP_NONFINITE: 4, EP_NOT_SUPPORTED: 5, EP_IO: 6,
};
export const INTERNAL_ERROR_STATUS = 70;

/**
 * Runs one command line; returns the process exit status (0 ok, else EXIT_STATUS of the error's code).
 * `--debug` anywhere adds the stack (and the cause) to the message of a typed error.
 */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const debug = argv.includes("--debug");
  const [name, ...rest] = argv.filter((a) => a !== "--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout.write(help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    ctx.stderr.write(`encoder-pooling: unknown command "${name}"\n\n${help()}`);
    return EXIT_STATUS.EP_USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest, ctx);
    return 0;
  } catch (err) {
    if (!(err instanceof EncoderPoolingError)) {
      const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
      ctx.stderr.write(`encoder-pooling ${name}: internal error (a bug: please report it with this output): ${stack}\n`);
      return INTERNAL_ERROR_STATUS;
    }
    // Usage messages already start with the command's name.
    const message = err instanceof UsageError ? `encoder-pooling ${err.message}` : `encoder-pooling ${name}: ${err.message}`;
    ctx.stderr.write(`${message}\n`);
    if (debug) ctx.stderr.write(`[${err.code}] ${err.stack ?? ""}${err.cause === undefined ? "" : `\ncaused by: ${String((err.cause as Error).stack ?? err.cause)}`}\n`);
    return EXIT_STATUS[err.code];
  }
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`encoder-pooling: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = INTERNAL_ERROR_STATUS;
    },
  );
}
