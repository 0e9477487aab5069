// Where the loader's tensor values come from: a safetensors file (a view of a buffer in memory, or ranged
// reads of a file into one reused scratch buffer) or tensors already in memory (initRobertaWeights).
// Either way, a value handed out is copied into backend memory before the next one is read.
import { WeightsError } from "../errors.js";
import type { HostValues } from "../tensor/backend.js";
import { firstNonFinite, type Tensor } from "../tensor/tensor.js";
import { tensorBytes, typedElements, type SafetensorsIndex, type TensorInfo } from "./safetensors.js";
import type { StoredTensorInfo, WeightSource } from "./weights.js";

/** Dtype and shape of every tensor of a safetensors header, as resolveRobertaTensors takes them. */
export function storedInfo(index: SafetensorsIndex): Map<string, StoredTensorInfo> {
  return new Map([...index.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
}

/**
 * Values of a safetensors file's floating tensors by HF name (`keys`: name -> stored key). F32 values are
 * viewed in place where aligned, F16/BF16 handed over as bits, F64 rounded to Float32.
 */
export function safetensorsWeightSource(index: SafetensorsIndex, keys: Map<string, string>, options: { allowNonFinite?: boolean } = {}): WeightSource {
  // one buffer for every ranged read of a file, grown to the largest request
  let scratch = new Uint8Array(0);
  const grow = (length: number): Uint8Array => {
    if (scratch.byteLength < length) scratch = new Uint8Array(length);
    return scratch;
  };
  const info = (name: string): TensorInfo => {
    const t = index.tensors.get(keys.get(name) ?? name);
    if (t === undefined) throw new WeightsError(`${index.source}: no tensor ${name}`);
    return t;
  };
  const read = (t: TensorInfo, first: number, count: number): HostValues => {
    const where = `${index.source}: tensor "${t.name}"`;
    const bytes = tensorBytes(index, t, first, count, grow);
    if (t.dtype === "F16" || t.dtype === "BF16") {
      return { bits: typedElements(bytes, t.dtype, count, where), format: t.dtype === "F16" ? "f16" : "bf16" };
    }
    if (t.dtype === "F64") return Float32Array.from(typedElements(bytes, "F64", count, where) as Float64Array);
    return typedElements(bytes, "F32", count, where) as Float32Array;
  };
  return {
    values(name, first, count): HostValues {
      const t = info(name);
      const values = read(t, first, count);
      const bad = options.allowNonFinite === true ? -1 : firstNonFiniteValue(values);
      if (bad >= 0) {
        const value = values instanceof Float32Array ? String(values[bad]) : `${values.format} bits 0x${values.bits[bad]!.toString(16)}`;
        throw new WeightsError(
          `${index.source}: ${t.name}: element ${first + bad} is ${value}: not finite (a broken checkpoint?); ` +
            "allowNonFinite, or --allow-nonfinite, loads it anyway",
          { code: "EP_NONFINITE" },
        );
      }
      return values;
    },
  };
}

/** Index of the first NaN or ±Infinity, or -1; half-precision bits are non-finite when their exponent is all ones. */
function firstNonFiniteValue(values: HostValues): number {
  if (values instanceof Float32Array) return firstNonFinite(values);
  const exponent = values.format === "f16" ? 0x7c00 : 0x7f80;
  for (let i = 0; i < values.bits.length; i++) if ((values.bits[i]! & exponent) === exponent) return i;
  return -1;
}

/** Values of Float32 tensors held in memory, by HF name. */
export function tensorMapWeightSource(tensors: Map<string, Tensor>): WeightSource {
  return {
    values: (name, first, count) => tensors.get(name)!.data.subarray(first, first + count),
  };
}
