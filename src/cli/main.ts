#!/usr/bin/env node
// The encoder-pooling command line: a table of commands, each a thin shell over the public API.
import { EncoderPoolingError, isEntryPoint, UsageError } from "../node.js";
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

const commands: Command[] = [
  embedCommand,
  tokenizeCommand,
  forwardCommand,
  poolCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  compareCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `encoder-pooling: text to vectors with a RoBERTa-family encoder and every well-known pooling.

Usage: encoder-pooling <command> [flags]      (encoder-pooling <command> --help for its flags)

Commands:
${rows}
`;
}

/** Runs one command line; returns the process exit code (0 ok, 1 error, 2 usage error). */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout.write(help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    ctx.stderr.write(`encoder-pooling: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    await command.run(rest, ctx);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      // Usage messages already start with the command's name.
      ctx.stderr.write(`encoder-pooling ${err.message}\n`);
      return 2;
    }
    if (err instanceof EncoderPoolingError) {
      ctx.stderr.write(`encoder-pooling ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`encoder-pooling: internal error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 70;
    },
  );
}
