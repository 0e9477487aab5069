// heads.json, written by `compare --save-heads` and read by `loadHead(DIR)` / `--head DIR`: deep JSON is
// a TrainingError with code EP_LIMIT, and anything but a heads index (or a best name that leaves the
// folder) is refused naming the file.
import { describe, expect, it } from "vitest";
import { TrainingError, type EncoderPoolingError } from "../../src/errors.js";
import { bestHeadOf } from "../../src/train/compare-heads.js";
import { thrown } from "../helpers.js";

const deep = "[".repeat(100_000);

describe("heads.json of `compare --save-heads`", () => {
  it("deep JSON is a TrainingError with code EP_LIMIT; anything but a heads index is refused", () => {
    const error = thrown<EncoderPoolingError>(() => bestHeadOf(deep, "h/heads.json"));
    expect(error).toBeInstanceOf(TrainingError);
    expect(error.code).toBe("EP_LIMIT");
    for (const text of ["null", "5", "[]", '{"format": "encoder-pooling heads 1", "best": "../x"}']) {
      expect(() => bestHeadOf(text, "h/heads.json"), text).toThrow(/h\/heads\.json: not a heads index written by `compare --save-heads`/);
    }
  });
});
