// Labels: decoding predictions, and every kind of bad label named with its split and example.
import { describe, expect, it } from "vitest";
import { LabelEncoder } from "../../src/train/labels.js";

describe("decoding", () => {
  it("decodes regression values and multi-label sets", () => {
    // regression targets are standardised with the training mean (1.5) and std (0.5), and decoded back
    const reg = LabelEncoder.fit("regression", [1, 2]);
    expect(Array.from(reg.encode([1, 2, 2.5], "test").values)).toEqual([-1, 1, 2]);
    expect(reg.decode([-1, 1, 0])).toEqual([{ value: 1 }, { value: 2 }, { value: 1.5 }]);
    expect(LabelEncoder.fromJSON(JSON.parse(JSON.stringify(reg.toJSON()))).decode([2])).toEqual([{ value: 2.5 }]);
    const twoOutputs = LabelEncoder.fit("regression", [[1900, 5], [2000, 5]]);
    expect(twoOutputs.targetScale).toEqual({ mean: [1950, 5], std: [50, 1] });
    expect(twoOutputs.decode([1, 0])).toEqual([{ value: [2000, 5] }]);
    const ml = LabelEncoder.fit("multilabel", [["a"], ["b"]]).decode([2, -2]);
    expect(ml).toEqual([{ labels: ["a"], probabilities: { a: 1 / (1 + Math.exp(-2)), b: Math.exp(-2) / (1 + Math.exp(-2)) } }]);
  });
});

describe("bad labels", () => {
  it("labels missing: names the split and the examples", () => {
    expect(() => LabelEncoder.fit("classification", ["a", null, "b", ""])).toThrow(/train split: labels missing for examples 1, 3/);
    const enc = LabelEncoder.fit("classification", ["a", "b"]);
    expect(() => enc.encode(["a", undefined], "validation")).toThrow(/validation split: labels missing for examples 1/);
  });
  it("non-numeric regression labels", () => {
    expect(() => LabelEncoder.fit("regression", [1, 2]).encode([1, "high"], "train")).toThrow(/train example 1: regression label "high" is not a number/);
    expect(() => LabelEncoder.fit("regression", [[1, 2]]).encode([[1]], "train")).toThrow(/expected 2 regression target\(s\), got 1/);
  });
  it("a class seen only in the validation set", () => {
    const enc = LabelEncoder.fit("classification", ["spam", "ham", "ham"]);
    expect(enc.classes).toEqual(["ham", "spam"]);
    expect(() => enc.encode(["ham", "eggs", "eggs"], "validation")).toThrow(
      /validation split has classes never seen in training: "eggs" \(examples 1, 2\); known: ham, spam/,
    );
    const ml = LabelEncoder.fit("multilabel", [["a"], ["b", "a"]]);
    expect(() => ml.encode([["c"]], "validation")).toThrow(/"c"/);
  });
  it("labels of the wrong kind", () => {
    expect(() => LabelEncoder.fit("classification", [["a"], ["b"]])).toThrow(/needs --task multilabel/);
    expect(() => LabelEncoder.fit("multilabel", ["a"])).toThrow(/must be lists of label names/);
    expect(() => LabelEncoder.fit("classification", ["a", "a"])).toThrow(/single class/);
    expect(() => LabelEncoder.fit("classification", [{ x: 1 }, "a"])).toThrow(/is not a class name/);
  });
  it("numeric class names sort numerically and round-trip through JSON", () => {
    const enc = LabelEncoder.fit("classification", [10, 9, "2"]);
    expect(enc.classes).toEqual(["2", "9", "10"]);
    expect([...LabelEncoder.fromJSON(JSON.parse(JSON.stringify(enc))).encode([9, "10"], "test").values]).toEqual([1, 2]);
  });
});

describe("hostile labels (issue 10)", () => {
  it("a multi-label label that is not a list is a TrainingError (it was 'TypeError: label.map is not a function')", () => {
    const enc = LabelEncoder.fit("multilabel", [["a"], ["b"]]);
    expect(() => enc.encode([["a"], "b"], "test")).toThrow('test example 1: multi-label targets must be lists of label names, got "b"');
    expect(() => enc.encode([["a"], { x: [[1]] }], "test")).toThrow('test example 1: multi-label targets must be lists of label names, got {"x": […]}');
  });

  it("a deep label is described in a few characters", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const enc = LabelEncoder.fit("classification", ["a", "b"]);
    expect(() => enc.encode([{ deep }], "test")).toThrow('test example 0: label {"deep": […]} is not a class name (string or number)');
  });

  it("40,000 unseen classes are gathered in linear time and listed briefly (the bookkeeping was quadratic: 60 s)", () => {
    const enc = LabelEncoder.fit("classification", ["a", "b"]);
    const labels = Array.from({ length: 40_000 }, (_, i) => `new${i % 20_000}`);
    let message = "";
    try {
      enc.encode(labels, "test");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^test split has classes never seen in training: "new0" \(examples 0, 20000\), .* and 19990 more; known: a, b$/);
    expect(message.length).toBeLessThan(1000);
  });
});
