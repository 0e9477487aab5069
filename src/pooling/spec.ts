// Pooling specs: the JSON a user writes (`"lstm"`, `{ "type": "concat", "layers": [-1, -2] }`) checked
// field by field and normalised with every default filled in. A bare name means the seed's defaults.
// The options of each type, their defaults and checks live in its file (poolers/*.ts); this is the loop.
import { didYouMean } from "../errors.js";
import { fail, POOLING_LIMITS, show } from "./options.js";
import type { NormalisedSpec, PoolingDims } from "./pooler.js";
import { poolerDefinition, POOLING_TYPES, type PoolingSpec } from "./registry.js";

function checkDims(dims: PoolingDims): void {
  if (!Number.isInteger(dims.numLayers) || dims.numLayers < 1) fail(`numLayers must be a positive integer, got ${show(dims.numLayers)}`);
  if (!Number.isInteger(dims.hiddenSize) || dims.hiddenSize < 1) fail(`hiddenSize of the encoder must be a positive integer, got ${show(dims.hiddenSize)}`);
}

/**
 * Checks a spec against an encoder of `dims` and fills in the defaults. `path` prefixes field names in
 * errors (`combine.parts[1].`). Nesting and the number of poolers are capped (POOLING_LIMITS), so
 * a spec of any depth ends in a PoolingError, not a stack overflow.
 * @example parsePoolingSpec("lstm", { numLayers: 12, hiddenSize: 768 }) // { type: "lstm", hiddenSize: 256 }
 */
export function parsePoolingSpec(spec: unknown, dims: PoolingDims, path = ""): PoolingSpec {
  checkDims(dims);
  return parseLevel(spec, dims, path, 0, { poolers: 0 });
}

function parseLevel(spec: unknown, dims: PoolingDims, path: string, depth: number, count: { poolers: number }): PoolingSpec {
  if (depth > POOLING_LIMITS.combineDepth) fail(`${path}combine nests deeper than ${POOLING_LIMITS.combineDepth} levels`, "EP_LIMIT");
  count.poolers++;
  if (count.poolers > POOLING_LIMITS.poolers) fail(`${path}is pooler number ${count.poolers}, above the limit of ${POOLING_LIMITS.poolers} in one spec`, "EP_LIMIT");
  const raw: Record<string, unknown> = typeof spec === "string" ? { type: spec } : (spec as Record<string, unknown>);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(`${path || "the spec "}must be a type name or an object with a "type", got ${show(spec)}`);
  }
  const type = raw["type"];
  const definition = typeof type === "string" ? poolerDefinition(type) : undefined;
  if (definition === undefined) {
    const choices = POOLING_TYPES.join(", ");
    if (typeof type === "string") fail(`${path}unknown pooling type ${show(type)}${didYouMean(type, POOLING_TYPES)}; choose one of ${choices}`);
    fail(`${path}type must be one of ${choices}; got ${show(type)}`);
  }
  const names = Object.keys(definition.options);
  for (const key of Object.keys(raw)) {
    if (key === "type" || names.includes(key)) continue;
    const accepted = names.length === 0 ? "it takes no options" : `its options are ${names.join(", ")}`;
    fail(`${path}${definition.type} has no option ${show(key)}${didYouMean(key, names)} (${accepted})`);
  }
  const normalised: NormalisedSpec & Record<string, unknown> = { type: definition.type };
  for (const [name, read] of Object.entries(definition.options)) {
    normalised[name] = read(raw[name], {
      where: `${path}${definition.type}.${name}`,
      dims,
      parseSpec: (part, partPath): NormalisedSpec => parseLevel(part, dims, partPath, depth + 1, count),
    });
  }
  // the readers checked every field, so this object has the shape of its type's spec
  return normalised as PoolingSpec;
}
