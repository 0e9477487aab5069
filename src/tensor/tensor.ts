// Tensors: a flat, row-major, contiguous typed array plus its shape. Nothing more.
// Kernels are plain functions over FloatArray so that the same code runs in Float32 (inference,
// training) and in Float64 (finite-difference gradient checks in the tests).

/** The element arrays our kernels accept. */
export type FloatArray = Float32Array | Float64Array;

/** A dense row-major tensor. `data.length === numel(shape)`. */
export interface Tensor<A extends FloatArray = Float32Array> {
  data: A;
  shape: number[];
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Index of the first NaN or ±Infinity in `data`, or -1 when every element is finite. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for a finite x and NaN for NaN and ±Infinity: one comparison per element
    const x = data[i]!;
    if (x - x !== 0) return i;
  }
  return -1;
}

/** `[2,3,4]` -> `"[2,3,4]"`, for error messages. */
export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A Float32 tensor of the given shape, zero-filled or wrapping `data` (whose length must match). */
export function tensor(shape: number[], data?: Float32Array): Tensor {
  const n = numel(shape);
  if (data !== undefined && data.length !== n) {
    throw new RangeError(`tensor: data has ${data.length} elements, shape ${shapeToString(shape)} needs ${n}`);
  }
  return { data: data ?? new Float32Array(n), shape: [...shape] };
}

/** A zero tensor with the same element type as `like` (Float32 or Float64). */
export function zerosLike<A extends FloatArray>(like: A, shape: number[]): Tensor<A> {
  const n = numel(shape);
  const data = (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
  return { data, shape: [...shape] };
}
