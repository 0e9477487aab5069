#!/usr/bin/env node
// The encoder-pooling command line: a table of commands, each a thin shell over the public API.
import { didYouMean, EncoderPoolingError, isEntryPoint, packageVersion, UsageError } from "../node.js";
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
import { similarCommand } from "./similar.js";

const commands: Command[] = [
  embedCommand,
  tokenizeCommand,
  forwardCommand,
  poolCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  compareCommand,
  similarCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const rows = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n");
  return `encoder-pooling: text to vectors with a RoBERTa-family encoder and every well-known pooling.

Usage: encoder-pooling <command> [flags]      (encoder-pooling help <command> for its flags)

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

/** Runs one command line; returns the process exit code (0 ok, 1 error, 2 usage error). */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const [first, ...rest] = argv;
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
    return 2;
  }
  if (asksHelp || rest.includes("--help") || rest.includes("-h")) {
    ctx.stdout.write(usageOf(command));
    return 0;
  }
  try {
    await command.run(rest, ctx);
    return 0;
  } catch (err) {
    if (err instanceof EncoderPoolingError) {
      ctx.stderr.write(errorLine(name, err.message));
      return err instanceof UsageError ? 2 : 1;
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
