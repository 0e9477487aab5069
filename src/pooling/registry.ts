// Every pooler, in the order the docs present them. This table is the one place that lists them:
// spec parsing, createPooler, the CLI's `--poolings all` and the pooler-contract test all loop over it.
// A new pooler is a file in poolers/ that exports its definition (see docs/pooling.md, "Adding a
// pooler"), plus its line here.
import type { RegisteredPooler } from "./core.js";
import { attention } from "./poolers/attention.js";
import { cls } from "./poolers/cls.js";
import { combine } from "./poolers/combine.js";
import { concat } from "./poolers/concat.js";
import { gem } from "./poolers/gem.js";
import { lastToken } from "./poolers/last-token.js";
import { layerAttention } from "./poolers/layer-attention.js";
import { lstm } from "./poolers/lstm.js";
import { max } from "./poolers/max.js";
import { meanMax } from "./poolers/mean-max.js";
import { meanSqrtLen } from "./poolers/mean-sqrt-len.js";
import { mean } from "./poolers/mean.js";
import { weightedLayer } from "./poolers/weighted-layer.js";
import { weightedMean } from "./poolers/weighted-mean.js";

export const POOLERS = [
  cls, mean, max, meanMax, concat, lstm, weightedLayer, attention,
  meanSqrtLen, weightedMean, lastToken, gem, layerAttention, combine,
] as const satisfies readonly RegisteredPooler[];

type Registered = (typeof POOLERS)[number];

/** The name of a pooling technique. */
export type PoolingType = Registered["type"];

/** Every pooling type, in the order the docs present them. */
export const POOLING_TYPES: readonly PoolingType[] = POOLERS.map((p) => p.type);

type SpecOf<D> = D extends { build(spec: infer Spec, ...rest: never[]): unknown } ? Spec : never;

/** A normalised pooling spec: its type and every option of that type, defaults filled in. */
export type PoolingSpec = SpecOf<Registered>;

/** The definition of a registered type (undefined for an unknown name). */
export function poolerDefinition(type: string): RegisteredPooler | undefined {
  return (POOLERS as readonly RegisteredPooler[]).find((p) => p.type === type);
}
