// Readers of the options of a pooling spec: each takes the value the user wrote (undefined when absent),
// checks it, and returns it or the default. A pooler file lists its options as readers, so the option
// names, their defaults and their checks are written in one place: `{ hiddenSize: positiveInt(256) }`.
// Errors name the field with its path: `pooling spec: combine.parts[1].lstm.hiddenSize must be …`.
import { PoolingError } from "../errors.js";
import type { NormalisedSpec, PoolingDims } from "./pooler.js";

/** Where an option is read: its full name for errors, the encoder's dims, and a parser for nested specs. */
export interface OptionContext {
  /** e.g. `combine.parts[1].lstm.hiddenSize` */
  where: string;
  dims: PoolingDims;
  /** Parses a nested spec (combine's parts); `path` prefixes its field names in errors. */
  parseSpec(spec: unknown, path: string): NormalisedSpec;
}

/** Checks one option's value (undefined = not given) and returns it, or its default. */
export type OptionReader<T> = (value: unknown, at: OptionContext) => T;

/** The readers of every option of a spec type. */
export type OptionReaders<S extends NormalisedSpec> = { readonly [K in Exclude<keyof S, "type">]: OptionReader<S[K]> };

/** Throws the PoolingError of a bad spec. */
export function fail(message: string): never {
  throw new PoolingError(`pooling spec: ${message}`);
}

/** A value as it appears in an error message. */
export function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/** A positive integer, e.g. a hidden size. */
export function positiveInt(fallback: number): OptionReader<number> {
  return (value, at) => {
    const v = value ?? fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(`${at.where} must be a positive integer, got ${show(value)}`);
    return v;
  };
}

/** A positive finite number, e.g. GeM's p. */
export function positiveNumber(fallback: number): OptionReader<number> {
  return (value, at) => {
    const v = value ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(`${at.where} must be a positive number, got ${show(value)}`);
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
