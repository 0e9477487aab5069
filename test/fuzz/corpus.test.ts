// The committed corpus of malformed files (test/fixtures/hostile, made by fuzz/classics.ts and from
// the fuzzer's findings) through the same public entry points the fuzzer drives: every file must end
// as test/fixtures/hostile/expected.json says — accepted ("ok") or refused with that typed error code.
// Never a generic error, a NaN accepted, or a hang (each file has the test's timeout).
import { describe, expect, it } from "vitest";
import { runCase } from "../../fuzz/classify.js";
import { expectedOutcomes, loadCorpus, outcomeName } from "../../fuzz/corpus.js";

const corpus = loadCorpus();
const expected = expectedOutcomes();

describe("malformed-file corpus", () => {
  it("holds at least 100 files, each with an expectation", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    expect(corpus.map((e) => e.id).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(corpus.map((e) => [e.id, e] as const))("%s", async (_id, entry) => {
    const outcome = await runCase(entry.target, entry.case);
    expect(["ok", "typed"], `${entry.id}: ${outcome.key}\n${outcome.detail}`).toContain(outcome.kind);
    expect(outcomeName(outcome), outcome.detail).toBe(expected[entry.id]);
  });
});
