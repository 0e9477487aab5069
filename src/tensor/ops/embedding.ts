// Embedding lookup as torch.nn.Embedding. Legend: n ids, dim embedding size, V rows of the table.
// weight: [V,dim]; ids: [n]; out: [n,dim].
import { InputError } from "../../errors.js";
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

function checkEmbedding(fn: string, rowsArray: FloatArray, rowsName: string, table: FloatArray, tableName: string, ids: Int32Array, n: number, dim: number): void {
  checkSize(fn, "ids", ids, [n], "[n]");
  checkSize(fn, rowsName, rowsArray, [n, dim], "[n,dim]");
  if (dim <= 0 || table.length % dim !== 0) {
    throw new InputError(`${fn}: ${tableName}: ${table.length} elements is not a whole number of rows of dim ${dim}`);
  }
  const V = table.length / dim;
  for (let t = 0; t < n; t++) {
    const id = ids[t]!;
    if (id < 0 || id >= V) throw new InputError(`${fn}: ids[${t}] = ${id} is outside the table [${V},${dim}]`);
  }
}

/** out[t,:] = weight[ids[t],:]; every id is checked against the table size V = weight.length / dim. */
export function embeddingForward(out: FloatArray, weight: FloatArray, ids: Int32Array, n: number, dim: number): void {
  checkEmbedding("embeddingForward", out, "out", weight, "weight", ids, n, dim);
  // out[t,:] = weight[ids[t],:]
  for (let t = 0; t < n; t++) out.set(weight.subarray(ids[t]! * dim, ids[t]! * dim + dim), t * dim);
}

/** Backward of embeddingForward: dWeight[ids[t],:] += dOut[t,:] (repeated ids add up). */
export function embeddingBackward(dWeight: FloatArray, dOut: FloatArray, ids: Int32Array, n: number, dim: number): void {
  checkEmbedding("embeddingBackward", dOut, "dOut", dWeight, "dWeight", ids, n, dim);
  // dWeight[ids[t],:] += dOut[t,:]
  for (let t = 0; t < n; t++) {
    const row = ids[t]! * dim;
    for (let d = 0; d < dim; d++) dWeight[row + d]! += dOut[t * dim + d]!;
  }
}
