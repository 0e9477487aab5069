// A Hugging Face config.json of the RoBERTa family, parsed strictly into a typed, camelCase object.
// Only what the forward pass needs is read; anything that would change the computation into one we do
// not implement (another activation, relative positions, a decoder) is refused, not approximated.
import { ConfigError, describeValue } from "../errors.js";
import { parseJson } from "./json.js";

export interface RobertaConfig {
  /** model_type: "roberta", "xlm-roberta" or "camembert" (same architecture); "roberta" when absent. */
  modelType: string;
  /** hidden_size (H) */
  hiddenSize: number;
  /** num_hidden_layers (L) */
  numHiddenLayers: number;
  /** num_attention_heads (nh); H must be a multiple of it */
  numAttentionHeads: number;
  /** intermediate_size (I), the feed-forward width */
  intermediateSize: number;
  /** hidden_act: only the exact erf GELU is implemented */
  hiddenAct: "gelu";
  /** layer_norm_eps */
  layerNormEps: number;
  /** max_position_embeddings: rows of the position table, pad_token_id + 1 of them never used by real tokens */
  maxPositionEmbeddings: number;
  /** type_vocab_size: rows of the token-type table; we always use type 0 */
  typeVocabSize: number;
  /** pad_token_id: also the position id of padding */
  padTokenId: number;
  /** vocab_size (V) */
  vocabSize: number;
  /** position_embedding_type: only "absolute" */
  positionEmbeddingType: "absolute";
}

const FAMILY = ["roberta", "xlm-roberta", "camembert"];

/**
 * The largest sizes a config.json may ask for, checked before anything is sized by them: a few bytes
 * of config must not buy gigabytes or hours. Each is far above any RoBERTa-family checkpoint
 * (xlm-roberta-xxl: 48 layers, hidden 4096, intermediate 16384, vocabulary 250,880; long-context
 * variants: 4,098 to 32,770 positions). Documented in docs/limits.md.
 */
export const CONFIG_LIMITS = {
  num_hidden_layers: 256,
  hidden_size: 16_384,
  num_attention_heads: 256,
  intermediate_size: 65_536,
  vocab_size: 2 ** 24,
  max_position_embeddings: 65_536,
  type_vocab_size: 1_024,
} as const;

type LimitedField = keyof typeof CONFIG_LIMITS;

function positiveInt(raw: Record<string, unknown>, field: LimitedField, source: string): number {
  const v = raw[field];
  if (v === undefined) throw new ConfigError(`${source}: missing field "${field}"`);
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) {
    throw new ConfigError(`${source}: "${field}" must be a positive integer, got ${describeValue(v)}`);
  }
  const limit = CONFIG_LIMITS[field];
  if (v > limit) throw new ConfigError(`${source}: "${field}" is ${v}, above the limit of ${limit}`, { code: "EP_LIMIT" });
  return v;
}

/**
 * Parses a RoBERTa-family config.json (text or already-parsed object). `source` names the file in errors.
 * @example const config = parseRobertaConfig(await readText("model/config.json"), "model/config.json");
 */
export function parseRobertaConfig(json: string | object, source: string): RobertaConfig {
  const raw: unknown = typeof json === "string" ? parseJson(json, source, ConfigError) : json;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: not a JSON object`);
  const r = raw as Record<string, unknown>;

  const modelType = r["model_type"] ?? "roberta";
  if (typeof modelType !== "string" || !FAMILY.includes(modelType)) {
    throw new ConfigError(`${source}: model_type ${describeValue(modelType)} is not supported (only ${FAMILY.join(", ")})`);
  }
  const hiddenSize = positiveInt(r, "hidden_size", source);
  const numHiddenLayers = positiveInt(r, "num_hidden_layers", source);
  const numAttentionHeads = positiveInt(r, "num_attention_heads", source);
  const intermediateSize = positiveInt(r, "intermediate_size", source);
  const maxPositionEmbeddings = positiveInt(r, "max_position_embeddings", source);
  const typeVocabSize = positiveInt(r, "type_vocab_size", source);
  const vocabSize = positiveInt(r, "vocab_size", source);
  if (hiddenSize % numAttentionHeads !== 0) {
    throw new ConfigError(`${source}: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  }

  const hiddenAct = r["hidden_act"];
  if (hiddenAct === undefined) throw new ConfigError(`${source}: missing field "hidden_act"`);
  if (hiddenAct !== "gelu") {
    throw new ConfigError(`${source}: hidden_act ${describeValue(hiddenAct)} is not supported (only "gelu", the exact erf GELU)`);
  }
  const eps = r["layer_norm_eps"];
  if (eps === undefined) throw new ConfigError(`${source}: missing field "layer_norm_eps"`);
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) {
    throw new ConfigError(`${source}: "layer_norm_eps" must be a positive number, got ${describeValue(eps)}`);
  }
  const pad = r["pad_token_id"];
  if (pad === undefined) throw new ConfigError(`${source}: missing field "pad_token_id"`);
  if (typeof pad !== "number" || !Number.isSafeInteger(pad) || pad < 0 || pad >= vocabSize) {
    throw new ConfigError(`${source}: "pad_token_id" must be an integer in [0, vocab_size = ${vocabSize}), got ${describeValue(pad)}`);
  }
  if (maxPositionEmbeddings <= pad + 1) {
    throw new ConfigError(
      `${source}: max_position_embeddings ${maxPositionEmbeddings} leaves no position for a real token after pad_token_id ${pad}`,
    );
  }
  const positionType = r["position_embedding_type"] ?? "absolute";
  if (positionType !== "absolute") {
    throw new ConfigError(`${source}: position_embedding_type ${describeValue(positionType)} is not supported (only "absolute")`);
  }
  if (r["is_decoder"] === true || r["add_cross_attention"] === true) {
    throw new ConfigError(`${source}: decoder configurations (is_decoder / add_cross_attention) are not supported`);
  }

  return {
    modelType,
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads,
    intermediateSize,
    hiddenAct: "gelu",
    layerNormEps: eps,
    maxPositionEmbeddings,
    typeVocabSize,
    padTokenId: pad,
    vocabSize,
    positionEmbeddingType: "absolute",
  };
}

/** The longest sequence (tokens that get a position) the position table allows: max_position_embeddings − pad_token_id − 1. */
export function maxSequenceLength(config: RobertaConfig): number {
  return config.maxPositionEmbeddings - config.padTokenId - 1;
}

/** The config as a Hugging Face config.json object (snake_case), e.g. to ship a model made in memory. */
export function robertaConfigToJson(config: RobertaConfig): Record<string, unknown> {
  return {
    architectures: ["RobertaModel"],
    model_type: config.modelType,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    layer_norm_eps: config.layerNormEps,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    pad_token_id: config.padTokenId,
    vocab_size: config.vocabSize,
    position_embedding_type: config.positionEmbeddingType,
  };
}
