// A progress bar on an interactive terminal; silence in pipes and CI, where bars only add noise.
import type { CliContext } from "./context.js";

export interface Progress {
  /** Moves the bar to `done` of `total`; `extra` is shown after it (e.g. "loss 0.231"). */
  update(done: number, extra?: string): void;
  /** Clears the bar. */
  finish(): void;
}

const WIDTH = 28;

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "--";
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

/** A bar for `total` units of work labelled `label`; a no-op unless `ctx.interactive`. */
export function progressBar(ctx: CliContext, label: string, total: number): Progress {
  if (!ctx.interactive || total <= 0) return { update() {}, finish() {} };
  const start = Date.now();
  let lastDraw = 0;
  return {
    update(done, extra = "") {
      const now = Date.now();
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const frac = Math.min(1, done / total);
      const filled = Math.round(frac * WIDTH);
      const elapsed = (now - start) / 1000;
      const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : Infinity;
      const bar = "█".repeat(filled) + "░".repeat(WIDTH - filled);
      ctx.stderr.write(`\r${label} ${bar} ${done}/${total} ETA ${formatSeconds(eta)} ${extra}\x1b[K`);
    },
    finish() {
      ctx.stderr.write("\r\x1b[K");
    },
  };
}
