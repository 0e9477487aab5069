// Errors that cannot blow up: describeValue stays short and never recurses, whatever it is given, and
// every error class carries a stable code (issue 10, "errors that cannot blow up").
import { describe, expect, it } from "vitest";
import {
  ConfigError, describeValue, EncoderPoolingError, InputError, NotSupportedError, PoolingError, SafetensorsError,
  TokenizerError, TrainingError, UsageError, WeightsError,
} from "../src/errors.js";

/** [[[…]]] nested `depth` times, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe("describeValue", () => {
  it("shows small values as JSON would", () => {
    expect(describeValue("gelu_new")).toBe('"gelu_new"');
    expect(describeValue(1e21)).toBe("1e+21");
    expect(describeValue(-0)).toBe("-0");
    expect(describeValue(NaN)).toBe("NaN");
    expect(describeValue(null)).toBe("null");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(true)).toBe("true");
    expect(describeValue(12n)).toBe("12n");
    expect(describeValue([1, "a"])).toBe('[1, "a"]');
    expect(describeValue({ type: "lstm", hiddenSize: 8 })).toBe('{"type": "lstm", "hiddenSize": 8}');
    expect(describeValue([])).toBe("[]");
    expect(describeValue({})).toBe("{}");
  });

  it("gives one level of a nested value, whatever its depth (100,000 levels: JSON.stringify overflows the stack)", () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(describeValue(deep)).toBe("[[…]]");
    expect(describeValue({ a: { b: 1 }, c: [], d: {} })).toBe('{"a": {…}, "c": [], "d": {}}');
  });

  it("cuts long strings, long lists and big objects, saying how big they were", () => {
    expect(describeValue("x".repeat(1_000_000))).toBe(`"${"x".repeat(40)}…" (1000000 chars)`);
    expect(describeValue(Array.from({ length: 5000 }, (_, i) => i))).toBe("[0, 1, 2, … (5000 items)]");
    const big: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) big[`k${i}`] = i;
    expect(describeValue(big)).toBe('{"k0": 0, "k1": 1, "k2": 2, …}');
    expect(describeValue(["y".repeat(100)])).toBe(`["${"y".repeat(12)}…" (100 chars)]`);
  });

  it("escapes control characters and lone surrogates, keeps valid pairs", () => {
    expect(describeValue('a"b\\c\n\u0000')).toBe('"a\\"b\\\\c\\u000a\\u0000"');
    expect(describeValue("\ud800x😀")).toBe('"\\ud800x😀"');
  });

  it("handles cycles, typed arrays, maps, functions, getters without running them", () => {
    const cycle: Record<string, unknown> = {};
    cycle["self"] = cycle;
    expect(describeValue(cycle)).toBe('{"self": {…}}');
    expect(describeValue(new Float32Array(4))).toBe("a Float32Array of 16 bytes");
    expect(describeValue(new Map([[1, 2]]))).toBe("a Map of 1 entries");
    expect(describeValue(() => 1)).toBe("a function");
    let ran = false;
    const withGetter = {
      get x(): number {
        ran = true;
        return 1;
      },
    };
    expect(describeValue(withGetter)).toBe('{"x": a getter}');
    expect(ran).toBe(false);
  });

  it("stays under 200 characters for any value", () => {
    const values: unknown[] = [nested(10), "é".repeat(1e4), { ["k".repeat(1e4)]: "v".repeat(1e4) }, [nested(3), { a: 1 }, "z".repeat(500), 4, 5]];
    for (const v of values) expect(describeValue(v).length).toBeLessThan(200);
  });
});

describe("error codes", () => {
  it("each class has its own stable code", () => {
    const cases: [EncoderPoolingError, string][] = [
      [new EncoderPoolingError("x"), "EP_ERROR"],
      [new SafetensorsError("x"), "EP_SAFETENSORS"],
      [new ConfigError("x"), "EP_CONFIG"],
      [new WeightsError("x"), "EP_WEIGHTS"],
      [new TokenizerError("x"), "EP_TOKENIZER"],
      [new InputError("x"), "EP_INPUT"],
      [new PoolingError("x"), "EP_POOLING"],
      [new TrainingError("x"), "EP_TRAINING"],
      [new UsageError("x"), "EP_USAGE"],
      [new NotSupportedError("x"), "EP_NOT_SUPPORTED"],
    ];
    for (const [error, code] of cases) expect(error.code).toBe(code);
  });

  it("a cross-cutting code overrides the class's own; instanceof and the message are unchanged", () => {
    const error = new ConfigError("m/config.json: too many layers", { code: "EP_LIMIT" });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(EncoderPoolingError);
    expect(error.code).toBe("EP_LIMIT");
    expect(error.name).toBe("ConfigError");
    expect(error.message).toBe("m/config.json: too many layers");
    expect(new NotSupportedError("F8", { code: "EP_LIMIT" }).message).toBe("not supported: F8");
    const cause = new Error("ENOSPC");
    expect(new TrainingError("x", { cause, code: "EP_IO" }).cause).toBe(cause);
  });
});
