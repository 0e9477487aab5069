#!/usr/bin/env node
// The encoder-pooling command line: a table of commands, each a thin shell over the public API.
import { didYouMean, EncoderPoolingError, InterruptedError, isEntryPoint, OutputClosedError, packageVersion, type ErrorCode } from "../node.js";
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
import { mergeCommand } from "./merge.js";
import { similarCommand } from "./similar.js";
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
  mergeCommand,
  similarCommand,
  pretrainCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `encoder-pooling: text to vectors with a RoBERTa-family encoder and every well-known pooling.

Usage: encoder-pooling <command> [flags]      (encoder-pooling help <command> for its flags)
       --debug with any command prints the stack of an error

Exit status: 0 ok, 1 bad input, 2 bad command line, 3 a documented limit exceeded, 4 NaN or Infinity,
5 not supported, 6 a file cannot be read or written, 70 internal error (a bug), 130 interrupted
(Ctrl-C; embed keeps the rows done for --resume). See docs/limits.md.

Commands:
${rows}

  encoder-pooling --version prints the version.
`;
}

const usageOf = (command: Command): string => (command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);

/** One style for every error: `encoder-pooling <command>: <message>`, whether the CLI or the library threw it. */
function errorLine(command: string, message: string): string {
  const own = `${command}: `;
  return `encoder-pooling ${own}${message.startsWith(own) ? message.slice(own.length) : message}\n`;
}

/**
 * The exit status of each kind of failure (docs/limits.md). 1 is a bad input file or value, 2 a wrong
 * command line; the others let a script tell a limit, a NaN, an unsupported feature or a file-system
 * problem apart without reading the message. 70 (EX_SOFTWARE) is an internal error: always a bug.
 */
export const EXIT_STATUS: Readonly<Record<ErrorCode, number>> = {
  EP_ERROR: 1, EP_SAFETENSORS: 1, EP_CONFIG: 1, EP_WEIGHTS: 1, EP_TOKENIZER: 1, EP_INPUT: 1, EP_POOLING: 1, EP_TRAINING: 1,
  EP_USAGE: 2, EP_LIMIT: 3, EP_NONFINITE: 4, EP_NOT_SUPPORTED: 5, EP_IO: 6, EP_ABORTED: 130,
};
export const INTERNAL_ERROR_STATUS = 70;
/** Stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const INTERRUPTED_STATUS = 130;

/**
 * Runs one command line; returns the process exit status (0 ok, else EXIT_STATUS of the error's code).
 * `--debug` anywhere adds the stack (and the cause) to the message of a typed error. Ctrl-C ends with
 * 130; a reader that closes our output (`… | head`) ends the command quietly with 0.
 */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const debug = argv.includes("--debug");
  const [first, ...rest] = argv.filter((a) => a !== "--debug");
  if (first === "--version" || first === "-V" || first === "version") {
    ctx.stdout.write(`encoder-pooling ${packageVersion()}\n`);
    return 0;
  }
  // `help`, `help CMD`, `--help`, `-h`
  const asksHelp = first === undefined || first === "--help" || first === "-h" || first === "help";
  const name = asksHelp ? rest[0] : first;
  if (name === undefined) {
    ctx.stdout.write(help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    const hint = didYouMean(name, commands.map((c) => c.name));
    ctx.stderr.write(`encoder-pooling: unknown command "${name}"${hint}\n\n${help()}`);
    return EXIT_STATUS.EP_USAGE;
  }
  if (asksHelp || rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(usageOf(command));
    return 0;
  }
  try {
    await command.run(rest, ctx);
    return 0;
  } catch (err) {
    if (err instanceof OutputClosedError) return 0;
    if (err instanceof InterruptedError) {
      ctx.stderr.write(`encoder-pooling ${name}: ${err.message}\n`);
      return INTERRUPTED_STATUS;
    }
    if (!(err instanceof EncoderPoolingError)) {
      const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
      ctx.stderr.write(`encoder-pooling ${name}: internal error (a bug: please report it with this output): ${stack}\n`);
      return INTERNAL_ERROR_STATUS;
    }
    ctx.stderr.write(errorLine(name, err.message));
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
