// The classic malformed files, written into the corpus by `npm run fuzz -- --make-corpus`: truncated
// files, overlapping offsets, huge header claims, deep JSON, invalid UTF-8, every documented limit
// one past its cap, and the reproducers of issue 10. Deterministic: running it again rewrites the
// same bytes. Findings of the fuzzer join the corpus with `--replay FILE --save-corpus NAME`.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serializeSafetensors } from "../src/node.js";
import { CORPUS_DIR } from "./corpus.js";
import { targetNamed } from "./targets.js";

interface Classic {
  target: string;
  /** `<name>.<file>`: which file of the target's first seed it replaces. */
  name: string;
  bytes: Uint8Array;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array): string => new TextDecoder().decode(b);
const deep = (n: number, inner = "1"): string => "[".repeat(n) + inner + "]".repeat(n);

/** A safetensors file with this header (text or object) and data; the length prefix may lie. */
function safetensors(header: string | object | Uint8Array, data: Uint8Array = new Uint8Array(0), claimed?: bigint): Uint8Array {
  const json = header instanceof Uint8Array ? header : text(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimed ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function safetensorsClassics(): Classic[] {
  const good = serializeSafetensors({
    a: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) },
    b: { dtype: "F32", shape: [1], data: new Float32Array([3]) },
  });
  const twelve = new Uint8Array(12);
  const entry = (dtype: unknown, shape: unknown, offsets: unknown): object => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["seven-bytes", new Uint8Array(7)],
    ["truncated-in-length", good.subarray(0, 5)],
    ["truncated-in-header", good.subarray(0, 20)],
    ["truncated-in-data", good.subarray(0, good.length - 5)],
    ["truncated-one-byte", good.subarray(0, good.length - 1)],
    ["header-length-past-end", safetensors({}, new Uint8Array(0), 1000n)],
    ["header-length-max-u64", safetensors({}, new Uint8Array(0), 0xffffffffffffffffn)],
    ["huge-header-claim-1.5GB", safetensors({}, new Uint8Array(64), 1_500_000_000n)],
    ["header-not-json", safetensors('{"a": {')],
    ["header-invalid-utf8", (() => {
      const b = safetensors('{"a\u00e9": 1}');
      b[12] = 0xff;
      return b;
    })()],
    ["header-overlong-utf8", safetensors(new Uint8Array([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d]))],
    ["header-array", safetensors("[1, 2]")],
    ["header-deep-json", safetensors(`{"a": ${deep(10_000)}}`)],
    ["header-8kb-of-brackets", safetensors("[".repeat(8192))],
    ["shape-deep", safetensors({ a: entry("F32", JSON.parse(deep(60, "2")), [0, 8]) }, new Uint8Array(8))],
    ["offsets-deep", safetensors(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": ${deep(5000)}}}`, new Uint8Array(8))],
    ["overlapping-offsets", safetensors({ a: entry("F32", [2], [0, 8]), b: entry("F32", [2], [4, 12]) }, twelve)],
    ["gap-between-tensors", safetensors({ a: entry("F32", [1], [0, 4]), b: entry("F32", [1], [8, 12]) }, twelve)],
    ["trailing-bytes", safetensors({ a: entry("F32", [2], [0, 8]) }, twelve)],
    ["offsets-reversed", safetensors({ a: entry("F32", [2], [8, 0]) }, twelve)],
    ["offsets-past-end", safetensors({ a: entry("F32", [4], [0, 16]) }, twelve)],
    ["offsets-negative", safetensors({ a: entry("F32", [2], [-8, 0]) }, twelve)],
    ["offsets-fraction", safetensors({ a: entry("F32", [2], [0, 7.5]) }, twelve)],
    ["offsets-unsafe-integer", safetensors({ a: entry("F32", [2], [0, 2 ** 53 + 2]) }, twelve)],
    ["offsets-three", safetensors({ a: entry("F32", [2], [0, 8, 12]) }, twelve)],
    ["shape-negative", safetensors({ a: entry("F32", [-2], [0, 8]) }, new Uint8Array(8))],
    ["shape-fraction", safetensors({ a: entry("F32", [1.5], [0, 8]) }, new Uint8Array(8))],
    ["shape-numel-overflow", safetensors({ a: entry("F32", [1e8, 1e8, 1e8, 1e8], [0, 8]) }, new Uint8Array(8))],
    ["shape-2e9-elements-few-bytes", safetensors({ a: entry("F32", [2_000_000_000], [0, 8]) }, new Uint8Array(8))],
    ["shape-100k-dims", safetensors({ a: entry("U8", new Array(100_000).fill(1), [0, 1]) }, new Uint8Array(1))],
    ["shape-mismatch-bytes", safetensors({ a: entry("F32", [3], [0, 8]) }, new Uint8Array(8))],
    ["dtype-unknown", safetensors({ a: entry("F33", [2], [0, 8]) }, new Uint8Array(8))],
    ["dtype-f8-not-supported", safetensors({ a: entry("F8_E4M3", [8], [0, 8]) }, new Uint8Array(8))],
    ["dtype-missing", safetensors({ a: { shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8))],
    ["dtype-deep", safetensors(`{"a": {"dtype": ${deep(60, '"F32"')}, "shape": [2], "data_offsets": [0, 8]}}`, new Uint8Array(8))],
    ["entry-not-object", safetensors({ a: [1, 2] })],
    ["metadata-not-strings", safetensors({ __metadata__: { format: 1 } })],
    ["metadata-deep", safetensors(`{"__metadata__": {"format": ${deep(5000, '"pt"')}}}`)],
    ["bool-value-2", safetensors({ a: entry("BOOL", [2], [0, 2]) }, new Uint8Array([1, 2]))],
    ["name-200kb", safetensors({ ["n".repeat(200_000)]: entry("U8", [1], [0, 1]) }, new Uint8Array(1))],
  ];
  return cases.map(([name, bytes]) => ({ target: "safetensors", name: `${name}.model.safetensors`, bytes }));
}

function configClassics(): Classic[] {
  const seed = JSON.parse(utf8(targetNamed("config").seeds()[0]!.get("config.json")!)) as Record<string, unknown>;
  const change = (fields: Record<string, unknown>): Uint8Array => text(JSON.stringify({ ...seed, ...fields }));
  const cases: [string, Uint8Array][] = [
    ["layers-1e5", change({ num_hidden_layers: 1e5 })],
    ["layers-1e9", change({ num_hidden_layers: 1e9 })],
    ["layers-257", change({ num_hidden_layers: 257 })],
    ["hidden-16385", change({ hidden_size: 16385, num_attention_heads: 1 })],
    ["heads-257", change({ num_attention_heads: 257, hidden_size: 257 })],
    ["intermediate-65537", change({ intermediate_size: 65537 })],
    ["vocab-2e24-plus-1", change({ vocab_size: 2 ** 24 + 1 })],
    ["positions-65537", change({ max_position_embeddings: 65537 })],
    ["type-vocab-1025", change({ type_vocab_size: 1025 })],
    ["layers-1e308", change({ num_hidden_layers: 1e308 })],
    ["layers-negative", change({ num_hidden_layers: -1 })],
    ["layers-fraction", change({ num_hidden_layers: 1.5 })],
    ["layers-string", change({ num_hidden_layers: "12" })],
    ["layers-null", change({ num_hidden_layers: null })],
    ["layers-deep", text(JSON.stringify({ ...seed, num_hidden_layers: "X" }).replace('"X"', deep(60)))],
    ["hidden-act-deep", text(JSON.stringify({ ...seed, hidden_act: "X" }).replace('"X"', deep(60, '"gelu"')))],
    ["model-type-long", change({ model_type: "r".repeat(50_000) })],
    ["model-type-bert", change({ model_type: "bert" })],
    ["eight-kb-of-brackets", text("[".repeat(8192))],
    ["deep-10000", text(`{"a": ${deep(10_000)}}`)],
    ["not-json", text("{hidden_size: 3")],
    ["not-object", text("[1, 2, 3]")],
    ["empty", new Uint8Array(0)],
    ["invalid-utf8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
    ["truncated", change({}).subarray(0, 40)],
    ["pad-equals-vocab", change({ pad_token_id: seed["vocab_size"] })],
    ["positions-leave-none", change({ max_position_embeddings: 2 })],
    ["hidden-not-multiple-of-heads", change({ hidden_size: 17 })],
    ["eps-zero", change({ layer_norm_eps: 0 })],
    ["decoder", change({ is_decoder: true })],
    ["relative-positions", change({ position_embedding_type: "relative_key" })],
  ];
  return cases.map(([name, bytes]) => ({ target: "config", name: `${name}.config.json`, bytes }));
}

function tokenizerClassics(): Classic[] {
  const seed = targetNamed("vocab-merges").seeds()[0]!;
  const vocab = JSON.parse(utf8(seed.get("vocab.json")!)) as Record<string, number>;
  const merges = utf8(seed.get("merges.txt")!);
  const vocabWith = (extra: Record<string, unknown>): Uint8Array => text(JSON.stringify({ ...vocab, ...extra }));
  const withoutByte = { ...vocab };
  delete withoutByte["Ā"];
  const withoutBos = { ...vocab };
  delete withoutBos["<s>"];
  const vm: [string, string, Uint8Array][] = [
    ["id-16000000", "vocab.json", vocabWith({ far: 16_000_000 })],
    ["id-2e24", "vocab.json", vocabWith({ far: 2 ** 24 })],
    ["id-1e15", "vocab.json", vocabWith({ far: 1e15 })],
    ["id-negative", "vocab.json", vocabWith({ neg: -1 })],
    ["id-fraction", "vocab.json", vocabWith({ frac: 1.5 })],
    ["id-deep", "vocab.json", text(JSON.stringify({ ...vocab, deep: "X" }).replace('"X"', deep(60)))],
    ["ids-shared", "vocab.json", vocabWith({ twin: 5 })],
    ["missing-byte", "vocab.json", text(JSON.stringify(withoutByte))],
    ["missing-bos", "vocab.json", text(JSON.stringify(withoutBos))],
    ["not-object", "vocab.json", text("[1, 2]")],
    ["empty-object", "vocab.json", text("{}")],
    ["eight-kb-of-brackets", "vocab.json", text("[".repeat(8192))],
    ["token-200kb", "vocab.json", vocabWith({ ["t".repeat(200_000)]: 5000 })],
    ["bad-line", "merges.txt", text(`${merges}h  e\n`)],
    ["unknown-symbol", "merges.txt", text(`${merges}h Ω\n`)],
    ["invalid-utf8", "merges.txt", new Uint8Array([...text(merges), 0x68, 0x20, 0xff, 0x0a])],
    ["line-200kb", "merges.txt", text(`${merges}${"x".repeat(200_000)}\n`)],
  ];
  const base = JSON.parse(utf8(targetNamed("tokenizer-json").seeds()[0]!.get("tokenizer.json")!)) as Record<string, unknown>;
  const model = base["model"] as Record<string, unknown>;
  const added = base["added_tokens"] as Record<string, unknown>[];
  const tj = (change: (json: Record<string, unknown>) => void): Uint8Array => {
    const json = structuredClone(base);
    change(json);
    return text(JSON.stringify(json));
  };
  const addToken = (token: Record<string, unknown>) => (j: Record<string, unknown>) => {
    j["added_tokens"] = [...added, token];
  };
  const deepIn = (path: "type" | "merge" | "content" | "unk") => {
    const marker = '"DEEP-MARKER"';
    return text(utf8(tj((j) => {
      const m = j["model"] as Record<string, unknown>;
      if (path === "type") m["type"] = "DEEP-MARKER";
      if (path === "merge") m["merges"] = [...(model["merges"] as unknown[]), "DEEP-MARKER"];
      if (path === "unk") m["unk_token"] = "DEEP-MARKER";
      if (path === "content") j["added_tokens"] = [...added, { id: 500, content: "DEEP-MARKER" }];
    })).replace(marker, deep(60, '"x"')));
  };
  const tjCases: [string, Uint8Array][] = [
    ["added-im-end-loads", tj(addToken({ id: 398, content: "<|im-end|>", special: true }))],
    ["added-regex-characters", tj(addToken({ id: 398, content: "[a-z]+(?:x)\\d$^|{2}./-", special: true }))],
    ["added-reuses-vocab-id", tj(addToken({ id: vocab["he"], content: "<dup>" }))],
    ["added-vocab-token-other-id", tj(addToken({ id: 398, content: "he" }))],
    ["added-two-share-id", tj((j) => (j["added_tokens"] = [...added, { id: 398, content: "<a>" }, { id: 398, content: "<b>" }]))],
    ["added-id-2e9", tj(addToken({ id: 2e9, content: "<big>" }))],
    ["added-id-1e15", tj(addToken({ id: 1e15, content: "<big>" }))],
    ["added-id-not-dense", tj(addToken({ id: 100_000, content: "<far>" }))],
    ["added-content-empty", tj(addToken({ id: 398, content: "" }))],
    ["added-content-deep", deepIn("content")],
    ["added-not-array", tj((j) => (j["added_tokens"] = { id: 1 }))],
    ["model-type-deep", deepIn("type")],
    ["model-type-wordpiece", tj((j) => ((j["model"] as Record<string, unknown>)["type"] = "WordPiece"))],
    ["merge-deep", deepIn("merge")],
    ["merge-number", tj((j) => ((j["model"] as Record<string, unknown>)["merges"] = [7]))],
    ["merge-three-parts", tj((j) => ((j["model"] as Record<string, unknown>)["merges"] = [["a", "b", "c"]]))],
    ["unk-token-deep", deepIn("unk")],
    ["vocab-id-not-dense", tj((j) => ((j["model"] as Record<string, unknown>)["vocab"] = { ...vocab, far: 9_000_000 }))],
    ["normalizer-lowercase", tj((j) => (j["normalizer"] = { type: "Lowercase" }))],
    ["pre-tokenizer-whitespace", tj((j) => (j["pre_tokenizer"] = { type: "Whitespace" }))],
    ["post-processor-bert", tj((j) => (j["post_processor"] = { type: "BertProcessing" }))],
    ["dropout", tj((j) => ((j["model"] as Record<string, unknown>)["dropout"] = 0.1))],
    ["eight-kb-of-brackets", text("[".repeat(8192))],
    ["truncated", tj(() => {}).subarray(0, 200)],
  ];
  const words = "thetexttoken".repeat(20_000);
  const textCases: [string, Uint8Array][] = [
    ["single-word-240kb", text(words)],
    ["invalid-utf8", new Uint8Array([0x68, 0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x20, 0x61])],
    ["many-added-tokens", text("<s>".repeat(50_000))],
    ["many-masks-with-spaces", text(" <mask> ".repeat(20_000))],
    ["whitespace-only", text(" \t\u00a0\u2028".repeat(20_000))],
    ["combining-marks", text(`a${"\u0301".repeat(50_000)}`)],
    ["nul-bytes", new Uint8Array(10_000)],
  ];
  return [
    ...vm.map(([name, file, bytes]) => ({ target: "vocab-merges", name: `${name}.${file}`, bytes })),
    ...tjCases.map(([name, bytes]) => ({ target: "tokenizer-json", name: `${name}.tokenizer.json`, bytes })),
    ...textCases.map(([name, bytes]) => ({ target: "tokenizer-text", name: `${name}.text.txt`, bytes })),
  ];
}

function recordsClassics(): Classic[] {
  const cases: [string, string, Uint8Array][] = [
    ["records-jsonl", "label-deep.input.jsonl", text(`{"text": "a", "label": ${deep(10_000, '"x"')}}\n`)],
    ["records-jsonl", "text-deep.input.jsonl", text(`{"text": ${deep(10_000, '"x"')}}\n`)],
    ["records-jsonl", "line-8kb-of-brackets.input.jsonl", text(`${"[".repeat(8192)}\n`)],
    ["records-jsonl", "not-object.input.jsonl", text("[1]\n")],
    ["records-jsonl", "label-null.input.jsonl", text('{"text": "a", "label": null}\n')],
    ["records-jsonl", "invalid-utf8.input.jsonl", new Uint8Array([...text('{"text": "a'), 0xff, ...text('", "label": 1}\n')])],
    ["records-jsonl", "text-not-string.input.jsonl", text('{"text": {"a": 1}, "label": 1}\n')],
    ["records-csv", "unterminated-quote.input.csv", text('text,label\n"never closed,x\n')],
    ["records-csv", "ragged-row.input.csv", text("text,label\na,b,c\n")],
    ["records-csv", "missing-column.input.csv", text("words,label\na,b\n")],
    ["records-csv", "invalid-utf8.input.csv", new Uint8Array([...text("text,label\na"), 0xfe, ...text(",b\n")])],
    ["records-csv", "quote-in-unquoted.input.csv", text('text,label\na"b,c\n')],
    ["records-txt", "invalid-utf8.input.txt", new Uint8Array([0x61, 0xff, 0x0a, 0xed, 0xa0, 0x80, 0x0a])],
    ["records-txt", "cr-only.input.txt", text("a\rb\rc\r")],
    ["records-txt", "line-200kb.input.txt", text("y".repeat(200_000))],
    ["records-txt", "many-blank-lines.input.txt", text("\n".repeat(100_000))],
  ];
  return cases.map(([target, name, bytes]) => ({ target, name, bytes }));
}

/** A copy of safetensors `bytes` with element 0 of F32 tensor `name` set to `value`. */
function withNaN(bytes: Uint8Array, name: string, value = NaN): Uint8Array {
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(utf8(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: [number, number] }>;
  const out = bytes.slice();
  new DataView(out.buffer).setFloat32(8 + headerLength + header[name]!.data_offsets[0], value, true);
  return out;
}

function modelClassics(): Classic[] {
  const seed = targetNamed("model").seeds()[0]!;
  const config = JSON.parse(utf8(seed.get("config.json")!)) as Record<string, unknown>;
  const weights = seed.get("model.safetensors")!;
  const cases: [string, Uint8Array][] = [
    ["layers-1e5.config.json", text(JSON.stringify({ ...config, num_hidden_layers: 1e5 }))],
    ["layers-1e9.config.json", text(JSON.stringify({ ...config, num_hidden_layers: 1e9 }))],
    ["vocab-smaller-than-tokenizer.config.json", text(JSON.stringify({ ...config, vocab_size: 100 }))],
    ["layers-one-more.config.json", text(JSON.stringify({ ...config, num_hidden_layers: Number(config["num_hidden_layers"]) + 1 }))],
    ["truncated.model.safetensors", weights.subarray(0, weights.length - 100)],
    ["header-only.model.safetensors", weights.subarray(0, 8 + Number(new DataView(weights.buffer, weights.byteOffset).getBigUint64(0, true)))],
    ["not-safetensors.model.safetensors", text("this is not a model")],
    ["nan-embeddings-layernorm.model.safetensors", withNaN(weights, "embeddings.LayerNorm.weight")],
    ["inf-word-embeddings.model.safetensors", withNaN(weights, "embeddings.word_embeddings.weight", Infinity)],
  ];
  return cases.map(([name, bytes]) => ({ target: "model", name, bytes }));
}

function poolingClassics(): Classic[] {
  let nested = '"mean"';
  for (let i = 0; i < 2000; i++) nested = `{"type": "combine", "parts": [${nested}]}`;
  const specs: [string, string][] = [
    ["lstm-16777215", '{"type": "lstm", "hiddenSize": 16777215}'],
    ["lstm-1e5", '{"type": "lstm", "hiddenSize": 1e5}'],
    ["attention-2049", '{"type": "attention", "hiddenSize": 2049}'],
    ["layer-attention-1e9", '{"type": "layer-attention", "hiddenSize": 1e9}'],
    ["gem-p-1e-300", '{"type": "gem", "p": 1e-300}'],
    ["gem-p-1000", '{"type": "gem", "p": 1000}'],
    ["gem-eps-huge", '{"type": "gem", "eps": 1e30}'],
    ["combine-2000-deep", nested],
    ["combine-1000-parts", `{"type": "combine", "parts": [${Array.from({ length: 1000 }, () => '"mean"').join(", ")}]}`],
    ["concat-65-layers", `{"type": "concat", "layers": [${Array.from({ length: 65 }, () => "-1").join(", ")}]}`],
    ["eight-kb-of-brackets", "[".repeat(8192) + "]".repeat(8192)],
    ["hidden-size-deep", `{"type": "lstm", "hiddenSize": ${deep(5000)}}`],
    ["type-deep", `{"type": ${deep(5000, '"mean"')}}`],
    ["option-name-long", `{"type": "mean", "${"o".repeat(100_000)}": 1}`],
  ];
  const params = targetNamed("pooling-params").seeds()[0]!;
  const spec = params.get("spec.json")!;
  const nanParams = (() => {
    const raw = params.get("params.safetensors")!;
    const header = JSON.parse(utf8(raw.subarray(8, 8 + Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true))))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const out = raw.slice();
    const first = Object.entries(header).find(([k, v]) => k !== "__metadata__" && v.dtype === "F32")![1];
    const at = 8 + Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true)) + first.data_offsets[0];
    new DataView(out.buffer).setFloat32(at, NaN, true);
    return out;
  })();
  return [
    ...specs.map(([name, text]) => ({ target: "pooling-spec", name: `${name}.spec.json`, bytes: new TextEncoder().encode(text) })),
    { target: "pooling-params", name: "nan-weight.params.safetensors", bytes: nanParams },
    { target: "pooling-params", name: "spec-lstm-16777215.spec.json", bytes: text('{"type": "lstm", "hiddenSize": 16777215}') },
    { target: "pooling-params", name: "same-spec.spec.json", bytes: spec },
  ];
}

function headClassics(): Classic[] {
  const seed = targetNamed("head-folder").seeds()[0]!;
  const config = JSON.parse(utf8(seed.get("pooling.json")!)) as Record<string, unknown>;
  const change = (fields: Record<string, unknown>): Uint8Array => text(JSON.stringify({ ...config, ...fields }));
  const labels = config["labels"] as Record<string, unknown>;
  const other = targetNamed("head-folder").seeds()[1]!;
  const cases: [string, Uint8Array][] = [
    ["pooling-lstm-16777215.pooling.json", change({ pooling: { type: "lstm", hiddenSize: 16777215 } })],
    ["classes-short.pooling.json", change({ labels: { ...labels, classes: ["a"] } })],
    ["encoder-layers-1e9.pooling.json", change({ encoder: { numLayers: 1e9, hiddenSize: 6 } })],
    ["eight-kb-of-brackets.pooling.json", text("[".repeat(8192))],
    ["max-length-deep.pooling.json", text(JSON.stringify({ ...config, maxLength: "X" }).replace('"X"', deep(60)))],
    ["manifest-bad.pooling.json", change({ files: { "head.safetensors": { bytes: -1, crc32: "zz" } } })],
    ["mixed-folder.head.safetensors", other.get("head.safetensors")!],
    ["mixed-folder.training.json", text('{"epochs": 99}\n')],
    ["not-json.pooling.json", text("{pooling")],
  ];
  const cacheSeed = targetNamed("feature-cache").seeds()[0]!.get("cache.safetensors")!;
  const headerLength = Number(new DataView(cacheSeed.buffer, cacheSeed.byteOffset).getBigUint64(0, true));
  const header = utf8(cacheSeed.subarray(8, 8 + headerLength));
  const cache = (from: string, to: string): Uint8Array => {
    const changed = header.replace(from, to);
    return safetensors(changed.trimEnd(), cacheSeed.subarray(8 + headerLength));
  };
  const caches: [string, Uint8Array][] = [
    ["num-layers-1e9", cache('"numLayers":"4"', '"numLayers":"1e9"')],
    ["hidden-size-huge", cache('"hiddenSize":"6"', '"hiddenSize":"99999999"')],
    ["layers-not-json", cache('"layers":"[1,2,3,4]"', '"layers":"[[[["')],
    ["layers-out-of-range", cache('"layers":"[1,2,3,4]"', '"layers":"[1,99]"')],
    ["first-token-yes", cache('"firstTokenOnly":"true"', '"firstTokenOnly":"yes"')],
  ];
  return [
    ...cases.map(([name, bytes]) => ({ target: "head-folder", name, bytes })),
    ...caches.map(([name, bytes]) => ({ target: "feature-cache", name: `${name}.cache.safetensors`, bytes })),
  ];
}

/** Writes every classic into the corpus folder. */
export function writeClassics(): number {
  const all = [...safetensorsClassics(), ...configClassics(), ...tokenizerClassics(), ...recordsClassics(), ...modelClassics(), ...poolingClassics(), ...headClassics()];
  for (const c of all) {
    mkdirSync(join(CORPUS_DIR, c.target), { recursive: true });
    writeFileSync(join(CORPUS_DIR, c.target, c.name), c.bytes);
  }
  console.log(`wrote ${all.length} classic malformed files under ${CORPUS_DIR}`);
  return all.length;
}
