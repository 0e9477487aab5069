// The text-to-vector pipeline: tokenizer → RoBERTa → pooler → (optional) L2 normalisation.
// Core code: it takes strings and bytes, never paths, so it runs unchanged in browsers and workers.
// Dimension legend: B batch, T tokens, H hidden, L layers, D pooled size, N texts.
import { EncoderPoolingError, InputError, TokenizerError } from "../errors.js";
import { RobertaModel, weightPrecision } from "../encoder/roberta.js";
import { maxSequenceLength, parseRobertaConfig, type RobertaConfig } from "../encoder/config.js";
import { Tokenizer, type Encoding } from "../encoder/tokenizer/index.js";
import { createPooler, poolingDims, type Pooler, type PoolingDims, type PoolingSpec } from "../pooling/index.js";
import { firstNonFinite, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { Backend } from "../tensor/backend.js";
import { checkBackendOptions, sharedBackend, type BackendChoice } from "../tensor/choose-backend.js";
import { bufferSource, readSafetensorsHeader, type ByteSource } from "../encoder/safetensors.js";

/** The files of a Hugging Face model folder, already read into memory. */
export interface ModelBuffers {
  /** config.json, as text or parsed. */
  config: string | object;
  /** model.safetensors: its bytes (any Uint8Array view, a Node Buffer included, or an ArrayBuffer; never
   * modified, viewed rather than copied), or a ByteSource that reads them by range (loadModel's files). */
  weights: Uint8Array | ArrayBuffer | ByteSource;
  /** vocab.json text (with `merges`), or … */
  vocab?: string;
  merges?: string;
  /** … tokenizer.json text. Preferred when both are given, as Hugging Face's fast tokenizers do. */
  tokenizerJson?: string;
  /** A name for error messages, e.g. the folder the files came from. */
  source?: string;
}

export interface LoadOptions {
  /** Where the weights live and the kernels run: "auto" (default: wasm where WebAssembly SIMD works, else js),
   * "wasm" or "js" — one backend per choice and thread count, shared by the models loaded with them — or a
   * Backend made by createBackend. */
  backend?: BackendChoice | Backend;
  /** Threads of the wasm backend; default every core (1 where SharedArrayBuffer is unavailable). */
  threads?: number;
  /** Embedding tables and linear weights in Float32 (default) or half-size ("f16", "bf16"), widened in the kernels. */
  dtype?: "f32" | "f16" | "bf16";
  /** "int8": dynamic int8 quantization of the linear layers. */
  quantize?: "int8";
  /** Receives debug messages, e.g. the checkpoint keys that were ignored (lm_head.*). */
  log?: (message: string) => void;
  /** Load weights holding NaN or ±Infinity, to inspect a broken checkpoint (default false: an error naming the tensor). */
  allowNonFinite?: boolean;
}

/** Options of `EncoderModel.embed`. */
export interface EmbedOptions {
  /** A pooling name (`"mean"`) or a JSON spec (`{ type: "lstm", hiddenSize: 128 }`). Default `"mean"`. */
  pooling?: string | object;
  /** Trained pooler parameters by PyTorch name; without them trainable poolers use their seeded init. */
  params?: Map<string, Tensor<FloatArray>>;
  /** L2-normalise each vector (for cosine similarity by dot product). Default false. */
  normalize?: boolean;
  /** Token limit per text including <s> and </s>. Default and maximum: what the position table allows. */
  maxLength?: number;
  /** Texts per forward pass. Default 32. */
  batchSize?: number;
  /** Cut over-long texts (default, with a warning) or refuse them (false). */
  truncation?: boolean;
  /** Called after each batch with the number of texts done. */
  onProgress?: (done: number, total: number) => void;
  /** Names text i in error messages (the CLI gives `file.txt:7`). Default `text ${i + 1}`. */
  describeText?: (textIndex: number) => string;
  /** Called with each warning and the index of the text it is about, e.g. ("truncated to 512 tokens", 3). */
  onWarning?: (message: string, textIndex: number) => void;
  /**
   * Keep vectors holding NaN or ±Infinity, and load `params` that hold them (for inspecting a broken
   * checkpoint). Default false: such a vector is an error (code EP_NONFINITE) naming the text.
   */
  allowNonFinite?: boolean;
}

/** N vectors of size D, row-major in one Float32Array; `vectors[i]` is a view of row i. */
export interface Embeddings {
  data: Float32Array;
  count: number;
  dim: number;
  vectors: Float32Array[];
}

/** One padded batch as the encoder sees it, and which texts it holds. */
export interface EncodedBatch {
  /** Positions of this batch's texts in the caller's list. */
  indices: number[];
  inputIds: Int32Array; // [B,T]
  attentionMask: Int32Array; // [B,T]
  batchSize: number;
  seqLen: number;
}

/** A loaded encoder with its tokenizer: the object `loadModel` and `loadModelFromBuffers` return. */
export class EncoderModel {
  /** Longest input (in tokens, with <s> and </s>) the position table allows. */
  readonly maxLength: number;
  /** The encoder's size as a pooler sees it: L layers of width H. */
  readonly dims: PoolingDims;

  constructor(
    readonly encoder: RobertaModel,
    readonly tokenizer: Tokenizer,
  ) {
    this.maxLength = maxSequenceLength(encoder.config);
    this.dims = poolingDims(encoder.config);
  }

  get config(): RobertaConfig {
    return this.encoder.config;
  }

  /** Frees the weights from the backend's memory now (else when the model is garbage-collected). */
  dispose(): void {
    this.encoder.dispose();
  }

  /** Tokenizes texts with this model's limits; warnings (truncation, replaced characters) go to `onWarning`. */
  tokenize(texts: string[], options: Pick<EmbedOptions, "maxLength" | "truncation" | "onWarning" | "describeText"> = {}): Encoding[] {
    const maxLength = this.resolveMaxLength(options.maxLength);
    const describe = options.describeText ?? ((i: number) => `text ${i + 1}`);
    return texts.map((text, i) => {
      const encoding = this.tokenizer.encode(text, { maxLength, truncation: true });
      if (encoding.truncated && options.truncation === false) {
        throw new InputError(`${describe(i)}: longer than ${maxLength} tokens (and truncation is off)`);
      }
      if (encoding.replacedInvalid) options.onWarning?.("lone surrogates replaced by U+FFFD", i);
      if (encoding.truncated) options.onWarning?.(`truncated to ${maxLength} tokens`, i);
      return encoding;
    });
  }

  /**
   * Groups encodings into padded batches, longest first, so that texts of similar length share a batch
   * and little compute is spent on padding.
   */
  *batches(encodings: Encoding[], batchSize: number): Generator<EncodedBatch> {
    const order = encodings.map((_, i) => i).sort((a, b) => encodings[b]!.inputIds.length - encodings[a]!.inputIds.length);
    for (let start = 0; start < order.length; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      // a loop, not Math.max(...spread): a batch of 1,000,000 texts overflowed the stack
      let seqLen = 0;
      for (const i of indices) seqLen = Math.max(seqLen, encodings[i]!.inputIds.length);
      const inputIds = new Int32Array(indices.length * seqLen).fill(this.tokenizer.padTokenId);
      const attentionMask = new Int32Array(indices.length * seqLen);
      indices.forEach((textIndex, b) => {
        const ids = encodings[textIndex]!.inputIds;
        for (let t = 0; t < ids.length; t++) {
          inputIds[b * seqLen + t] = ids[t]!;
          attentionMask[b * seqLen + t] = 1;
        }
      });
      yield { indices, inputIds, attentionMask, batchSize: indices.length, seqLen };
    }
  }

  /** Builds the pooler a spec names, sized for this encoder, its kernels on the encoder's backend. */
  createPooler(pooling: string | object = "mean", params?: Map<string, Tensor<FloatArray>>, options: { allowNonFinite?: boolean } = {}): Pooler<PoolingSpec> {
    const backend = this.encoder.backend;
    return createPooler(pooling, this.dims, params === undefined ? { backend } : { parameters: params, allowNonFinite: options.allowNonFinite === true, backend });
  }

  /**
   * Embeds texts: tokenize, batch by length, run the encoder, pool, optionally L2-normalise.
   * Row i of the result belongs to texts[i] whatever the batching.
   * @example
   * const { vectors } = await model.embed(["a cat", "a dog"], { pooling: "mean", normalize: true });
   */
  async embed(texts: string[], options: EmbedOptions = {}): Promise<Embeddings> {
    if (texts.length === 0) throw new InputError("embed: no texts given");
    const pooler = this.createPooler(options.pooling ?? "mean", options.params, { allowNonFinite: options.allowNonFinite === true });
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InputError(`embed: batchSize must be a positive integer, got ${batchSize}`);
    const encodings = this.tokenize(texts, options);
    const dim = pooler.outputSize;
    const data = new Float32Array(texts.length * dim);
    let done = 0;
    for (const batch of this.batches(encodings, batchSize)) {
      const { hiddenStates } = this.encoder.forward(batch);
      // pooled: [B,D]
      const { pooled } = pooler.forward({ hiddenStates, attentionMask: batch.attentionMask });
      batch.indices.forEach((textIndex, b) => {
        const row = pooled.data.subarray(b * dim, (b + 1) * dim);
        if (options.allowNonFinite !== true) checkFiniteRow(row, textIndex, options);
        if (options.normalize) l2Normalize(row);
        data.set(row, textIndex * dim);
      });
      done += batch.batchSize;
      options.onProgress?.(done, texts.length);
    }
    const vectors = Array.from({ length: texts.length }, (_, i) => data.subarray(i * dim, (i + 1) * dim));
    return { data, count: texts.length, dim, vectors };
  }

  private resolveMaxLength(maxLength: number | undefined): number {
    if (maxLength === undefined) return this.maxLength;
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > this.maxLength) {
      throw new InputError(`maxLength must be an integer from 2 to ${this.maxLength} (the position table's limit), got ${maxLength}`);
    }
    return maxLength;
  }
}

/** A pooled vector with NaN or ±Infinity is caught here, before anything is written. */
function checkFiniteRow(row: FloatArray, textIndex: number, options: EmbedOptions): void {
  const bad = firstNonFinite(row);
  if (bad < 0) return;
  const name = options.describeText?.(textIndex) ?? `text ${textIndex + 1}`;
  throw new EncoderPoolingError(
    `${name}: the pooled vector holds ${row[bad]} (element ${bad}): the model's weights, the pooler's parameters or this ` +
      "text's activations are not finite; nothing was written (allowNonFinite, or --allow-nonfinite, keeps such vectors)",
    { code: "EP_NONFINITE" },
  );
}

/** v ← v / ‖v‖₂ in place (a zero vector stays zero). */
export function l2Normalize(v: FloatArray): void {
  let sumSq = 0;
  for (let i = 0; i < v.length; i++) sumSq += v[i]! * v[i]!;
  const norm = Math.sqrt(sumSq);
  if (norm === 0) return;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
}

/**
 * Loads a model from in-memory files, for browsers and workers that fetch their own files.
 * @example
 * const model = await loadModelFromBuffers({ config, weights, vocab, merges });
 */
export async function loadModelFromBuffers(files: ModelBuffers, options: LoadOptions = {}): Promise<EncoderModel> {
  const source = files.source ?? "<buffers>";
  const configJson = typeof files.config === "string" ? files.config : JSON.stringify(files.config);
  weightPrecision(options, "loadModel"); // checked before a backend (and its threads) is started
  // the files in the order a reader meets them: config.json, the tokenizer, then the (large) weights
  const config = parseRobertaConfig(configJson, `${source}/config.json`);
  const tokenizer = loadTokenizer(files, source);
  const weights = files.weights instanceof Uint8Array || files.weights instanceof ArrayBuffer ? bufferSource(files.weights) : files.weights;
  const index = readSafetensorsHeader(weights, `${source}/model.safetensors`);
  const encoder = RobertaModel.fromSafetensors(config, index, { ...options, source, backend: await resolveBackend(options) });
  if (tokenizer.vocabSize > config.vocabSize) {
    encoder.dispose();
    throw new InputError(`${source}: tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`);
  }
  return new EncoderModel(encoder, tokenizer);
}

/** The backend the options name, checked (a Backend object is used as given). */
async function resolveBackend(options: LoadOptions): Promise<Backend> {
  const { backend = "auto", threads } = options;
  if (typeof backend === "object" && backend !== null) return backend;
  checkBackendOptions(backend, threads, "loadModel");
  return sharedBackend(backend, threads === undefined ? {} : { threads });
}

function loadTokenizer(files: ModelBuffers, source: string): Tokenizer {
  if (files.tokenizerJson !== undefined) return Tokenizer.fromTokenizerJson(files.tokenizerJson, { source: `${source}/tokenizer.json` });
  if (files.vocab !== undefined && files.merges !== undefined) {
    return Tokenizer.fromVocabAndMerges(files.vocab, files.merges, { source });
  }
  throw new TokenizerError(`${source}: no tokenizer: give tokenizer.json, or vocab.json and merges.txt`);
}
