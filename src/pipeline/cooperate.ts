// Long work that shares its thread. JavaScript runs one task at a time: while embed() computes, a page
// cannot paint, answer a click or fire a timer, and a server cannot answer a request. So the pipeline
// stops between batches, lets every waiting task run, and looks at the caller's AbortSignal before it
// goes on. Core code: only what pages, workers, Deno, Bun, workerd and Node all have.
import { AbortError } from "../errors.js";

/**
 * Resolves in a new task (a macrotask), once the tasks that are waiting have run: a microtask
 * (`await Promise.resolve()`) would run before any of them.
 *
 * Where `scheduler.postTask` exists (Chromium pages and workers) the pause is a "background" task, which
 * runs after everything of higher priority: due timers, messages, input, rendering. Elsewhere it is
 * setTimeout(0), which in Node, Deno, Bun and workerd runs after the timers already due. Why not the
 * usual fast yield, a MessageChannel message, or setTimeout(0) in Chromium: there a due timer may wait
 * behind either. Measured in Chromium 156 (pauses between 100 ms of work, a 10 ms interval timer): of 9
 * pauses, a message let the timer run at 5, setTimeout(0) at 7, a background task at all 9.
 */
export function yieldToEventLoop(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { postTask?: (task: () => void, options: { priority: "background" }) => Promise<void> } }).scheduler;
  if (typeof scheduler?.postTask === "function") return scheduler.postTask(() => {}, { priority: "background" });
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Throws an AbortError (the signal's reason as its cause) when `signal` has fired; `what` says where it stopped. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortError(`${what}: aborted`, { cause: signal.reason });
}

/** A pause between two pieces of work: yield to the event loop, then stop if the caller has aborted meanwhile. */
export async function pause(signal: AbortSignal | undefined, what: string): Promise<void> {
  await yieldToEventLoop();
  throwIfAborted(signal, what);
}

/** How long work may hold the thread inside one batch before it yields (between batches it always does). */
export const SLICE_MS = 50;

/**
 * Pauses for one long call: `between()` yields every time (between two batches), `inside()` only once
 * SLICE_MS have passed since the last pause (between two layers of one batch, so that a batch of long texts
 * on a large model, seconds of work, does not hold the thread all that time). Both stop on an abort.
 */
export function pacer(signal: AbortSignal | undefined, what: () => string): { between(): Promise<void>; inside(): Promise<void> | void } {
  let last = performance.now();
  const between = async (): Promise<void> => {
    await pause(signal, what());
    last = performance.now();
  };
  return { between, inside: () => (performance.now() - last >= SLICE_MS ? between() : undefined) };
}
