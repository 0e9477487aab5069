import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { CONFIG_LIMITS, maxSequenceLength, parseRobertaConfig, robertaConfigToJson } from "../../src/encoder/config.js";

const SRC = "m/config.json";

// roberta-base's config.json as Hugging Face ships it
const ROBERTA_BASE = {
  architectures: ["RobertaForMaskedLM"],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: "roberta",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 50265,
};

function refused(change: Record<string, unknown>): string {
  try {
    parseRobertaConfig({ ...ROBERTA_BASE, ...change }, SRC);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message.startsWith(`${SRC}: `)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(change)} to be refused`);
}

describe("parseRobertaConfig", () => {
  it("reads roberta-base's config.json (text or object)", () => {
    const config = parseRobertaConfig(JSON.stringify(ROBERTA_BASE), SRC);
    expect(config).toEqual({
      modelType: "roberta",
      hiddenSize: 768,
      numHiddenLayers: 12,
      numAttentionHeads: 12,
      intermediateSize: 3072,
      hiddenAct: "gelu",
      layerNormEps: 1e-5,
      maxPositionEmbeddings: 514,
      typeVocabSize: 1,
      padTokenId: 1,
      vocabSize: 50265,
      positionEmbeddingType: "absolute",
    });
    expect(maxSequenceLength(config)).toBe(512);
    expect(parseRobertaConfig(robertaConfigToJson(config), SRC)).toEqual(config);
  });
  it("accepts the other RoBERTa-architecture model types", () => {
    expect(parseRobertaConfig({ ...ROBERTA_BASE, model_type: "xlm-roberta" }, SRC).modelType).toBe("xlm-roberta");
  });
  it("malformed config.json", () => {
    expect(() => parseRobertaConfig("{hidden_size: 3", SRC)).toThrow(ConfigError);
    expect(() => parseRobertaConfig("{hidden_size: 3", SRC)).toThrow(`${SRC}: not valid JSON`);
    expect(() => parseRobertaConfig("[1]", SRC)).toThrow(`${SRC}: not a JSON object`);
  });
  it("missing fields are named", () => {
    for (const field of ["hidden_size", "num_hidden_layers", "vocab_size", "hidden_act", "layer_norm_eps", "pad_token_id"]) {
      expect(refused({ [field]: undefined })).toBe(`${SRC}: missing field "${field}"`);
    }
  });
  it("bad values", () => {
    expect(refused({ hidden_size: 0 })).toMatch(/"hidden_size" must be a positive integer, got 0/);
    expect(refused({ num_attention_heads: "12" })).toMatch(/"num_attention_heads" must be a positive integer/);
    expect(refused({ hidden_size: 100 })).toMatch(/hidden_size 100 is not a multiple of num_attention_heads 12/);
    expect(refused({ layer_norm_eps: -1 })).toMatch(/"layer_norm_eps" must be a positive number/);
    expect(refused({ pad_token_id: 50265 })).toMatch(/"pad_token_id" must be an integer in \[0, vocab_size = 50265\)/);
    expect(refused({ max_position_embeddings: 2 })).toMatch(/leaves no position for a real token/);
  });
  it("refuses what we do not implement, saying so", () => {
    expect(refused({ hidden_act: "gelu_new" })).toMatch(/hidden_act "gelu_new" is not supported \(only "gelu"/);
    expect(refused({ hidden_act: "relu" })).toMatch(/hidden_act "relu" is not supported/);
    expect(refused({ position_embedding_type: "relative_key" })).toMatch(/position_embedding_type "relative_key" is not supported/);
    expect(refused({ model_type: "bert" })).toMatch(/model_type "bert" is not supported/);
    expect(refused({ is_decoder: true })).toMatch(/decoder configurations .* are not supported/);
  });
});

describe("config limits (issue 10: num_hidden_layers 1e5 took 8.5 s and 957 MB, 1e9 ran to 2.8 GB)", () => {
  function code(change: Record<string, unknown>): string | undefined {
    try {
      parseRobertaConfig({ ...ROBERTA_BASE, ...change }, SRC);
    } catch (err) {
      return (err as ConfigError).code;
    }
    return undefined;
  }

  it("refuses each size above its cap at once, with code EP_LIMIT and a short message", () => {
    const started = performance.now();
    expect(refused({ num_hidden_layers: 1e5 })).toBe(`${SRC}: "num_hidden_layers" is 100000, above the limit of 256`);
    expect(refused({ num_hidden_layers: 1e9 })).toBe(`${SRC}: "num_hidden_layers" is 1000000000, above the limit of 256`);
    expect(code({ num_hidden_layers: 1e9 })).toBe("EP_LIMIT");
    for (const [field, limit] of Object.entries(CONFIG_LIMITS)) {
      expect(refused({ [field]: limit + 1 })).toBe(`${SRC}: "${field}" is ${limit + 1}, above the limit of ${limit}`);
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("accepts every cap itself (where the other fields allow it) and the largest real checkpoints", () => {
    const xxl = { hidden_size: 4096, num_hidden_layers: 48, num_attention_heads: 32, intermediate_size: 16384, vocab_size: 250880, max_position_embeddings: 514 };
    expect(parseRobertaConfig({ ...ROBERTA_BASE, ...xxl }, SRC).numHiddenLayers).toBe(48);
    expect(parseRobertaConfig({ ...ROBERTA_BASE, num_hidden_layers: CONFIG_LIMITS.num_hidden_layers }, SRC).numHiddenLayers).toBe(256);
    expect(parseRobertaConfig({ ...ROBERTA_BASE, max_position_embeddings: 32770 }, SRC).maxPositionEmbeddings).toBe(32770);
  });

  it("a deep or huge value in a field is described in a few characters", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(refused({ hidden_size: deep })).toBe(`${SRC}: "hidden_size" must be a positive integer, got [[…]]`);
    expect(refused({ model_type: "r".repeat(1e6) }).length).toBeLessThan(200);
  });
});
