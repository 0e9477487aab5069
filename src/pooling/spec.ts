// Pooling specs: the JSON a user writes (`"lstm"`, `{ "type": "concat", "layers": [-1, -2] }`) checked
// field by field and normalised with every default filled in. A bare name means the seed's defaults.
import { PoolingError } from "../errors.js";
import type { PoolingDims } from "./pooler.js";

/** Which summary of a layer's tokens a multi-layer pooler takes. */
export type TokenChoice = "cls" | "mean" | "max";

/** A normalised pooling spec: every option present. */
export type PoolingSpec =
  | { type: "cls" | "mean" | "max" | "mean-max" | "mean-sqrt-len" | "weighted-mean" | "last-token" }
  | { type: "concat"; layers: number[]; token: TokenChoice }
  | { type: "lstm"; hiddenSize: number }
  | { type: "weighted-layer"; layerStart: number; token: "cls" | "mean" }
  | { type: "attention"; hiddenSize: number }
  | { type: "gem"; p: number; eps: number }
  | { type: "layer-attention"; hiddenSize: number }
  | { type: "combine"; parts: PoolingSpec[] };

/** Every pooling type, in the order the docs present them. */
export const POOLING_TYPES = [
  "cls", "mean", "max", "mean-max", "concat", "lstm", "weighted-layer", "attention",
  "mean-sqrt-len", "weighted-mean", "last-token", "gem", "layer-attention", "combine",
] as const;

export type PoolingType = (typeof POOLING_TYPES)[number];

/** The options each type accepts; anything else is an error. */
const OPTIONS: Record<PoolingType, readonly string[]> = {
  cls: [], mean: [], max: [], "mean-max": [], "mean-sqrt-len": [], "weighted-mean": [], "last-token": [],
  concat: ["layers", "token"],
  lstm: ["hiddenSize"],
  "weighted-layer": ["layerStart", "token"],
  attention: ["hiddenSize"],
  gem: ["p", "eps"],
  "layer-attention": ["hiddenSize"],
  combine: ["parts"],
};

/** The seed's defaults for a bare name. */
export const POOLING_DEFAULTS = {
  lstmHiddenSize: 256,
  attentionHiddenSize: 512,
  layerAttentionHiddenSize: 128,
  /** concat reads the last this-many hidden states (-1, -2, …), or all L+1 on a shallower model. */
  concatLayerCount: 4,
  gemP: 3,
  gemEps: 1e-6,
} as const;

function fail(message: string): never {
  throw new PoolingError(`pooling spec: ${message}`);
}

function show(value: unknown): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

function positiveInt(where: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) fail(`${where} must be a positive integer, got ${show(value)}`);
  return v;
}

function positiveNumber(where: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) fail(`${where} must be a positive number, got ${show(value)}`);
  return v;
}

function choice<T extends string>(where: string, value: unknown, allowed: readonly T[], fallback: T): T {
  const v = value ?? fallback;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    fail(`${where} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${show(value)}`);
  }
  return v as T;
}

/** A layer index as in Python: 0..L, or -1 (= L) down to -(L+1) (= 0). */
function layerIndex(where: string, value: unknown, numLayers: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value > numLayers || value < -(numLayers + 1)) {
    fail(`${where} must be an integer layer index in ${-(numLayers + 1)}..${numLayers} (hidden states 0..${numLayers}), got ${show(value)}`);
  }
  return value;
}

/** Resolves a Python-style layer index (-1 = last) to 0..L. */
export function resolveLayer(index: number, numLayers: number): number {
  return index < 0 ? numLayers + 1 + index : index;
}

function checkDims(dims: PoolingDims): void {
  if (!Number.isInteger(dims.numLayers) || dims.numLayers < 1) fail(`numLayers must be a positive integer, got ${show(dims.numLayers)}`);
  if (!Number.isInteger(dims.hiddenSize) || dims.hiddenSize < 1) fail(`hiddenSize of the encoder must be a positive integer, got ${show(dims.hiddenSize)}`);
}

/**
 * Checks a spec against an encoder of `dims` and fills in the defaults. `path` prefixes field names in
 * errors (`combine.parts[1].`).
 * @example parsePoolingSpec("lstm", { numLayers: 12, hiddenSize: 768 }) // { type: "lstm", hiddenSize: 256 }
 */
export function parsePoolingSpec(spec: unknown, dims: PoolingDims, path = ""): PoolingSpec {
  if (path === "") checkDims(dims);
  const raw: Record<string, unknown> = typeof spec === "string" ? { type: spec } : (spec as Record<string, unknown>);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(`${path || "the spec "}must be a type name or an object with a "type", got ${show(spec)}`);
  }
  const type = raw["type"];
  if (typeof type !== "string" || !(POOLING_TYPES as readonly string[]).includes(type)) {
    fail(`${path}type must be one of ${POOLING_TYPES.join(", ")}; got ${show(type)}`);
  }
  const t = type as PoolingType;
  const where = (field: string): string => `${path}${t}.${field}`;
  for (const key of Object.keys(raw)) {
    if (key === "type" || OPTIONS[t].includes(key)) continue;
    const accepted = OPTIONS[t].length === 0 ? "it takes no options" : `its options are ${OPTIONS[t].join(", ")}`;
    fail(`${path}${t} has no option "${key}" (${accepted})`);
  }
  const L = dims.numLayers;
  switch (t) {
    case "cls": case "mean": case "max": case "mean-max": case "mean-sqrt-len": case "weighted-mean": case "last-token":
      return { type: t };
    case "concat": {
      const count = Math.min(POOLING_DEFAULTS.concatLayerCount, L + 1);
      const layers = raw["layers"] ?? Array.from({ length: count }, (_, i) => -1 - i);
      if (!Array.isArray(layers) || layers.length === 0) fail(`${where("layers")} must be a non-empty array of layer indices, got ${show(raw["layers"])}`);
      return {
        type: t,
        layers: layers.map((v: unknown, i: number) => layerIndex(`${where("layers")}[${i}]`, v, L)),
        token: choice(where("token"), raw["token"], ["cls", "mean", "max"], "cls"),
      };
    }
    case "lstm":
      return { type: t, hiddenSize: positiveInt(where("hiddenSize"), raw["hiddenSize"], POOLING_DEFAULTS.lstmHiddenSize) };
    case "weighted-layer": {
      const start = raw["layerStart"] ?? Math.max(0, L - 3);
      if (typeof start !== "number" || !Number.isInteger(start) || start < 0 || start > L) {
        fail(`${where("layerStart")} must be an integer in 0..${L} (hidden states 0..${L}), got ${show(raw["layerStart"])}`);
      }
      return { type: t, layerStart: start, token: choice(where("token"), raw["token"], ["cls", "mean"], "cls") };
    }
    case "attention":
      return { type: t, hiddenSize: positiveInt(where("hiddenSize"), raw["hiddenSize"], POOLING_DEFAULTS.attentionHiddenSize) };
    case "gem":
      return {
        type: t,
        p: positiveNumber(where("p"), raw["p"], POOLING_DEFAULTS.gemP),
        eps: positiveNumber(where("eps"), raw["eps"], POOLING_DEFAULTS.gemEps),
      };
    case "layer-attention":
      return { type: t, hiddenSize: positiveInt(where("hiddenSize"), raw["hiddenSize"], POOLING_DEFAULTS.layerAttentionHiddenSize) };
    case "combine": {
      const parts = raw["parts"];
      if (!Array.isArray(parts) || parts.length === 0) fail(`${where("parts")} must be a non-empty array of pooling specs, got ${show(parts)}`);
      return { type: t, parts: parts.map((p: unknown, i: number) => parsePoolingSpec(p, dims, `${where("parts")}[${i}].`)) };
    }
  }
}
