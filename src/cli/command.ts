// What a command is: main.ts lists them, each command file exports one.
import type { CliContext } from "./context.js";

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], ctx: CliContext): Promise<void>;
}
