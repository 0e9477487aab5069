// parseJson: the one way we read JSON files. Deep nesting is refused before parsing (issue 10: "about
// 8 KB of `[` is enough" to crash every JSON-reading path), invalid JSON names the line and column,
// and the error-position walk is not recursive.
import { describe, expect, it } from "vitest";
import { ConfigError, SafetensorsError, TokenizerError } from "../../src/errors.js";
import { jsonErrorIndex, lineAndColumn, MAX_JSON_DEPTH, nestingBeyond, parseJson } from "../../src/encoder/json.js";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { Tokenizer } from "../../src/encoder/tokenizer/index.js";

function thrown(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected an error");
}

/** A safetensors file whose header is `json`. */
function withHeader(json: string): Uint8Array {
  const header = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + header.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  return bytes;
}

describe("parseJson", () => {
  it("parses valid JSON up to the depth limit", () => {
    const ok = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    expect(parseJson(ok, "f.json", ConfigError)).toBeInstanceOf(Array);
  });

  it("refuses deeper nesting with the caller's error class, code EP_LIMIT and the position", () => {
    const deep = "[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1);
    const error = thrown(() => parseJson(deep, "f.json", TokenizerError));
    expect(error).toBeInstanceOf(TokenizerError);
    expect(error.code).toBe("EP_LIMIT");
    expect(error.message).toBe(`f.json: JSON nested deeper than ${MAX_JSON_DEPTH} levels at line 1, column ${MAX_JSON_DEPTH + 1}`);
  });

  it("brackets inside strings do not count", () => {
    expect(nestingBeyond(`{"a": "${"[".repeat(1000)}\\"["}`, 2)).toBe(-1);
    expect(nestingBeyond('[[["]"]]]', 2)).toBe(2);
  });

  it("invalid JSON names line and column, and keeps the engine's message short", () => {
    const error = thrown(() => parseJson('{\n  "a": 1,\n  "b": }', "c.json", ConfigError));
    expect(error.message).toMatch(/^c\.json: not valid JSON at line 3, column 8: /);
    const long = thrown(() => parseJson(`["${"x".repeat(100_000)}`, "c.json", ConfigError));
    expect(long.message.length).toBeLessThan(300);
  });

  it("lineAndColumn counts from 1", () => {
    expect(lineAndColumn("ab\ncd", 0)).toBe("line 1, column 1");
    expect(lineAndColumn("ab\ncd", 4)).toBe("line 2, column 2");
  });
});

describe("jsonErrorIndex is not recursive", () => {
  it("walks 200,000 levels of invalid JSON (the recursive walk overflowed the stack)", () => {
    const n = 200_000;
    expect(jsonErrorIndex("[".repeat(n))).toBe(n);
    expect(jsonErrorIndex("[".repeat(n) + "]".repeat(n))).toBe(-1);
    expect(jsonErrorIndex(`${'{"a":'.repeat(n)}1${"}".repeat(n - 1)}]`)).toBe(5 * n + n);
  });

  it("agrees with JSON.parse on small cases", () => {
    const cases = ['{"a": [1, {"b": null}]}', "[1,]", '{"a" 1}', "[[]", '{"a": [true, false, nul]}', ' "x" ', "-", "01", "[1 2]", "{,}"];
    for (const text of cases) {
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(jsonErrorIndex(text) === -1, text).toBe(valid);
    }
  });
});

describe("every JSON-reading path of the encoder survives 8 KB of '['", () => {
  const brackets = "[".repeat(8192);
  const deepValue = "[".repeat(10_000) + "]".repeat(10_000);

  it("config.json", () => {
    const error = thrown(() => parseRobertaConfig(brackets, "m/config.json"));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe("EP_LIMIT");
    // a deep value in a field, already parsed: the message shows one level of it
    const config = {
      hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 40,
      type_vocab_size: 1, vocab_size: 360, layer_norm_eps: 1e-5, pad_token_id: 1, hidden_act: JSON.parse(deepValue) as unknown,
    };
    expect(thrown(() => parseRobertaConfig(config, "m/config.json")).message).toBe(
      'm/config.json: hidden_act [[…]] is not supported (only "gelu", the exact erf GELU)',
    );
  });

  it("a safetensors header, its shape and data_offsets", () => {
    expect(thrown(() => parseSafetensors(withHeader(brackets), "m.safetensors"))).toBeInstanceOf(SafetensorsError);
    const shape = `{"a": {"dtype": "F32", "shape": ${"[".repeat(60)}${"]".repeat(60)}, "data_offsets": [0, 0]}}`;
    expect(thrown(() => parseSafetensors(withHeader(shape), "m.safetensors")).message).toBe('m.safetensors: tensor "a": shape [[…]] is not a list of non-negative integers');
  });

  it("vocab.json and tokenizer.json", () => {
    expect(thrown(() => Tokenizer.fromVocabAndMerges(brackets, ""))).toBeInstanceOf(TokenizerError);
    expect(thrown(() => Tokenizer.fromTokenizerJson(brackets))).toBeInstanceOf(TokenizerError);
    const modelType = `{"model": {"type": ${"[".repeat(60)}${"]".repeat(60)}}}`;
    expect(thrown(() => Tokenizer.fromTokenizerJson(modelType)).message).toBe("not supported: tokenizer.json: model.type [[…]] (only BPE)");
  });
});
