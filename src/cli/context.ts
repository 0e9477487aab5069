// What a command needs from the outside world, passed in rather than read from globals so that the
// tests can run every command in-process and capture what it prints.
import type { Readable, Writable } from "node:stream";

export interface CliContext {
  /** Where results go when a command prints them (e.g. `evaluate --json`). */
  stdout: Writable;
  /** Where messages, warnings and progress go. */
  stderr: Writable;
  /** Source for `--input -`. */
  stdin: Readable;
  /** True when stderr is an interactive terminal and CI is unset: only then draw progress bars. */
  interactive: boolean;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

/** The context of a real process. */
export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    interactive: Boolean(process.stderr.isTTY) && !process.env["CI"],
    cwd: process.cwd(),
  };
}
