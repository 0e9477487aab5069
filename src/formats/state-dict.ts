// A state_dict (parameter name -> tensor) as safetensors bytes and back: how pooler parameters
// (`--params`) and trained heads (head.safetensors) are stored, loadable by safetensors.torch.
import { parseSafetensors, serializeSafetensors, type SafeTensor } from "../encoder/safetensors.js";
import { PoolingError } from "../errors.js";
import type { FloatArray, Tensor } from "../tensor/tensor.js";

/**
 * The floating-point tensors of a safetensors file as a state_dict, widened or narrowed to Float32
 * (or, with `keepDtype`, kept as Float32 / Float64). Integer tensors are an error naming the tensor.
 */
export function parseStateDict(bytes: Uint8Array, source: string, options: { keepDtype?: boolean } = {}): Map<string, Tensor<FloatArray>> {
  const { tensors } = parseSafetensors(bytes, source);
  const params = new Map<string, Tensor<FloatArray>>();
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) {
      throw new PoolingError(`${source}: ${name}: expected a floating-point tensor, got ${t.dtype}`);
    }
    params.set(name, { data: options.keepDtype === true ? t.data : Float32Array.from(t.data), shape: [...t.shape] });
  }
  return params;
}

/** A state_dict as safetensors bytes, every tensor F32, with string `metadata` in the header. */
export function serializeStateDict(state: Map<string, Tensor<FloatArray>>, metadata?: Record<string, string>): Uint8Array {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of state) tensors.set(name, { dtype: "F32", shape: [...t.shape], data: Float32Array.from(t.data) });
  return serializeSafetensors(tensors, metadata);
}
