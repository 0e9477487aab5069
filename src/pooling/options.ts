// Readers of the options of a pooling spec: each takes the value the user wrote (undefined when absent),
// checks it, and returns it or the default. A pooler file lists its options as readers, so the option
// names, their defaults and their checks are written in one place: `{ hiddenSize: positiveInt(256) }`.
// Errors name the field with its path: `pooling spec: combine.parts[1].lstm.hiddenSize must be …`.
import { describeValue, PoolingError, type ErrorCode } from "../errors.js";
import type { NormalisedSpec, PoolingDims } from "./pooler.js";

/**
 * The largest pooling a spec may ask for, checked before any parameter is allocated: a 60-byte spec
 * (or a head folder's pooling.json) must not buy gigabytes. Documented in docs/limits.md.
 */
export const POOLING_LIMITS = {
  /** hiddenSize of lstm, attention and layer-attention (an LSTM of 2048 over H = 768: 23 M parameters). */
  hiddenSize: 2048,
  /** combine inside combine inside … */
  combineDepth: 8,
  /** poolers in one spec, all combine levels together */
  poolers: 64,
  /** entries of concat's layers list (repeats allowed) */
  concatLayers: 64,
  /** GeM's p: beyond these, z^p and S^(1/p) leave the doubles (p = 1e-300 gave NaN, p = 1000 Infinity) */
  gemP: { min: 0.1, max: 32 },
  /** GeM's clamp: eps^p must stay a normal double for every allowed p */
  gemEps: { min: 1e-8, max: 1 },
} as const;

/** Where an option is read: its full name for errors, the encoder's dims, and a parser for nested specs. */
export interface OptionContext {
  /** e.g. `combine.parts[1].lstm.hiddenSize` */
  where: string;
  dims: PoolingDims;
  /** Parses a nested spec (combine's parts) one level deeper; `path` prefixes its field names in errors. */
  parseSpec(spec: unknown, path: string): NormalisedSpec;
}

/** Checks one option's value (undefined = not given) and returns it, or its default. */
export type OptionReader<T> = (value: unknown, at: OptionContext) => T;

/** The readers of every option of a spec type. */
export type OptionReaders<S extends NormalisedSpec> = { readonly [K in Exclude<keyof S, "type">]: OptionReader<S[K]> };

/** Throws the PoolingError of a bad spec (code EP_LIMIT for a value past POOLING_LIMITS). */
export function fail(message: string, code?: ErrorCode): never {
  throw new PoolingError(`pooling spec: ${message}`, { code });
}

/** A value as it appears in an error message: short, whatever its size or depth. */
export function show(value: unknown): string {
  return describeValue(value);
}

/** A positive integer up to `max`, e.g. a hidden size. */
export function positiveInt(fallback: number, max: number): OptionReader<number> {
  return (value, at) => {
    const v = value ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(`${at.where} must be a positive integer, got ${show(value)}`);
    if (v > max) fail(`${at.where} is ${v}, above the limit of ${max}`, "EP_LIMIT");
    return v;
  };
}

/** A finite number in [min, max], e.g. GeM's p. */
export function numberInRange(fallback: number, range: { min: number; max: number }): OptionReader<number> {
  return (value, at) => {
    const v = value ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v < range.min || v > range.max) {
      fail(`${at.where} must be a number from ${range.min} to ${range.max}, got ${show(value)}`, typeof v === "number" ? "EP_LIMIT" : undefined);
    }
    return v;
  };
}

/** One of a few strings. */
export function choice<T extends string>(allowed: readonly T[], fallback: T): OptionReader<T> {
  return (value, at) => {
    const v = value ?? fallback;
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      fail(`${at.where} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${show(value)}`);
    }
    return v as T;
  };
}

/** A layer index as in Python: 0..L, or -1 (= L) down to -(L+1) (= 0). */
export function layerIndex(where: string, value: unknown, numLayers: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value > numLayers || value < -(numLayers + 1)) {
    fail(`${where} must be an integer layer index in ${-(numLayers + 1)}..${numLayers} (hidden states 0..${numLayers}), got ${show(value)}`);
  }
  return value;
}

/** Resolves a Python-style layer index (-1 = last) to 0..L. */
export function resolveLayer(index: number, numLayers: number): number {
  return index < 0 ? numLayers + 1 + index : index;
}
