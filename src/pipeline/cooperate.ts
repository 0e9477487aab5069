// Long work that shares its thread. JavaScript runs one task at a time: while embed() computes, a page
// cannot paint, answer a click or fire a timer, and a server cannot answer a request. So the pipeline
// stops between batches, lets every waiting task run, and looks at the caller's AbortSignal before it
// goes on. Core code: only what pages, workers, Deno, Bun, workerd and Node all have.
import { AbortError } from "../errors.js";

/**
 * Resolves in a new task (a macrotask), after the tasks already waiting: timers, input, network, messages.
 * A microtask (`await Promise.resolve()`) would not do: it runs before any of them. A MessageChannel
 * message is the cheapest new task everywhere it exists; setTimeout(0) is the fallback, since browsers
 * stretch nested timeouts to 4 ms each.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel !== "function") return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    // typed by shape: Node's @types declare MessagePort without the onmessage that Node has
    const { port1, port2 } = new MessageChannel() as unknown as { port1: Port; port2: Port };
    port1.onmessage = () => {
      // closed at once: an open port would keep Node's and Deno's process alive
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

interface Port {
  onmessage: (() => void) | null;
  postMessage(message: null): void;
  close(): void;
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
