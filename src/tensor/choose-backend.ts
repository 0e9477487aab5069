// Choosing a backend: "js" (the reference, one thread), "wasm" (WebAssembly SIMD on every core) or "auto".
// Kept apart from backend.ts (the interface both backends implement) so that the backends import the
// interface and this file imports the backends, never in a circle.
import { InputError } from "../errors.js";
import type { Backend, BackendOptions } from "./backend.js";
import { jsBackend } from "./js-backend.js";
import { createWasmBackend, WasmBackend, wasmBackendSupported } from "./wasm-backend.js";

export { JsBackend, jsBackend } from "./js-backend.js";

/** Which backend to run on: "auto" picks the fastest that works here. */
export type BackendChoice = "auto" | "wasm" | "js";


const CHOICES: readonly BackendChoice[] = ["auto", "wasm", "js"];

/** A short, bounded description of an option value for error messages: `"f8"`, `16`, `an object`. */
export function describeOption(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  const kind = Array.isArray(value) ? "list" : typeof value;
  return `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`;
}

/** Checks a backend choice and thread count as a caller gave them (from JavaScript, anything may arrive). */
export function checkBackendOptions(choice: unknown, threads: unknown, what: string): void {
  if (!CHOICES.includes(choice as BackendChoice)) {
    throw new InputError(`${what}: backend must be one of ${CHOICES.map((c) => `"${c}"`).join(", ")} or a Backend, got ${describeOption(choice)}`);
  }
  if (threads !== undefined && !(Number.isInteger(threads) && (threads as number) >= 1 && (threads as number) <= MAX_THREADS)) {
    throw new InputError(`${what}: threads must be an integer from 1 to ${MAX_THREADS}, got ${describeOption(threads)}`);
  }
}

/** More threads than this is a typo, not a machine. */
const MAX_THREADS = 256;

/**
 * The backend a choice names: "js" (pure TypeScript, one thread), "wasm" (WebAssembly SIMD kernels on
 * `threads` threads; an error where SIMD is unavailable), or "auto" (wasm where it validates and
 * instantiates, else js).
 * @example const backend = await createBackend("auto", { threads: 2 });
 */
export async function createBackend(choice: BackendChoice = "auto", options: BackendOptions = {}): Promise<Backend> {
  checkBackendOptions(choice, options.threads, "createBackend");
  if (choice === "js") return jsBackend;
  if (choice === "wasm") return createWasmBackend(options);
  if (!wasmBackendSupported()) return jsBackend;
  try {
    return await createWasmBackend(options);
  } catch (err) {
    (options.warn ?? console.warn)(`backend "auto": the wasm engine did not start (${(err as Error).message}); running on "js"`);
    return jsBackend;
  }
}

const shared = new Map<string, Promise<Backend>>();

/**
 * The backend that models loaded by name share (loadModel's `backend: "auto" | "wasm" | "js"`): one per
 * choice and thread count, made on first use and kept for the life of the process — so that loading
 * several models does not start several sets of worker threads (which never keep the process alive).
 * Models free their weights in it when disposed or garbage-collected.
 */
export async function sharedBackend(choice: BackendChoice = "auto", options: BackendOptions = {}): Promise<Backend> {
  checkBackendOptions(choice, options.threads, "sharedBackend");
  const key = `${choice}/${options.threads ?? "all"}`;
  const cached = shared.get(key);
  if (cached !== undefined) {
    const backend = await cached;
    if (!(backend instanceof WasmBackend && backend.isDisposed)) return backend;
  }
  const made = createBackend(choice, options);
  shared.set(key, made);
  try {
    return await made;
  } catch (err) {
    shared.delete(key);
    throw err;
  }
}
