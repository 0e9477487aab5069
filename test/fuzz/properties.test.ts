// The fuzzer's property tests (fuzz/properties.ts), briefly: a fixed seed and 100 runs each, so that a
// round trip that breaks fails npm test; `npm run fuzz` runs them for longer with fresh seeds.
import { describe, expect, it } from "vitest";
import { PROPERTIES } from "../../fuzz/properties.js";

describe("round-trip properties (fast-check)", () => {
  it.each(PROPERTIES.map((p) => [p.name, p] as const))("%s", (_name, p) => {
    const result = p.check({ seed: 42, numRuns: 100 });
    expect(result.failed, result.message).toBe(false);
    expect(result.numRuns).toBe(100);
  });
});
