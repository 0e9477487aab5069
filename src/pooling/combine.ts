// Combine pooling: several poolers side by side, the seed's "build your own pooling strategy"
// (e.g. CLS + mean). pooled = concat(part₀(hs), part₁(hs), …) -> [B, ΣD_k]; each part's gradient is
// its slice of dPooled, and the gradients of parts that read the same layer add up.
// Parameters: each part's own names prefixed with `parts.<k>.` (as an nn.ModuleList named `parts` would).
// Legend: B batch, D_k output size of part k.
import type { FloatArray } from "../tensor/tensor.js";
import type { BuildContext, PoolerCore } from "./core.js";
import type { PoolingSpec } from "./spec.js";
import { readColumns, writeColumns } from "./token-summary.js";

/** The combine pooler over already-built parts (built with prefixes `parts.<k>.`). */
export function buildCombine<A extends FloatArray>(parts: PoolerCore<A>[], ctx: BuildContext<A>): PoolerCore<A> {
  const D = parts.reduce((sum, part) => sum + part.outputSize, 0);
  const offsets: number[] = [];
  let at = 0;
  for (const part of parts) {
    offsets.push(at);
    at += part.outputSize;
  }
  const layers = [...new Set(parts.flatMap((part) => part.reads.layers))].sort((a, b) => a - b);
  return {
    spec: { type: "combine", parts: parts.map((part): PoolingSpec => part.spec) },
    outputSize: D,
    parameters: new Map(parts.flatMap((part) => [...part.parameters])),
    reads: { layers, firstTokenOnly: parts.every((part) => part.reads.firstTokenOnly) },
    forward(batch, pooled) {
      // pooled[:, offset_k : offset_k + D_k] = part_k(hs)
      return parts.map((part, k) => {
        const out = ctx.alloc(batch.B * part.outputSize);
        const cache = part.forward(batch, out);
        writeColumns(pooled, D, offsets[k]!, out, batch.B, part.outputSize);
        return cache;
      });
    },
    backward(batch, cache, dPooled, grads) {
      parts.forEach((part, k) => {
        const dPart = readColumns(dPooled, D, offsets[k]!, batch.B, part.outputSize, ctx.alloc);
        part.backward(batch, (cache as unknown[])[k], dPart, grads);
      });
    },
  };
}
