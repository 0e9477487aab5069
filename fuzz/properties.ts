// Property tests with fast-check: round trips that must hold for every input the generators can make.
//   safetensors: parse(serialize(tensors)) gives the tensors back (F16/BF16 after one rounding)
//   tokenizer:   decode(encode(text)) is the text; encode with maxLength is a prefix of encode
//   pooling:     a parsed spec printed as JSON parses to itself
//   records:     texts and labels written as CSV or JSONL are read back unchanged
// `npm run fuzz` runs each for a few seconds; test/fuzz/properties.test.ts runs a short version.
import fc from "fast-check";
import {
  parsePoolingSpec, parseRecords, parseSafetensors, POOLING_TYPES, replaceLoneSurrogates, serializeSafetensors, Tokenizer,
  type SafeTensor,
} from "../src/node.js";
import { tinyTokenizerJson } from "./targets.js";

/** One property, checked with a seed and a number of runs (or a time limit). */
export interface NamedProperty {
  name: string;
  check(params: { seed: number; numRuns: number; timeLimitMs?: number }): { failed: boolean; numRuns: number; message: string };
}

function named<Ts>(name: string, property: fc.IProperty<Ts>): NamedProperty {
  return {
    name,
    check({ seed, numRuns, timeLimitMs }) {
      const plugins = timeLimitMs === undefined ? [] : [fc.interruptAfterTimeLimit(timeLimitMs)];
      const details = fc.check(property, { seed, numRuns, plugins });
      const message = details.failed ? `${String(details.errorInstance)}\n    counterexample: ${fc.stringify(details.counterexample)}` : "";
      return { failed: details.failed, numRuns: details.numRuns, message };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// safetensors

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 });

function tensorArb(): fc.Arbitrary<SafeTensor> {
  return fc.oneof(
    shapeArb.chain((shape) => fc.float32Array({ noNaN: true, minLength: count(shape), maxLength: count(shape) }).map((data): SafeTensor => ({ dtype: "F32", shape, data }))),
    shapeArb.chain((shape) => fc.float64Array({ noNaN: true, minLength: count(shape), maxLength: count(shape) }).map((data): SafeTensor => ({ dtype: "F64", shape, data }))),
    fc.constantFrom("F16" as const, "BF16" as const).chain((dtype) =>
      shapeArb.chain((shape) => fc.float32Array({ noNaN: true, minLength: count(shape), maxLength: count(shape) }).map((data): SafeTensor => ({ dtype, shape, data })))),
    shapeArb.chain((shape) => fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: count(shape), maxLength: count(shape) })
      .map((v): SafeTensor => ({ dtype: "I64", shape, data: BigInt64Array.from(v) }))),
    shapeArb.chain((shape) => fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: count(shape), maxLength: count(shape) })
      .map((v): SafeTensor => ({ dtype: "I32", shape, data: Int32Array.from(v) }))),
    shapeArb.chain((shape) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: count(shape), maxLength: count(shape) })
      .map((v): SafeTensor => ({ dtype: "U8", shape, data: Uint8Array.from(v) }))),
    shapeArb.chain((shape) => fc.array(fc.integer({ min: 0, max: 1 }), { minLength: count(shape), maxLength: count(shape) })
      .map((v): SafeTensor => ({ dtype: "BOOL", shape, data: Uint8Array.from(v) }))),
  );
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Tensors as plain arrays, comparable with toEqual-like JSON (bigints as strings, -0 kept). */
function snapshot(tensors: Map<string, SafeTensor>): string {
  return JSON.stringify([...tensors].map(([name, t]) => [name, t.dtype, t.shape, Array.from(t.data as ArrayLike<number | bigint>, (v) => (Object.is(v, -0) ? "-0" : String(v)))]));
}

const safetensorsRoundTrip = fc.property(
  fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== "__metadata__"), tensorArb(), { maxKeys: 5 }),
  fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 16 }), { maxKeys: 3 }), { nil: undefined }),
  (tensors, metadata) => {
    const once = parseSafetensors(serializeSafetensors(tensors, metadata), "once");
    const twice = parseSafetensors(serializeSafetensors(once.tensors, once.metadata), "twice");
    if (snapshot(once.tensors) !== snapshot(twice.tensors)) throw new Error("serialize/parse is not stable");
    for (const [name, t] of Object.entries(tensors)) {
      const back = once.tensors.get(name);
      if (back === undefined || back.dtype !== t.dtype || back.shape.join() !== t.shape.join()) throw new Error(`${name}: dtype or shape changed`);
      if (t.dtype !== "F16" && t.dtype !== "BF16" && snapshot(new Map([[name, t]])) !== snapshot(new Map([[name, back]]))) {
        throw new Error(`${name}: values changed`);
      }
    }
    if (JSON.stringify(once.metadata) !== JSON.stringify(metadata ?? {})) throw new Error("metadata changed");
  },
);

// ---------------------------------------------------------------------------------------------------
// tokenizer

let tokenizer: Tokenizer | null = null;
const tok = (): Tokenizer => (tokenizer ??= Tokenizer.fromTokenizerJson(tinyTokenizerJson("string")));

const textArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.array(fc.constantFrom("the", " ", "  ", "<s>", "<mask>", "<|im-start|>", "digits", "1234", "é", "😀", "\n", "'s", "x"), { maxLength: 30 }).map((p) => p.join("")),
);

const tokenizerRoundTrip = fc.property(textArb, fc.boolean(), (text, addPrefixSpace) => {
  // <mask> has lstrip (as in roberta-base): it swallows the whitespace on its left
  const clean = replaceLoneSurrogates(text).text.replace(/\p{White_Space}+(?=<mask>)/gu, "");
  const { inputIds, offsets } = tok().encode(text, { addSpecialTokens: false, addPrefixSpace });
  const decoded = tok().decode(inputIds);
  const expected = addPrefixSpace && clean !== "" && !clean.startsWith(" ") ? ` ${clean}` : clean;
  // added tokens glued to a prefix space: Hugging Face adds the space only in front of plain-text pieces
  if (!addPrefixSpace && decoded !== clean) throw new Error(`decode(encode(${JSON.stringify(text)})) = ${JSON.stringify(decoded)}`);
  if (addPrefixSpace && decoded.replace(/ /g, "") !== expected.replace(/ /g, "")) throw new Error(`prefix space: ${JSON.stringify(decoded)}`);
  let previousEnd = 0;
  for (const [start, end] of offsets) {
    if (start < 0 || end > text.length || start > end || end < previousEnd) throw new Error(`offsets [${start}, ${end}] out of order for ${JSON.stringify(text)}`);
    previousEnd = end;
  }
});

const truncationIsPrefix = fc.property(textArb, fc.integer({ min: 2, max: 12 }), (text, maxLength) => {
  const full = tok().encode(text).inputIds;
  const cut = tok().encode(text, { maxLength }).inputIds;
  const expected = [...full.slice(0, Math.min(full.length - 1, maxLength - 1)), tok().eosTokenId];
  if (cut.join() !== expected.join()) throw new Error(`maxLength ${maxLength}: ${cut.join()} vs ${expected.join()}`);
});

// ---------------------------------------------------------------------------------------------------
// pooling specs

const DIMS = { numLayers: 6, hiddenSize: 8 };
const layerArb = fc.integer({ min: -(DIMS.numLayers + 1), max: DIMS.numLayers });

const leafSpecArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...POOLING_TYPES.filter((t) => t !== "combine")),
  fc.record({ type: fc.constant("concat"), layers: fc.array(layerArb, { minLength: 1, maxLength: 4 }), token: fc.constantFrom("cls", "mean", "max") }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constantFrom("lstm", "attention", "layer-attention"), hiddenSize: fc.integer({ min: 1, max: 64 }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("weighted-layer"), layerStart: fc.integer({ min: 0, max: DIMS.numLayers }), token: fc.constantFrom("cls", "mean") }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("gem"), p: fc.double({ min: 1, max: 8, noNaN: true }), eps: fc.double({ min: 1e-8, max: 1e-3, noNaN: true }) }, { requiredKeys: ["type"] }),
);

const specArb = fc.oneof(leafSpecArb, fc.record({ type: fc.constant("combine"), parts: fc.array(leafSpecArb, { minLength: 1, maxLength: 4 }) }));

const specRoundTrip = fc.property(specArb, (spec) => {
  const parsed = parsePoolingSpec(spec, DIMS);
  const printed = JSON.stringify(parsed);
  const again = JSON.stringify(parsePoolingSpec(JSON.parse(printed) as unknown, DIMS));
  if (again !== printed) throw new Error(`spec print/parse: ${printed} became ${again}`);
});

// ---------------------------------------------------------------------------------------------------
// CSV and JSONL records

const fieldArb = fc.oneof(fc.string({ unit: "grapheme", maxLength: 20 }), fc.constantFrom("a,b", 'say "hi"', "two\nlines", "cr\r\nlf", " ", "é😀"));

function csvField(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

// A label must not be empty (the reader refuses an empty label).
const csvRoundTrip = fc.property(fc.array(fc.tuple(fieldArb, fieldArb.filter((l) => l !== "")), { minLength: 1, maxLength: 6 }), (rows) => {
  const text = ["text,label", ...rows.map(([t, l]) => `${csvField(t)},${csvField(l)}`)].join("\r\n");
  const { records } = parseRecords(new TextEncoder().encode(text), { source: "p.csv", format: "csv", textField: "text", labelField: "label" });
  const got = JSON.stringify(records.map((r) => [r.text, r.label]));
  if (got !== JSON.stringify(rows)) throw new Error(`csv: ${JSON.stringify(rows)} read back as ${got}`);
});

// Labels as the reader accepts them: a class name, a number, a list of names (never null).
const labelArb = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));

const jsonlRoundTrip = fc.property(fc.array(fc.record({ text: fieldArb, label: labelArb }), { minLength: 1, maxLength: 6 }), (rows) => {
  const text = rows.map((r) => JSON.stringify(r)).join("\n");
  const { records } = parseRecords(new TextEncoder().encode(text), { source: "p.jsonl", format: "jsonl", textField: "text", labelField: "label" });
  const got = JSON.stringify(records.map((r) => ({ text: r.text, label: r.label })));
  if (got !== JSON.stringify(rows)) throw new Error(`jsonl: ${JSON.stringify(rows)} read back as ${got}`);
});

export const PROPERTIES: readonly NamedProperty[] = [
  named("safetensors write/read", safetensorsRoundTrip),
  named("tokenizer encode/decode", tokenizerRoundTrip),
  named("tokenizer maxLength = prefix", truncationIsPrefix),
  named("pooling spec parse/print", specRoundTrip),
  named("CSV records", csvRoundTrip),
  named("JSONL records", jsonlRoundTrip),
];

/** Runs every property for about `seconds` in all; prints one row each; true when none failed. */
export function runProperties(options: { seconds: number; seed: number }): boolean {
  const perProperty = (options.seconds * 1000) / PROPERTIES.length;
  console.log(`property tests (fast-check, seed ${options.seed}, ${(perProperty / 1000).toFixed(1)} s each)`);
  let ok = true;
  for (const p of PROPERTIES) {
    const result = p.check({ seed: options.seed, numRuns: 1_000_000, timeLimitMs: perProperty });
    console.log(`  ${p.name.padEnd(30)} ${String(result.numRuns).padStart(8)} runs  ${result.failed ? `FAILED: ${result.message}` : "ok"}`);
    ok &&= !result.failed;
  }
  return ok;
}
