// The parity case that every runtime runs (bundled with the core by esbuild, see harness.ts): load the
// shipped model, embed the same texts with several poolers, and return the vectors as plain arrays.
// JSON carries them exactly: a float32 widened to a double prints and parses back to the same value.
import {
  createEmbeddingWorker, loadModelFromBuffers, loadModelFromUrl, type EmbedOptions, type Embeddings, type EncoderModel,
  type LoadOptions, type ModelBuffers, type WorkerModel,
} from "../../src/index.js";

export const TEXTS = [
  "The cat sat on the mat.",
  "A dog barked at the mailman, twice, then slept.",
  "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich — naïve café, 東京, 🐈‍⬛!",
  "short",
  "Pooling turns the hidden states of every token into one vector. ".repeat(4),
];

/** One embedding call per case, batches of 2 so that padding is exercised. */
export const CASES: Record<string, EmbedOptions> = {
  cls: { pooling: "cls" },
  mean: { pooling: "mean" },
  "max, normalized": { pooling: "max", normalize: true },
  "mean-max": { pooling: "mean-max" },
  attention: { pooling: "attention" },
  "weighted-layer": { pooling: "weighted-layer" },
  lstm: { pooling: { type: "lstm", hiddenSize: 32 } },
  gem: { pooling: "gem" },
  "concat[-1,-2]": { pooling: { type: "concat", layers: [-1, -2] } },
};

/** Case label → one vector (as a plain array) per text. */
export type Vectors = Record<string, number[][]>;

/** What a runtime computed: the vectors, and the backend "auto" chose there (`wasm×2`, `js×1`). */
export interface ParityResult {
  backend: string;
  vectors: Vectors;
}

/** What a host sends back: which runtime it is, the backend, and the vectors. */
export interface ParityReport extends ParityResult {
  runtime: string;
}

/** What embeds: an EncoderModel, or the EmbeddingWorker that runs one in a worker. */
interface Embedder {
  embed(texts: string[], options: EmbedOptions): Promise<Embeddings>;
}

export async function embedCases(model: EncoderModel): Promise<ParityResult> {
  const { backend } = model.encoder;
  return embedCasesWith(model, `${backend.name}×${backend.threads}`);
}

async function embedCasesWith(embedder: Embedder, backend: string): Promise<ParityResult> {
  const vectors: Vectors = {};
  for (const [label, options] of Object.entries(CASES)) {
    const { vectors: got } = await embedder.embed(TEXTS, { ...options, batchSize: 2 });
    vectors[label] = got.map((v) => Array.from(v));
  }
  return { backend, vectors };
}

/** The case through `createEmbeddingWorker`: the model runs in a module worker started from `workerUrl`. */
export async function parityThroughWorker(model: WorkerModel, workerUrl: URL): Promise<ParityResult> {
  const embedder = await createEmbeddingWorker(model, { worker: workerUrl, tokenizer: "vocab.json+merges.txt" });
  try {
    return await embedCasesWith(embedder, embedder.backend);
  } finally {
    embedder.terminate();
  }
}

/** The case through `loadModelFromBuffers`: the files already in memory. */
export async function parityFromBuffers(files: ModelBuffers, options: LoadOptions = {}): Promise<ParityResult> {
  return embedCases(await loadModelFromBuffers({ source: "weights/default", ...files }, options));
}

/** The model's files fetched into memory by the runtime itself (a page or a worker), for `parityFromBuffers`. */
export async function fetchModelBuffers(baseUrl: string): Promise<ModelBuffers> {
  const get = async (name: string): Promise<Response> => {
    const response = await fetch(`${baseUrl}/${name}`);
    if (!response.ok) throw new Error(`${baseUrl}/${name}: HTTP ${response.status}`);
    return response;
  };
  const [config, weights, vocab, merges] = await Promise.all([
    get("config.json").then((r) => r.text()),
    get("model.safetensors").then((r) => r.arrayBuffer()),
    get("vocab.json").then((r) => r.text()),
    get("merges.txt").then((r) => r.text()),
  ]);
  return { config, weights, vocab, merges };
}

/** The case through `loadModelFromUrl`: the runtime fetches the folder itself. */
export async function parityFromUrl(baseUrl: string): Promise<ParityResult> {
  return embedCases(await loadModelFromUrl(baseUrl, { tokenizer: "vocab.json+merges.txt" }));
}
