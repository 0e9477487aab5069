// The messages between a page and the worker that runs its model (createEmbeddingWorker in worker.ts,
// serveEmbeddingWorker in worker-host.ts). Everything here crosses postMessage, so it is data only:
// no functions, no class instances that need their prototype back, except the errors, which are sent
// as { name, message, code } and re-created on the page as the same class.
import {
  AbortError, ConfigError, EncoderPoolingError, InputError, NotSupportedError, PoolingError, SafetensorsError,
  TokenizerError, TrainingError, UsageError, WeightsError, type ErrorCode,
} from "../errors.js";
import type { PoolingDims } from "../pooling/index.js";
import type { BackendChoice } from "../tensor/choose-backend.js";
import type { EmbedOptions, LoadOptions, ModelBuffers } from "./model.js";

/** The model a worker loads: the files already in memory (copied to the worker, never taken), or a folder's URL. */
export type WorkerModel = (Omit<ModelBuffers, "weights"> & { weights: Uint8Array | ArrayBuffer }) | string | URL;

/** Load options that can cross to a worker: the backend by name, and for a URL which tokenizer files to fetch. */
export interface WorkerLoadOptions extends Omit<LoadOptions, "backend" | "log"> {
  backend?: BackendChoice;
  tokenizer?: "auto" | "tokenizer.json" | "vocab.json+merges.txt";
}

/** The options of a worker's embed(): those of EncoderModel.embed except `describeText` (a function stays home). */
export type WorkerEmbedOptions = Omit<EmbedOptions, "describeText">;

/** What the page sends. Ids tie replies to calls. */
export type WorkerRequest =
  | { type: "load"; model: Exclude<WorkerModel, URL>; options: WorkerLoadOptions }
  | { type: "embed"; id: number; texts: string[]; options: WireEmbedOptions }
  | { type: "abort"; id: number };

/** The data part of WorkerEmbedOptions, and whether the page wants progress and warnings posted back. */
export type WireEmbedOptions = Omit<WorkerEmbedOptions, "onProgress" | "onWarning" | "signal"> & { progress: boolean; warnings: boolean };

/** What the worker sends back. A result's `data` is transferred, not copied. */
export type WorkerReply =
  | { type: "loaded"; dims: PoolingDims; maxLength: number; backend: string }
  | { type: "load-failed"; error: WireError }
  | { type: "result"; id: number; data: Float32Array; count: number; dim: number }
  | { type: "error"; id: number; error: WireError }
  | { type: "progress"; id: number; done: number; total: number }
  | { type: "warning"; id: number; message: string; textIndex: number };

/** An error as data. */
export interface WireError {
  name: string;
  message: string;
  code?: ErrorCode;
  stack?: string;
}

export function errorToWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  const wire: WireError = { name: err.name, message: err.message };
  if (err instanceof EncoderPoolingError) wire.code = err.code;
  if (err.stack !== undefined) wire.stack = err.stack;
  return wire;
}

type ErrorClass = new (message: string, options?: { code?: ErrorCode }) => Error;

/** Our error classes, by the literal name each one carries. */
const OUR_ERRORS: Record<string, ErrorClass> = {
  EncoderPoolingError, SafetensorsError, ConfigError, WeightsError, TokenizerError, InputError, PoolingError,
  TrainingError, UsageError, NotSupportedError, AbortError,
};
const BUILT_IN_ERRORS: Record<string, new (message: string) => Error> = { Error, TypeError, RangeError, SyntaxError, ReferenceError };

/**
 * The error the worker threw, as an instance of the same class on this side (so `instanceof InputError`
 * and `err.code` work as if the model ran here), with the worker's message and stack.
 */
export function errorFromWire(wire: WireError): Error {
  const Ours = OUR_ERRORS[wire.name];
  const BuiltIn = BUILT_IN_ERRORS[wire.name];
  const err = Ours !== undefined ? new Ours(wire.message, wire.code === undefined ? {} : { code: wire.code }) : new (BuiltIn ?? Error)(wire.message);
  // the message as the worker had it (NotSupportedError's constructor would prefix it a second time)
  err.message = wire.message;
  if (Ours === undefined && BuiltIn === undefined) err.name = wire.name;
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}
