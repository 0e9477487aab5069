// Boundary checks shared by the kernels: one O(1) length test per argument and call, never inside a loop,
// so that a wrong size throws a readable InputError instead of reading `undefined` (NaN) deep in a kernel.
import { InputError } from "../../errors.js";

/** Throws unless `array` (a typed array or a backend's DeviceArray) holds exactly `dims` elements, e.g. `checkSize("matmul", "a", a, [M, K], "[M,K]")`. */
export function checkSize(
  fn: string,
  name: string,
  array: { readonly length: number },
  dims: readonly number[],
  legend: string,
): void {
  let expected = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new InputError(`${fn}: ${name}: size ${legend} = [${dims.join(",")}] is not a list of non-negative integers`);
    }
    expected *= d;
  }
  if (array.length !== expected) {
    throw new InputError(
      `${fn}: ${name}: expected ${legend} = [${dims.join(",")}] (${expected} elements), got ${array.length} elements`,
    );
  }
}
