// docs/limits.md tells users the caps; this keeps its table equal to the constants the code checks.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_LIMITS } from "../src/encoder/config.js";
import { MAX_JSON_DEPTH } from "../src/encoder/json.js";
import { MAX_HEADER_BYTES } from "../src/encoder/safetensors.js";
import { MAX_TOKEN_ID, MAX_UNUSED_IDS } from "../src/encoder/tokenizer/spec.js";

const doc = readFileSync(resolve(import.meta.dirname, "..", "docs", "limits.md"), "utf8");
const n = (value: number): string => value.toLocaleString("en-US");

describe("docs/limits.md", () => {
  it("lists every limit with the value the code checks", () => {
    expect(doc).toContain(`| safetensors header | ${n(MAX_HEADER_BYTES)} bytes |`);
    expect(doc).toContain(`| JSON nesting depth | ${MAX_JSON_DEPTH} levels |`);
    for (const [field, limit] of Object.entries(CONFIG_LIMITS)) expect(doc).toContain(`| \`${field}\` | ${n(limit)} |`);
    expect(doc).toContain(`| token id | ${n(MAX_TOKEN_ID)} |`);
    expect(doc).toContain(`| unused ids | ${n(MAX_UNUSED_IDS)} |`);
  });
});
