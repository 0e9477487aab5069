// Helpers for the wasm engine tests: arrays in and out of engine memory, seeded data, a relative comparison.
import type { WasmEngine } from "../../../src/tensor/wasm/engine.js";
import { expectClose } from "../../helpers.js";
import { randomF64 } from "../support.js";

/** Copies a Float32Array (or Int32Array) into a fresh engine block; returns its pointer. */
export function put(engine: WasmEngine, a: Float32Array | Int32Array): number {
  const ptr = engine.malloc(a.length * 4);
  if (a instanceof Int32Array) engine.i32(ptr, a.length).set(a);
  else engine.f32(ptr, a.length).set(a);
  return ptr;
}

/** A copy of n floats at ptr. */
export function get(engine: WasmEngine, ptr: number, n: number): Float32Array {
  return engine.f32(ptr, n).slice();
}

/** Seeded Float32 values in [−scale, scale). */
export function rand(n: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from(randomF64(n, seed, scale));
}

/** Expects |a − e| ≤ rel · max(1, max|e|) everywhere. */
export function expectRel(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, label: string): void {
  let max = 1;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i]!));
  expectClose(actual, expected, rel * max, label);
}

/** Expects bit-identical Float32 arrays (NaN payloads aside). */
export function expectSame(actual: Float32Array, expected: Float32Array, label: string): void {
  expectClose(actual, expected, 0, label);
}
