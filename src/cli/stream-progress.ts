// Progress of a streaming run: on a terminal a bar redrawn in place with the rate in texts/s and
// tokens/s, the elapsed time and an ETA from tokens (texts vary in length, tokens are what costs);
// off a terminal (a pipe, CI, a log file) one plain line every few seconds. Both move while texts are
// read and tokenized, not only while they are embedded. The input's size in bytes, when known, turns
// the tokens seen so far into an estimate of the tokens to come.
import type { StreamProgress } from "../node.js";
import type { CliContext } from "./context.js";

export interface StreamProgressOptions {
  label: string;
  /** No output at all (`--quiet`). */
  quiet: boolean;
  /** Seconds between two lines off a terminal. */
  everySeconds: number;
  /** Bytes of input in all, and read so far (undefined for a stream of unknown length). */
  bytes?: { total: number | undefined; read: () => number };
}

export interface StreamProgressView {
  update(p: StreamProgress): void;
  finish(): void;
}

const WIDTH = 24;

/** "950", "12.3k", "4.56M". */
function compact(n: number): string {
  if (n < 1e3) return n.toFixed(0);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 2 : 1)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
}

/** "42s", "3m07s", "2h05m". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** The progress display of one run. */
export function streamProgress(ctx: CliContext, options: StreamProgressOptions): StreamProgressView {
  if (options.quiet) return { update() {}, finish() {} };
  const start = Date.now();
  let lastDraw = 0;
  let drawn = false;
  let last: StreamProgress | null = null;
  let phase = "reading";

  function estimate(p: StreamProgress): { fraction: number | undefined; eta: number } {
    const elapsed = (Date.now() - start) / 1000;
    const total = options.bytes?.total;
    const read = options.bytes?.read() ?? 0;
    if (total === undefined || p.textsTokenized === 0 || read === 0 || p.textsRead === 0) return { fraction: undefined, eta: Infinity };
    // tokens to come = tokens per text × texts per byte × bytes in all
    const tokensInAll = (p.tokensTokenized / p.textsTokenized) * (p.textsRead / read) * total;
    const fraction = Math.min(1, p.tokensEmbedded / tokensInAll);
    const rate = p.tokensEmbedded / elapsed;
    return { fraction, eta: rate > 0 ? Math.max(0, tokensInAll - p.tokensEmbedded) / rate : Infinity };
  }

  function parts(p: StreamProgress): { done: string; rates: string; elapsed: string } {
    const elapsed = (Date.now() - start) / 1000;
    return {
      done: `${p.textsEmbedded.toLocaleString("en-US")} texts`,
      rates: `${compact(p.textsEmbedded / elapsed)} texts/s, ${compact(p.tokensEmbedded / elapsed)} tokens/s`,
      elapsed: duration(elapsed),
    };
  }

  return {
    update(p) {
      if (last !== null) {
        if (p.textsEmbedded > last.textsEmbedded) phase = "embedding";
        else if (p.textsTokenized > last.textsTokenized) phase = "tokenizing";
        else if (p.textsRead > last.textsRead) phase = "reading";
      }
      last = { ...p };
      const now = Date.now();
      const { fraction, eta } = estimate(p);
      const { done, rates, elapsed } = parts(p);
      if (ctx.interactive) {
        if (now - lastDraw < 100) return;
        lastDraw = now;
        drawn = true;
        const bar = fraction === undefined ? "" : `${"█".repeat(Math.round(fraction * WIDTH)).padEnd(WIDTH, "░")} ${(100 * fraction).toFixed(0).padStart(3)}% `;
        const etaText = fraction === undefined ? "" : ` · ETA ${duration(eta)}`;
        ctx.stderr.write(`\r${options.label} ${bar}${phase} · ${done} · ${rates} · ${elapsed}${etaText}\x1b[K`);
        return;
      }
      if (lastDraw === 0) lastDraw = start;
      if (now - lastDraw < options.everySeconds * 1000) return;
      lastDraw = now;
      const read = fraction === undefined ? "" : `; ${(100 * fraction).toFixed(0)}% done, ETA ${duration(eta)}`;
      ctx.stderr.write(`${options.label}: ${done} (${p.tokensEmbedded.toLocaleString("en-US")} tokens) in ${elapsed}, ${rates}${read}\n`);
    },
    finish() {
      if (drawn) ctx.stderr.write("\r\x1b[K");
    },
  };
}
