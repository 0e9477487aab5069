// What the fuzzer attacks: one target per parser, each driven through the public API (src/node.ts)
// the way a user's files reach it, seeded from the repository's own fixtures. A target's run()
// returns the numbers its result holds, so that a NaN or an infinity that got through is seen.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  appendToCache, assembleBatch, createFeatureCache, createHead, createPooler, headFiles, loadHeadFiles, loadModelFromBuffers, parseFeatureCache,
  EncoderPoolingError, parseRecords, parseRobertaConfig, parseSafetensors, PoolingError, serializeFeatureCache, serializeSafetensors,
  Tokenizer, trainableParameters, type HeadConfig, type InputFormat, type Tensor,
} from "../src/node.js";
import { firstNonFinite } from "../src/tensor/tensor.js";
import { type Case, repoRoot } from "./case.js";
import type { FileKind } from "./mutate.js";

/** Numbers a target produced; each must be finite unless the target said why not. */
export type Produced = ArrayLike<number>[];

export interface Target {
  name: string;
  /** The files of a case and how each is read. */
  files: ReadonlyMap<string, FileKind>;
  /** The starting cases, read from the repository's fixtures. */
  seeds(): Case[];
  run(c: Case): Produced | Promise<Produced>;
}

const root = repoRoot();
const fixture = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(join(root, "test", "fixtures", ...parts)));
const utf8 = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);
const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The file of a case, which every target's cases have. */
function file(c: Case, name: string): Uint8Array {
  const data = c.get(name);
  if (data === undefined) throw new Error(`fuzz case has no ${name}`);
  return data;
}

/** Every file under test/fixtures/<dir> (recursively) whose name ends with `suffix`, up to `maxBytes`. */
function fixtureFiles(dir: string, suffix: string, maxBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path).sort()) {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith(suffix) && statSync(full).size <= maxBytes) out.push(new Uint8Array(readFileSync(full)));
    }
  };
  walk(join(root, "test", "fixtures", dir));
  return out;
}

const SAMPLE_TEXTS = ["Hello world", "The <mask> of the text.", " digits 1234 and ünïcödé 😀", ""];

// ---------------------------------------------------------------------------------------------------
// Safetensors and config.json

const safetensors: Target = {
  name: "safetensors",
  files: new Map([["model.safetensors", "safetensors"]]),
  seeds() {
    const everyDtype = serializeSafetensors({
      f32: { dtype: "F32", shape: [2, 2], data: new Float32Array([1, -2, 0.5, 3]) },
      f16: { dtype: "F16", shape: [3], data: new Float32Array([1, 65504, -0.25]) },
      bf16: { dtype: "BF16", shape: [1, 2], data: new Float32Array([1, -3]) },
      f64: { dtype: "F64", shape: [1], data: new Float64Array([2]) },
      i64: { dtype: "I64", shape: [2], data: new BigInt64Array([1n, -1n]) },
      u8: { dtype: "U8", shape: [2], data: new Uint8Array([1, 255]) },
      flag: { dtype: "BOOL", shape: [2], data: new Uint8Array([0, 1]) },
      empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    }, { format: "pt" });
    return [everyDtype, ...fixtureFiles("pooling", ".safetensors", 8_000).slice(0, 12), ...fixtureFiles("training", ".safetensors", 8_000)]
      .map((bytes) => new Map([["model.safetensors", bytes]]));
  },
  run(c) {
    parseSafetensors(file(c, "model.safetensors"), "model.safetensors");
    return [];
  },
};

const config: Target = {
  name: "config",
  files: new Map([["config.json", "json"]]),
  seeds() {
    return [...fixtureFiles("encoder", "config.json", 10_000), fixture("pipeline", "tiny", "config.json")].map((bytes) => new Map([["config.json", bytes]]));
  },
  run(c) {
    parseRobertaConfig(utf8(file(c, "config.json")), "config.json");
    return [];
  },
};

// ---------------------------------------------------------------------------------------------------
// Tokenizers

/** Encodes and decodes the sample texts: a tokenizer that loads must also work. */
function exercise(tokenizer: Tokenizer): Produced {
  for (const text of SAMPLE_TEXTS) {
    const { inputIds } = tokenizer.encode(text, { maxLength: 64 });
    tokenizer.decode(inputIds);
  }
  return [];
}

const vocabMerges: Target = {
  name: "vocab-merges",
  files: new Map<string, FileKind>([["vocab.json", "json"], ["merges.txt", "text"]]),
  seeds() {
    return [
      new Map([["vocab.json", fixture("tokenizer", "tiny-vocab.json")], ["merges.txt", fixture("tokenizer", "tiny-merges.txt")]]),
      new Map([["vocab.json", fixture("pipeline", "tiny", "vocab.json")], ["merges.txt", fixture("pipeline", "tiny", "merges.txt")]]),
    ];
  },
  run(c) {
    return exercise(Tokenizer.fromVocabAndMerges(utf8(file(c, "vocab.json")), utf8(file(c, "merges.txt")), { source: "fuzz" }));
  },
};

/** A tokenizer.json made from the tiny vocabulary, in either merge format, with a few added tokens. */
export function tinyTokenizerJson(mergeFormat: "string" | "pair"): string {
  const vocab = JSON.parse(utf8(fixture("tokenizer", "tiny-vocab.json"))) as Record<string, number>;
  const merges = utf8(fixture("tokenizer", "tiny-merges.txt")).split("\n").slice(1).filter((l) => l !== "");
  const added = (id: number, content: string, extra: Record<string, boolean> = {}) => ({ id, content, special: true, lstrip: false, rstrip: false, single_word: false, normalized: false, ...extra });
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"), added(vocab["<mask>"]!, "<mask>", { lstrip: true }), added(397, "<|im-start|>")],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges: mergeFormat === "string" ? merges : merges.map((m) => m.split(" ")) },
  });
}

const tokenizerJson: Target = {
  name: "tokenizer-json",
  files: new Map([["tokenizer.json", "json"]]),
  seeds() {
    return [tinyTokenizerJson("string"), tinyTokenizerJson("pair")].map((text) => new Map([["tokenizer.json", bytesOf(text)]]));
  },
  run(c) {
    return exercise(Tokenizer.fromTokenizerJson(utf8(file(c, "tokenizer.json"))));
  },
};

let textTokenizer: Tokenizer | null = null;
const ORACLE_CHARS = 50_000;

/**
 * Any text through a fixed tokenizer. Besides not failing, the tokens of encode(text, { maxLength })
 * must be the first tokens of encode(text), and every offset must lie inside the text.
 */
const tokenizerText: Target = {
  name: "tokenizer-text",
  files: new Map([["text.txt", "text"]]),
  seeds() {
    const lines = [...utf8(fixture("tokenizer", "tiny-corpus.txt")).split("\n"), ...utf8(fixture("pipeline", "corpus.txt")).split("\n")];
    return [...lines.filter((l) => l !== "").slice(0, 40), "<s>x</s> <mask> <|im-start|>y", "\ud800 a\u0085b\u2028"].map((l) => new Map([["text.txt", bytesOf(l)]]));
  },
  run(c) {
    textTokenizer ??= Tokenizer.fromTokenizerJson(tinyTokenizerJson("string"));
    const text = utf8(file(c, "text.txt"));
    const maxLength = 2 + (text.length % 20);
    const cut = textTokenizer.encode(text, { maxLength });
    // the oracle: the whole text's tokens (a megabyte-long word without maxLength is a legitimate
    // but slow request, so long texts are checked against a prefix that holds their first words)
    const full = textTokenizer.encode(text.length <= ORACLE_CHARS ? text : text.slice(0, ORACLE_CHARS));
    const expected = [...full.inputIds.slice(0, Math.min(full.inputIds.length - 1, maxLength - 1)), textTokenizer.eosTokenId];
    if (cut.inputIds.join() !== expected.join()) throw new Error(`tokenizer: maxLength ${maxLength} gave ${cut.inputIds.join()}, the whole text ${expected.join()}`);
    for (const [start, end] of cut.offsets) {
      if (!(start >= 0 && start <= end && end <= text.length)) throw new Error(`tokenizer: offset [${start}, ${end}] outside the text (${text.length})`);
    }
    textTokenizer.decode(full.inputIds);
    return [];
  },
};

// ---------------------------------------------------------------------------------------------------
// Pooling

const POOLING_DIMS = { numLayers: 4, hiddenSize: 6 };

/** hiddenStates [B=2,T=3,H=6] × (L+1), fixed values; the second text is one token long. */
function poolerInput(): { hiddenStates: Tensor[]; attentionMask: Int32Array } {
  const { numLayers, hiddenSize } = POOLING_DIMS;
  const hiddenStates = Array.from({ length: numLayers + 1 }, (_, l) => ({
    data: Float32Array.from({ length: 2 * 3 * hiddenSize }, (_, i) => Math.sin(i * 0.7 + l) * (1 + l)),
    shape: [2, 3, hiddenSize],
  }));
  return { hiddenStates, attentionMask: Int32Array.from([1, 1, 1, 1, 0, 0]) };
}

/** The spec text as the CLI reads it: a JSON value (a bare name or an object). */
function specOf(c: Case): unknown {
  const text = utf8(file(c, "spec.json"));
  try {
    return JSON.parse(text);
  } catch {
    throw new PoolingError("spec.json: not JSON");
  }
}

const poolingSpec: Target = {
  name: "pooling-spec",
  files: new Map([["spec.json", "json"]]),
  seeds() {
    const cases = JSON.parse(utf8(fixture("pooling", "cases.json"))) as { spec: unknown }[];
    const specs = new Set(cases.map((k) => JSON.stringify(k.spec, null, 1)));
    specs.add('{"type": "combine", "parts": [{"type": "combine", "parts": ["mean", {"type": "gem", "p": 4}]}, "max"]}');
    return [...specs].map((s) => new Map([["spec.json", bytesOf(s)]]));
  },
  run(c) {
    const pooler = createPooler(specOf(c), POOLING_DIMS, { seed: 1 });
    return [pooler.forward(poolerInput()).pooled.data];
  },
};

const poolingParams: Target = {
  name: "pooling-params",
  files: new Map<string, FileKind>([["spec.json", "json"], ["params.safetensors", "safetensors"]]),
  seeds() {
    const cases = JSON.parse(utf8(fixture("pooling", "cases.json"))) as { name: string; hasParams: boolean; numLayers: number; hiddenSize: number }[];
    return cases
      .filter((k) => k.hasParams && k.numLayers === POOLING_DIMS.numLayers && k.hiddenSize === POOLING_DIMS.hiddenSize)
      .map((k) => new Map([["spec.json", fixture("pooling", k.name, "spec.json")], ["params.safetensors", fixture("pooling", k.name, "params.safetensors")]]));
  },
  run(c) {
    const { tensors } = parseSafetensors(file(c, "params.safetensors"), "params.safetensors");
    const parameters = new Map<string, Tensor>();
    for (const [name, t] of tensors) {
      if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) throw new PoolingError(`params.safetensors: ${name}: not floating-point`);
      parameters.set(name, { data: Float32Array.from(t.data), shape: [...t.shape] });
    }
    const pooler = createPooler(specOf(c), POOLING_DIMS, { parameters });
    const pooled = pooler.forward(poolerInput()).pooled.data;
    // Finite parameters may still overflow (a weight of -2.1e38 in layer-attention's w_h gives -Infinity
    // scores): model.embed refuses such a vector before anything is written (EP_NONFINITE, checkFiniteRow in
    // src/pipeline/model.ts; test/pipeline/nonfinite.test.ts goes that way), and so does this target.
    const bad = firstNonFinite(pooled);
    if (bad >= 0) throw new EncoderPoolingError(`pooled vector element ${bad} is ${pooled[bad]}`, { code: "EP_NONFINITE" });
    return [pooled];
  },
};

// ---------------------------------------------------------------------------------------------------
// Input records

function recordsTarget(format: InputFormat, seeds: string[]): Target {
  const name = `input.${format}`;
  return {
    name: `records-${format}`,
    files: new Map([[name, format === "jsonl" ? "json" : "text"]]),
    seeds: () => seeds.map((s) => new Map([[name, bytesOf(s)]])),
    run(c) {
      const labelField = format === "txt" ? undefined : "label";
      parseRecords(file(c, name), { source: name, format, textField: "text", ...(labelField === undefined ? {} : { labelField }) });
      return [];
    },
  };
}

const recordsTxt = recordsTarget("txt", ["one line\ntwo lines\r\n\nlast", "ünïcödé 😀\n\n\n", "x"]);
const recordsJsonl = recordsTarget("jsonl", [
  '{"text": "a cat", "label": "pos"}\n{"text": "a dog", "label": ["pos", "neg"]}\n\n{"text": "x", "label": 3}\n',
  '{"text": "é\\u00e9\\ud83d\\ude00", "label": 1.5, "extra": {"nested": [1, 2]}}\r\n',
]);
const recordsCsv = recordsTarget("csv", [
  'text,label\n"a, quoted ""cat""",pos\nplain,neg\n"multi\nline",pos\n',
  "id,label,text\r\n1,a,hello\r\n2,b,world\r\n",
]);

// ---------------------------------------------------------------------------------------------------
// A whole model folder, through loadModelFromBuffers and embed

const model: Target = {
  name: "model",
  files: new Map<string, FileKind>([["config.json", "json"], ["model.safetensors", "safetensors"], ["vocab.json", "json"], ["merges.txt", "text"]]),
  seeds() {
    const files = ["config.json", "model.safetensors", "vocab.json", "merges.txt"];
    return [new Map(files.map((f) => [f, fixture("pipeline", "tiny", f)]))];
  },
  async run(c) {
    const loaded = await loadModelFromBuffers({
      config: utf8(file(c, "config.json")),
      weights: file(c, "model.safetensors"),
      vocab: utf8(file(c, "vocab.json")),
      merges: utf8(file(c, "merges.txt")),
      source: "fuzz-model",
    });
    const { data } = await loaded.embed(["Hello world", "a"], { pooling: "mean" });
    return [data];
  },
};

// ---------------------------------------------------------------------------------------------------
// Trained heads and feature caches

/** A head folder in memory (headFiles) for `spec` on the pooling dims, with a head of `kind`. */
function headFolderSeed(spec: unknown, kind: "linear" | "classification", task: "classification" | "multilabel" | "regression"): Case {
  const pooler = createPooler(spec, POOLING_DIMS, { seed: 3 });
  const outputs = task === "regression" ? 1 : 3;
  const head = createHead(kind, pooler.outputSize, outputs, { seed: 3 });
  const config: HeadConfig = {
    format: "encoder-pooling head 1", pooling: pooler.spec, head: { kind, inputSize: pooler.outputSize, outputSize: outputs, dropout: 0.1 },
    task, labels: { task, numOutputs: outputs, classes: task === "regression" ? [] : ["a", "b", "c"], ...(task === "regression" ? { targetScale: { mean: [1], std: [2] } } : {}) },
    encoder: POOLING_DIMS, model: "default", maxLength: 24, textField: "text", labelField: "label",
  };
  const folder = headFiles(config, trainableParameters(pooler, head), { epochs: 1 });
  return new Map([["pooling.json", bytesOf(folder["pooling.json"])], ["head.safetensors", folder["head.safetensors"]], ["training.json", bytesOf(folder["training.json"])]]);
}

const headFolder: Target = {
  name: "head-folder",
  files: new Map<string, FileKind>([["pooling.json", "json"], ["head.safetensors", "safetensors"], ["training.json", "json"]]),
  seeds() {
    return [
      headFolderSeed({ type: "lstm", hiddenSize: 3 }, "classification", "classification"),
      headFolderSeed("mean", "linear", "multilabel"),
      headFolderSeed({ type: "combine", parts: ["cls", { type: "gem", p: 2 }] }, "linear", "regression"),
    ];
  },
  run(c) {
    const loaded = loadHeadFiles(
      { "pooling.json": utf8(file(c, "pooling.json")), "head.safetensors": file(c, "head.safetensors"), "training.json": utf8(file(c, "training.json")) },
      POOLING_DIMS, { dir: "fuzz-head", model: "fuzz" },
    );
    const { pooled } = loaded.pooler.forward(poolerInput());
    const { logits } = loaded.head.forward(pooled);
    loaded.labels.decode(logits.data);
    return [pooled.data, logits.data];
  },
};

const featureCache: Target = {
  name: "feature-cache",
  files: new Map([["cache.safetensors", "safetensors"]]),
  seeds() {
    return [{ layers: [1, 2, 3, 4], firstTokenOnly: true }, { layers: [4], firstTokenOnly: false }].map((reads) => {
      const cache = createFeatureCache(reads, POOLING_DIMS);
      appendToCache(cache, poolerInput());
      return new Map([["cache.safetensors", serializeFeatureCache(cache, { model: "fuzz" })]]);
    });
  },
  run(c) {
    const { cache } = parseFeatureCache(file(c, "cache.safetensors"), "cache.safetensors");
    if (cache.examples.length > 0) assembleBatch(cache, cache.examples.map((_, i) => i), "float32");
    return [];
  },
};

/** Every target, in the order the table lists them. */
export const TARGETS: readonly Target[] = [
  safetensors, config, vocabMerges, tokenizerJson, tokenizerText, poolingSpec, poolingParams, recordsTxt, recordsJsonl, recordsCsv, model,
  headFolder, featureCache,
];

export function targetNamed(name: string): Target {
  const target = TARGETS.find((t) => t.name === name);
  if (target === undefined) throw new Error(`fuzz: no target "${name}" (targets: ${TARGETS.map((t) => t.name).join(", ")})`);
  return target;
}
