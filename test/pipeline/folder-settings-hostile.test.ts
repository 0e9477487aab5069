// A model folder's settings files (modules.json, 1_Pooling/config.json, sentence_bert_config.json, …)
// under the hostile-files rules of issue 10: deep JSON is a short ConfigError with code EP_LIMIT, a huge
// or nested value is described in a few characters, and each error names the file.
import { describe, expect, it } from "vitest";
import { ConfigError, type EncoderPoolingError } from "../../src/errors.js";
import { parseFolderSettings } from "../../src/pipeline/folder-settings.js";
import { thrown } from "../helpers.js";

const deep = "[".repeat(100_000);

describe("a model folder's settings files", () => {
  it("deep JSON in modules.json or a Pooling config is a ConfigError with code EP_LIMIT naming the file", () => {
    const modules = thrown<EncoderPoolingError>(() => parseFolderSettings({ "modules.json": deep }, "m"));
    expect(modules).toBeInstanceOf(ConfigError);
    expect(modules.code).toBe("EP_LIMIT");
    expect(modules.message).toMatch(/^m\/modules\.json: JSON nested deeper than 64 levels/);
    const modulesJson = JSON.stringify([{ idx: 0, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" }]);
    const pooling = thrown<EncoderPoolingError>(() => parseFolderSettings({ "modules.json": modulesJson, "1_Pooling/config.json": deep }, "m"));
    expect(pooling.message).toMatch(/^m\/1_Pooling\/config\.json: JSON nested deeper than 64 levels/);
  });

  it("a huge or nested value is described in a few characters", () => {
    const huge = JSON.stringify({ max_seq_length: "x".repeat(1_000_000) });
    const error = thrown<EncoderPoolingError>(() => parseFolderSettings({ "sentence_bert_config.json": huge }, "m"));
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toMatch(/^m\/sentence_bert_config\.json: max_seq_length must be an integer >= 3, got "x{40}…" \(1000000 chars\)$/);
    const nested = JSON.stringify([{ type: [[[["Pooling"]]]] }]);
    expect(thrown<EncoderPoolingError>(() => parseFolderSettings({ "modules.json": nested }, "m")).message).toBe('m/modules.json: module 0: "type" must be a class name, got [[…]]');
    const warned = parseFolderSettings({ "sentence_bert_config.json": JSON.stringify({ other: "y".repeat(100_000) }) }, "m").warnings;
    expect(warned).toHaveLength(1);
    expect(warned[0]!.length).toBeLessThan(200);
  });
});
