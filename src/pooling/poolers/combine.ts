// Combine pooling: several poolers side by side, the seed's "build your own pooling strategy"
// (e.g. CLS + mean). pooled = concat(part₀(hs), part₁(hs), …) -> [B, ΣD_k]; each part's gradient is
// its slice of dPooled, and the gradients of parts that read the same layer add up.
// Parameters: each part's own names prefixed with `parts.<k>.` (as an nn.ModuleList named `parts` would).
// Legend: B batch, D_k output size of part k.
import type { FloatArray } from "../../tensor/tensor.js";
import { definePooler, needsFirstToken, type Batch, type PoolerCore, type PoolerGrads } from "../core.js";
import { fail, show, type OptionReader } from "../options.js";
import type { NormalisedSpec } from "../pooler.js";
import { readColumns, writeColumns } from "../tokens.js";

export interface CombineSpec {
  type: "combine";
  parts: NormalisedSpec[];
}

/** Part k's backward, with its own cache bound in: dPart [B,D_k] -> gradients. */
type PartBackward = (dPart: FloatArray, grads: PoolerGrads) => void;

const partList: OptionReader<NormalisedSpec[]> = (value, at) => {
  if (!Array.isArray(value) || value.length === 0) fail(`${at.where} must be a non-empty array of pooling specs, got ${show(value)}`);
  return value.map((part: unknown, i: number) => at.parseSpec(part, `${at.where}[${i}].`));
};

/** Runs one part's forward and keeps its cache inside the closure that runs its backward. */
function forwardPart<Cache>(part: PoolerCore<Cache>, batch: Batch, out: FloatArray): PartBackward {
  const cache = part.forward(batch, out);
  return (dPart, grads) => part.backward(batch, cache, dPart, grads);
}

/** The combine pooler over its parts (built with prefixes `parts.<k>.`). Output [B,ΣD_k]. */
export const combine = definePooler<CombineSpec, PartBackward[]>({
  type: "combine",
  options: { parts: partList },
  example: { type: "combine", parts: ["cls", "max", { type: "lstm", hiddenSize: 2 }, { type: "weighted-layer", token: "mean" }] },
  build(spec, ctx) {
    const parts = spec.parts.map((part, k) => ctx.part(part, k));
    const D = parts.reduce((sum, part) => sum + part.outputSize, 0);
    const offsets: number[] = [];
    let at = 0;
    for (const part of parts) {
      offsets.push(at);
      at += part.outputSize;
    }
    const layers = [...new Set(parts.flatMap((part) => part.reads.layers))].sort((a, b) => a - b);
    return {
      outputSize: D,
      reads: { layers, firstTokenOnly: parts.every((part) => part.reads.firstTokenOnly) },
      // a cls-like part reads position 0 even when the other parts read every token
      needsFirstToken: parts.some(needsFirstToken),
      forward(batch, pooled) {
        // pooled[:, offset_k : offset_k + D_k] = part_k(hs)
        return parts.map((part, k) => {
          const out = ctx.alloc(batch.B * part.outputSize);
          const backward = forwardPart(part, batch, out);
          writeColumns(pooled, D, offsets[k]!, out, batch.B, part.outputSize);
          return backward;
        });
      },
      backward(batch, partBackwards, dPooled, grads) {
        parts.forEach((part, k) => {
          partBackwards[k]!(readColumns(dPooled, D, offsets[k]!, batch.B, part.outputSize, ctx.alloc), grads);
        });
      },
    };
  },
});
