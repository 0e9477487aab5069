// The parsers issue 13 added, under the hostile-files rules of issue 10: a model folder's settings files
// (modules.json, 1_Pooling/config.json, …), a vectors file's .jsonl line and .npy header (read by
// `similar`), and heads.json (written by `compare --save-heads`). Deep JSON is a short error with code
// EP_LIMIT, a huge or nested value is described in a few characters, and each error names the file.
import { describe, expect, it } from "vitest";
import { ConfigError, EncoderPoolingError, InputError, NotSupportedError, TrainingError } from "../../src/errors.js";
import { parseNpyHeader, parseVectorLine } from "../../src/formats/vectors.js";
import { parseFolderSettings } from "../../src/pipeline/folder-settings.js";
import { bestHeadOf } from "../../src/train/compare-heads.js";

/** The error `f` throws (the test fails when it throws nothing). */
function thrown(f: () => unknown): EncoderPoolingError {
  try {
    f();
  } catch (err) {
    return err as EncoderPoolingError;
  }
  throw new Error("expected an error");
}

const deep = "[".repeat(100_000);

describe("a model folder's settings files", () => {
  it("deep JSON in modules.json or a Pooling config is a ConfigError with code EP_LIMIT naming the file", () => {
    const modules = thrown(() => parseFolderSettings({ "modules.json": deep }, "m"));
    expect(modules).toBeInstanceOf(ConfigError);
    expect(modules.code).toBe("EP_LIMIT");
    expect(modules.message).toMatch(/^m\/modules\.json: JSON nested deeper than 64 levels/);
    const modulesJson = JSON.stringify([{ idx: 0, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" }]);
    const pooling = thrown(() => parseFolderSettings({ "modules.json": modulesJson, "1_Pooling/config.json": deep }, "m"));
    expect(pooling.message).toMatch(/^m\/1_Pooling\/config\.json: JSON nested deeper than 64 levels/);
  });

  it("a huge or nested value is described in a few characters", () => {
    const huge = JSON.stringify({ max_seq_length: "x".repeat(1_000_000) });
    const error = thrown(() => parseFolderSettings({ "sentence_bert_config.json": huge }, "m"));
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toMatch(/^m\/sentence_bert_config\.json: max_seq_length must be an integer >= 3, got "x{40}…" \(1000000 chars\)$/);
    const nested = JSON.stringify([{ type: [[[["Pooling"]]]] }]);
    expect(thrown(() => parseFolderSettings({ "modules.json": nested }, "m")).message).toBe('m/modules.json: module 0: "type" must be a class name, got [[…]]');
    const warned = parseFolderSettings({ "sentence_bert_config.json": JSON.stringify({ other: "y".repeat(100_000) }) }, "m").warnings;
    expect(warned).toHaveLength(1);
    expect(warned[0]!.length).toBeLessThan(200);
  });
});

describe("a vectors file read by `similar`", () => {
  it("a deep .jsonl line is an InputError with code EP_LIMIT naming file:line", () => {
    const error = thrown(() => parseVectorLine(deep, "v.jsonl:3"));
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe("EP_LIMIT");
    expect(error.message).toMatch(/^v\.jsonl:3: JSON nested deeper than 64 levels/);
  });

  it("a bad element or .npy header is described briefly", () => {
    const line = JSON.stringify({ embedding: [0.5, ["z".repeat(10_000)]] });
    expect(thrown(() => parseVectorLine(line, "v.jsonl:1")).message).toBe("v.jsonl:1: embedding[1] is [\"zzzzzzzzzzzz…\" (10000 chars)], expected a finite number");
    expect(thrown(() => parseVectorLine('{"embedding": [1, NaN]}', "v.jsonl:2")).message).toMatch(/^v\.jsonl:2: not valid JSON/);
    const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ${"'pad': 0, ".repeat(300)}}`;
    const bytes = new Uint8Array([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length & 0xff, header.length >> 8, ...new TextEncoder().encode(header)]);
    const error = thrown(() => parseNpyHeader(bytes, "v.npy"));
    expect(error).toBeInstanceOf(NotSupportedError);
    expect(error.message.length).toBeLessThan(250);
  });
});

describe("heads.json of `compare --save-heads`", () => {
  it("deep JSON is a TrainingError with code EP_LIMIT; anything but a heads index is refused", () => {
    const error = thrown(() => bestHeadOf(deep, "h/heads.json"));
    expect(error).toBeInstanceOf(TrainingError);
    expect(error.code).toBe("EP_LIMIT");
    for (const text of ["null", "5", "[]", '{"format": "encoder-pooling heads 1", "best": "../x"}']) {
      expect(() => bestHeadOf(text, "h/heads.json"), text).toThrow(/h\/heads\.json: not a heads index written by `compare --save-heads`/);
    }
  });
});
