// Loads the PyTorch golden cases of test/fixtures/pooling (made by test/fixtures/make_pooling_fixtures.py).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSafetensors, toInt32Array, type SafeTensor } from "../../src/encoder/safetensors.js";
import type { FloatArray, Tensor } from "../../src/tensor/tensor.js";

export const FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures", "pooling");

export interface PoolingCase {
  name: string;
  spec: unknown;
  numLayers: number;
  hiddenSize: number;
  batch: number;
  tokens: number;
  outputSize: number;
  hasParams: boolean;
}

export const CASES: PoolingCase[] = JSON.parse(readFileSync(join(FIXTURE_DIR, "cases.json"), "utf8")) as PoolingCase[];

export function caseDir(c: PoolingCase): string {
  return join(FIXTURE_DIR, c.name);
}

export function readTensors(path: string): Map<string, SafeTensor> {
  return parseSafetensors(new Uint8Array(readFileSync(path)), path).tensors;
}

function get(tensors: Map<string, SafeTensor>, name: string): SafeTensor {
  const t = tensors.get(name);
  if (t === undefined) throw new Error(`fixture tensor ${name} missing`);
  return t;
}

/** A stored floating tensor widened or kept, as Float32 or Float64. */
export function asTensor<A extends FloatArray>(t: SafeTensor, make: (src: ArrayLike<number>) => A): Tensor<A> {
  return { data: make(t.data as ArrayLike<number>), shape: [...t.shape] };
}

export interface LoadedCase<A extends FloatArray> {
  hiddenStates: Tensor<A>[];
  attentionMask: Int32Array;
  gradOutput: Tensor<A>;
  params: Map<string, Tensor<A>> | undefined;
  expected: Map<string, SafeTensor>;
}

export function loadCase<A extends FloatArray>(c: PoolingCase, make: (src: ArrayLike<number>) => A): LoadedCase<A> {
  const dir = caseDir(c);
  const inputs = readTensors(join(dir, "inputs.safetensors"));
  const hiddenStates: Tensor<A>[] = [];
  for (let i = 0; i <= c.numLayers; i++) hiddenStates.push(asTensor(get(inputs, `hidden_states.${i}`), make));
  let params: Map<string, Tensor<A>> | undefined;
  if (c.hasParams) {
    params = new Map();
    for (const [name, t] of readTensors(join(dir, "params.safetensors"))) params.set(name, asTensor(t, make));
  }
  return {
    hiddenStates,
    attentionMask: toInt32Array(get(inputs, "attention_mask"), dir, "attention_mask"),
    gradOutput: asTensor(get(inputs, "grad_output"), make),
    params,
    expected: readTensors(join(dir, "expected.safetensors")),
  };
}

/** The largest |value| of a tensor, at least 1: the scale tolerances are relative to. */
export function scaleOf(data: ArrayLike<number>): number {
  let m = 1;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

export function expectedTensor(expected: Map<string, SafeTensor>, name: string): SafeTensor {
  return get(expected, name);
}
