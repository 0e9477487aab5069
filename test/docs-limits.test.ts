// docs/limits.md tells users the caps; this keeps its table equal to the constants the code checks.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_LIMITS } from "../src/encoder/config.js";
import { MAX_JSON_DEPTH } from "../src/encoder/json.js";
import { MAX_HEADER_BYTES } from "../src/encoder/safetensors.js";
import { MAX_TOKEN_ID, MAX_UNUSED_IDS } from "../src/encoder/tokenizer/spec.js";
import { EXIT_STATUS } from "../src/cli/main.js";
import { MAX_CSV_RECORD_CHARS, MAX_LINE_BYTES } from "../src/formats/records.js";
import { POOLING_LIMITS } from "../src/pooling/index.js";

const doc = readFileSync(resolve(import.meta.dirname, "..", "docs", "limits.md"), "utf8");
const n = (value: number): string => value.toLocaleString("en-US");

describe("docs/limits.md", () => {
  it("lists every limit with the value the code checks", () => {
    expect(doc).toContain(`| safetensors header | ${n(MAX_HEADER_BYTES)} bytes |`);
    expect(doc).toContain(`| JSON nesting depth | ${MAX_JSON_DEPTH} levels |`);
    for (const [field, limit] of Object.entries(CONFIG_LIMITS)) expect(doc).toContain(`| \`${field}\` | ${n(limit)} |`);
    expect(doc).toContain(`| token id | ${n(MAX_TOKEN_ID)} |`);
    expect(doc).toContain(`| unused ids | ${n(MAX_UNUSED_IDS)} |`);
    expect(doc).toContain(`| pooler \`hiddenSize\` | ${n(POOLING_LIMITS.hiddenSize)} |`);
    expect(doc).toContain(`| \`combine\` depth | ${POOLING_LIMITS.combineDepth} levels |`);
    expect(doc).toContain(`| poolers in one spec | ${POOLING_LIMITS.poolers} |`);
    expect(doc).toContain(`| concat \`layers\` | ${POOLING_LIMITS.concatLayers} entries |`);
    expect(doc).toContain(`| GeM \`p\` | ${POOLING_LIMITS.gemP.min} to ${POOLING_LIMITS.gemP.max} |`);
    expect(doc).toContain(`| GeM \`eps\` | ${POOLING_LIMITS.gemEps.min} to ${POOLING_LIMITS.gemEps.max} |`);
    expect(doc).toContain(`| input line | ${n(MAX_LINE_BYTES)} bytes |`);
    expect(doc).toContain(`| CSV record | ${n(MAX_CSV_RECORD_CHARS)} characters |`);
  });

  it("gives every error code its exit status", () => {
    for (const [code, status] of Object.entries(EXIT_STATUS)) expect(doc).toContain(`| \`${code}\` | ${status} |`);
  });
});
