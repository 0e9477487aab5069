// Warnings people can live with: the first few of each kind are printed as they come (`file:line: what`),
// the rest only counted, and one closing line per kind gives the count and where the first ones were —
// 5,625 truncated mails make four lines, not 5,625. `--verbose` prints every one; `--quiet` prints
// nothing but errors.
import type { CliContext } from "./context.js";

/** `--verbose` and `--quiet`, which every streaming command takes. */
export const logFlags = {
  verbose: { type: "boolean" },
  quiet: { type: "boolean" },
} as const;

/** Warnings of one kind printed before the rest are only counted. */
const SHOWN_PER_KIND = 3;

export interface WarningLog {
  /** True under `--quiet`: the command prints no progress and no notes either. */
  readonly quiet: boolean;
  /** A warning about `where` (`in.txt:7`); `message` is its kind ("truncated to 512 tokens"). */
  warn(where: string, message: string): void;
  /** Prints the closing count of every kind that had more warnings than were shown. */
  finish(): void;
}

/** The warning log of a command run with `values` (its flags). */
export function warningLog(ctx: CliContext, values: { verbose?: unknown; quiet?: unknown }): WarningLog {
  const verbose = values.verbose === true;
  const quiet = values.quiet === true;
  const kinds = new Map<string, { count: number; first: string[] }>();
  return {
    quiet,
    warn(where, message) {
      if (quiet) return;
      const kind = kinds.get(message) ?? { count: 0, first: [] };
      kinds.set(message, kind);
      kind.count++;
      if (kind.first.length < SHOWN_PER_KIND) kind.first.push(where);
      if (verbose || kind.count <= SHOWN_PER_KIND) ctx.stderr.write(`warning: ${where}: ${message}\n`);
      else if (kind.count === SHOWN_PER_KIND + 1) ctx.stderr.write(`warning: more "${message}" warnings follow; counting them (--verbose shows each)\n`);
    },
    finish() {
      if (quiet || verbose) return;
      for (const [message, kind] of kinds) {
        if (kind.count <= SHOWN_PER_KIND) continue;
        ctx.stderr.write(`warning: ${message}: ${kind.count.toLocaleString("en-US")} in all, the first at ${kind.first.join(", ")}\n`);
      }
    },
  };
}
