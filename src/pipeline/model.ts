// The text-to-vector pipeline: tokenizer → RoBERTa → pooler → (optional) L2 normalisation.
// Core code: it takes strings and bytes, never paths, so it runs unchanged in browsers and workers.
// Dimension legend: B batch, T tokens, H hidden, L layers, D pooled size, N texts.
import { describeValue, EncoderPoolingError, InputError, TokenizerError } from "../errors.js";
import { RobertaModel, weightPrecision } from "../encoder/roberta.js";
import { maxSequenceLength, parseRobertaConfig, type RobertaConfig } from "../encoder/config.js";
import { Tokenizer, type Encoding } from "../encoder/tokenizer/index.js";
import { createPooler, poolingDims, type Pooler, type PoolingDims, type PoolingSpec } from "../pooling/index.js";
import { firstNonFinite, type FloatArray, type Tensor } from "../tensor/tensor.js";
import type { Backend } from "../tensor/backend.js";
import { checkBackendOptions, sharedBackend, type BackendChoice } from "../tensor/choose-backend.js";
import { bufferSource, readSafetensorsHeader, type ByteSource } from "../encoder/safetensors.js";
import { embedWindows, windowSizes, type StreamRow, type WindowOptions } from "./stream.js";
import { ModelTokenizer, type TokenizeOptions } from "./model-tokenizer.js";
import { parseFolderSettings, plainFolderSettings, transformerPath, type FolderFiles, type FolderSettings } from "./folder-settings.js";
import { pacer, throwIfAborted } from "./cooperate.js";

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
  /**
   * The folder's settings files by relative path (modules.json, 1_Pooling/config.json,
   * sentence_bert_config.json, tokenizer_config.json, …; see folderFilesToRead), when it has them.
   */
  folder?: FolderFiles;
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
  /** Receives each folder file or key present but not understood (also kept in `model.folder.warnings`). */
  onWarning?: (message: string) => void;
  /** Load weights holding NaN or ±Infinity, to inspect a broken checkpoint (default false: an error naming the tensor). */
  allowNonFinite?: boolean;
}

/**
 * A trained pooler to embed with: what `loadHead` returns (src/train/trained-head.ts) offers this, so that
 * `model.embed(texts, { head })` gives the vectors the head was trained on.
 */
export interface EmbedHead {
  readonly pooler: Pooler;
  /** The encoder shape the pooler was trained for. */
  readonly dims: PoolingDims;
  /** The token limit it was trained with (the default maxLength when embedding with it). */
  readonly maxLength: number;
  /** Names the head in errors, e.g. its folder. */
  readonly source: string;
}

/** Options of `EncoderModel.embed`. */
export interface EmbedOptions {
  /**
   * A pooling name (`"mean"`) or a JSON spec (`{ type: "lstm", hiddenSize: 128 }`). Default: the model
   * folder's own pooling (a sentence-transformers Pooling module), else `"mean"`.
   */
  pooling?: string | object;
  /** Trained pooler parameters by PyTorch name; without them trainable poolers use their seeded init. */
  params?: Map<string, Tensor<FloatArray>>;
  /** Embed with a trained head's pooler (instead of `pooling` and `params`). */
  head?: EmbedHead;
  /**
   * L2-normalise each vector (for cosine similarity by dot product). Default: true when the model folder
   * has a Normalize module, else false.
   */
  normalize?: boolean;
  /**
   * Token limit per text including <s> and </s>. Default: the head's training limit, else the folder's
   * max_seq_length / model_max_length, else what the position table allows (also the maximum).
   */
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
   * `"sentence_embedding"` (default): one pooled vector per text. `"token_embeddings"`: the last layer's
   * vector of every real token of each text (<s> and </s> included), as sentence-transformers'
   * `output_value="token_embeddings"`; no pooling, head or normalisation applies.
   */
  output?: "sentence_embedding" | "token_embeddings";
  /**
   * Keep vectors holding NaN or ±Infinity, and load `params` that hold them (for inspecting a broken
   * checkpoint). Default false: such a vector is an error (code EP_NONFINITE) naming the text.
   */
  allowNonFinite?: boolean;
  /**
   * Stops the call: checked before the first batch and at every pause, and the promise rejects with an
   * AbortError (code EP_ABORTED) — nothing half-done is returned. embed() yields to the event loop between
   * batches, and inside a batch after a layer once 50 ms have passed, so a page keeps painting and a
   * server keeps serving while it runs.
   */
  signal?: AbortSignal;
}

/** Options of `EncoderModel.embedStream`: those of `embed`, the window, and callbacks that see each record. */
export interface EmbedStreamOptions<R> extends Omit<EmbedOptions, "onProgress" | "describeText" | "onWarning" | "output">, WindowOptions {
  /** Names a text in error messages (the CLI gives `file.txt:7`). Default `text ${index + 1}`. */
  describeText?: (index: number, record: R) => string;
  /** Called with each warning and the text it is about, e.g. ("truncated to 512 tokens", 3, record). */
  onWarning?: (message: string, index: number, record: R) => void;
}

/** Per text, the last layer's vectors of its real tokens: `tokens[i]` is [lengths[i], dim] row-major. */
export interface TokenEmbeddings {
  count: number;
  dim: number;
  tokens: Float32Array[];
  lengths: number[];
  /** The ids of each text's tokens, <s> and </s> included. */
  inputIds: number[][];
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
  /** Token limit used when none is asked for: the folder's (max_seq_length, model_max_length), at most maxLength. */
  readonly defaultMaxLength: number;
  /** The tokenizer with the folder's settings (limits, lowercasing). */
  readonly textTokenizer: ModelTokenizer;

  constructor(
    readonly encoder: RobertaModel,
    readonly tokenizer: Tokenizer,
    /** What the model folder asks for beyond config.json (pooling, normalisation, limits, lowercasing). */
    readonly folder: FolderSettings = plainFolderSettings(),
  ) {
    this.maxLength = maxSequenceLength(encoder.config);
    this.dims = poolingDims(encoder.config);
    this.textTokenizer = new ModelTokenizer(tokenizer, folder, this.maxLength);
    this.defaultMaxLength = this.textTokenizer.defaultMaxLength!;
  }

  get config(): RobertaConfig {
    return this.encoder.config;
  }

  /** Frees the weights from the backend's memory now (else when the model is garbage-collected). */
  dispose(): void {
    this.encoder.dispose();
  }

  /** Tokenizes texts with this model's limits; warnings (truncation, replaced characters) go to `onWarning`. */
  tokenize(texts: string[], options: TokenizeOptions = {}): Encoding[] {
    return this.textTokenizer.tokenize(texts, options);
  }

  /**
   * Groups encodings into padded batches, longest first, so that texts of similar length share a batch
   * and little compute is spent on padding.
   */
  *batches(encodings: readonly { inputIds: ArrayLike<number> }[], batchSize: number): Generator<EncodedBatch> {
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
   * Embeds texts (one string or a list): tokenize, batch by length, run the encoder, pool, optionally
   * L2-normalise. Row i of the result belongs to texts[i] whatever the batching; `[]` gives no rows.
   * With `output: "token_embeddings"`, every real token's vector of each text instead.
   * Between two batches the event loop runs (timers, I/O, a server's other requests) and `signal` is looked at.
   * @example
   * const { vectors } = await model.embed(["a cat", "a dog"], { pooling: "mean", normalize: true });
   * const { vectors: [v] } = await model.embed("a trained pooler's vector", { head: await loadHead("heads/spam") });
   */
  async embed(texts: string | string[], options: EmbedOptions & { output: "token_embeddings" }): Promise<TokenEmbeddings>;
  async embed(texts: string | string[], options?: EmbedOptions): Promise<Embeddings>;
  async embed(input: string | string[], options: EmbedOptions = {}): Promise<Embeddings | TokenEmbeddings> {
    const texts = textList(input);
    if (options.output === "token_embeddings") return this.embedTokens(texts, options);
    if (options.output !== undefined && options.output !== "sentence_embedding") {
      throw new InputError(`embed: output must be "sentence_embedding" or "token_embeddings", got ${describeValue(options.output)}`);
    }
    const pooler = this.poolerFor(options);
    const batchSize = checkBatchSize(options.batchSize);
    const normalize = options.normalize ?? this.folder.normalize;
    throwIfAborted(options.signal, "embed");
    const dim = pooler.outputSize;
    const data = new Float32Array(texts.length * dim);
    const maxLength = options.maxLength ?? (options.head === undefined ? undefined : Math.min(options.head.maxLength, this.maxLength));
    const encodings = this.tokenize(texts, { ...options, ...(maxLength === undefined ? {} : { maxLength }) });
    let done = 0;
    const describe = describeTextOf(options);
    // a new task between two batches, and inside a batch every 50 ms: timers, input and messages (an abort among them) get their turn
    const pauses = pacer(options.signal, () => `embed: after ${done} of ${texts.length} texts`);
    await this.embedTokenized(encodings, pooler, { ...options, normalize, batchSize, describe, inside: pauses.inside }, data, async (n) => {
      done += n;
      options.onProgress?.(done, texts.length);
      if (done < texts.length) await pauses.between();
    });
    const vectors = Array.from({ length: texts.length }, (_, i) => data.subarray(i * dim, (i + 1) * dim));
    return { data, count: texts.length, dim, vectors };
  }

  /**
   * Embeds a stream of texts (or of records with a `text`) of any length in bounded memory: one window
   * of texts at a time is tokenized, sorted by length into batches and embedded, and its rows are
   * yielded in input order as `{ index, vector, record }`. The vector is a view that stays valid.
   * @example
   * for await (const { index, vector, record } of model.embedStream(lines, { pooling: "mean", window: 1024 })) send(record.id, vector);
   */
  embedStream<R extends string | { text: string }>(
    source: AsyncIterable<R> | Iterable<R>,
    options: EmbedStreamOptions<R> = {},
  ): AsyncGenerator<StreamRow<R>> {
    const pooler = this.poolerFor(options);
    const normalize = options.normalize ?? this.folder.normalize;
    const maxLength = options.maxLength ?? (options.head === undefined ? undefined : Math.min(options.head.maxLength, this.maxLength));
    const { batchSize } = windowSizes(options);
    const describe = options.describeText ?? ((i: number) => `text ${i + 1}`);
    const textOf = (r: R): string => (typeof r === "string" ? r : r.text);
    return embedWindows(source, {
      dim: pooler.outputSize,
      // one text at a time, keeping only its ids: the tokens and offsets of an Encoding die young instead
      // of surviving a whole chunk into the old generation (measured: a third of the peak RSS at 10 MB)
      tokenize: (records, first) =>
        records.map((record, i) => {
          const [encoding] = this.tokenize([textOf(record)], {
            ...options,
            ...(maxLength === undefined ? {} : { maxLength }),
            describeText: () => describe(first + i, record),
            onWarning: (message) => options.onWarning?.(message, first + i, record),
          });
          return Int32Array.from(encoding!.inputIds);
        }),
      embed: (ids, out, afterBatch, { records, firstIndex }) =>
        this.embedTokenized(ids.map((inputIds) => ({ inputIds })), pooler, {
          ...options,
          normalize,
          batchSize,
          describe: (i) => describe(firstIndex + i, records[i]!),
        }, out, afterBatch),
    }, options);
  }

  /**
   * Runs encoder and pooler over token-id sequences batch by batch (longest first) and writes row i of
   * out [N,D] for encodings[i]; `afterBatch(texts, tokens)` is awaited after each batch. A vector with
   * NaN or ±Infinity is an error naming its text (`describe(i)`) unless `allowNonFinite`.
   */
  private async embedTokenized(
    encodings: readonly { inputIds: ArrayLike<number> }[],
    pooler: Pooler<PoolingSpec> | Pooler,
    options: {
      normalize?: boolean;
      allowNonFinite?: boolean;
      batchSize: number;
      describe: (textIndex: number) => string;
      /** Called between two layers of a batch: may yield (and stop) when a batch takes long. */
      inside?: () => Promise<void> | void;
    },
    out: Float32Array,
    afterBatch: (texts: number, tokens: number) => Promise<void>,
  ): Promise<void> {
    const dim = pooler.outputSize;
    // A pooler that reads only the last layer gets it in every slot: the L other layers are never copied out
    // of the backend (with the shipped model, 0.8 MB of garbage per batch of 32 × 16 tokens saved; this
    // garbage was most of the streaming embed's memory growth)
    const L = this.dims.numLayers;
    const lastOnly = pooler.reads.layers.every((l) => l === L);
    for (const batch of this.batches(encodings, options.batchSize)) {
      const forward = await this.encoder.forwardAsync(batch, options.inside ?? (() => undefined), { outputHiddenStates: !lastOnly });
      const hiddenStates = "hiddenStates" in forward ? forward.hiddenStates : new Array<Tensor>(L + 1).fill(forward.lastHiddenState);
      // pooled: [B,D]
      const { pooled } = pooler.forward({ hiddenStates, attentionMask: batch.attentionMask });
      let tokens = 0;
      batch.indices.forEach((textIndex, b) => {
        const row = pooled.data.subarray(b * dim, (b + 1) * dim);
        if (options.allowNonFinite !== true) checkFiniteRow(row, textIndex, options.describe);
        if (options.normalize) l2Normalize(row);
        out.set(row, textIndex * dim);
        tokens += encodings[textIndex]!.inputIds.length;
      });
      await afterBatch(batch.batchSize, tokens);
    }
  }

  /**
   * The last layer's vector of every real token of each text (<s> and </s> included): what a pooler
   * starts from, and sentence-transformers' `output_value="token_embeddings"`.
   * @example const { tokens, lengths } = await model.embedTokens(["a cat"]); // tokens[0]: [lengths[0], H]
   */
  async embedTokens(input: string | string[], options: Omit<EmbedOptions, "output"> = {}): Promise<TokenEmbeddings> {
    const texts = textList(input);
    for (const key of ["pooling", "params", "head"] as const) {
      if (options[key] !== undefined) throw new InputError(`embed: token embeddings are the encoder's last layer; ${key} does not apply to them`);
    }
    if (options.normalize === true) throw new InputError("embed: token embeddings are not normalised; normalize does not apply to them");
    const batchSize = checkBatchSize(options.batchSize);
    const encodings = this.tokenize(texts, options);
    const H = this.dims.hiddenSize;
    const tokens = new Array<Float32Array>(texts.length);
    let done = 0;
    for (const batch of this.batches(encodings, batchSize)) {
      // last: [B,T,H]; real tokens come first in each row (padding is on the right)
      const last = this.encoder.forward(batch, { outputHiddenStates: false }).lastHiddenState.data;
      batch.indices.forEach((textIndex, b) => {
        const n = encodings[textIndex]!.inputIds.length;
        const vectors = Float32Array.from(last.subarray(b * batch.seqLen * H, (b * batch.seqLen + n) * H));
        if (options.allowNonFinite !== true) checkFiniteRow(vectors, textIndex, describeTextOf(options), "its token embeddings hold");
        tokens[textIndex] = vectors;
      });
      done += batch.batchSize;
      options.onProgress?.(done, texts.length);
    }
    return { count: texts.length, dim: H, tokens, lengths: encodings.map((e) => e.inputIds.length), inputIds: encodings.map((e) => e.inputIds) };
  }

  /** The pooler `embed` uses: the head's, or the one `pooling` (default: the folder's) names with `params`. */
  private poolerFor(options: Pick<EmbedOptions, "pooling" | "params" | "head" | "allowNonFinite">): Pooler<PoolingSpec> | Pooler {
    const head = options.head;
    if (head === undefined) {
      return this.createPooler(options.pooling ?? this.folder.pooling ?? "mean", options.params, { allowNonFinite: options.allowNonFinite === true });
    }
    if (options.pooling !== undefined || options.params !== undefined) throw new InputError("embed: give a head or a pooling (with its params), not both");
    if (head.dims.numLayers !== this.dims.numLayers || head.dims.hiddenSize !== this.dims.hiddenSize) {
      throw new InputError(
        `embed: ${head.source} was trained for an encoder with ${head.dims.numLayers} layers and hidden size ${head.dims.hiddenSize}, ` +
          `but this model has ${this.dims.numLayers} layers and hidden size ${this.dims.hiddenSize}`,
      );
    }
    return head.pooler;
  }
}

/** How error messages name text i: the caller's describeText, else `text ${i + 1}`. */
function describeTextOf(options: { describeText?: (index: number) => string }): (index: number) => string {
  return options.describeText ?? ((i: number) => `text ${i + 1}`);
}

/** One text or a list of texts, as a list; anything else is an InputError. */
function textList(input: string | string[]): string[] {
  if (typeof input === "string") return [input];
  if (!Array.isArray(input)) throw new InputError(`embed: expected a string or an array of strings, got ${input === null ? "null" : typeof input}`);
  input.forEach((t, i) => {
    if (typeof t !== "string") throw new InputError(`embed: text ${i + 1} is ${t === null ? "null" : typeof t}, expected a string`);
  });
  return input;
}

function checkBatchSize(batchSize = 32): number {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InputError(`embed: batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}

/** A pooled vector (or a text's token vectors) with NaN or ±Infinity is caught here, before anything is written. */
function checkFiniteRow(row: FloatArray, textIndex: number, describe: (textIndex: number) => string, what = "the pooled vector holds"): void {
  const bad = firstNonFinite(row);
  if (bad < 0) return;
  const name = describe(textIndex);
  throw new EncoderPoolingError(
    `${name}: ${what} ${row[bad]} (element ${bad}): the model's weights, the pooler's parameters or this ` +
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
  // an older sentence-transformers folder keeps the model in its Transformer module's folder (0_Transformer/)
  const inner = transformerPath(files.folder?.["modules.json"], `${source}/modules.json`);
  const modelSource = inner === "" ? source : `${source}/${inner}`;
  // the files in the order a reader meets them: config.json, the folder's settings, the tokenizer, then the (large) weights
  const config = parseRobertaConfig(configJson, `${modelSource}/config.json`);
  const folder = parseFolderSettings(files.folder ?? {}, source, config.hiddenSize);
  for (const warning of folder.warnings) options.onWarning?.(warning);
  const tokenizer = loadTokenizer(files, modelSource, folder);
  const weights = files.weights instanceof Uint8Array || files.weights instanceof ArrayBuffer ? bufferSource(files.weights) : files.weights;
  const index = readSafetensorsHeader(weights, `${modelSource}/model.safetensors`);
  const encoder = RobertaModel.fromSafetensors(config, index, { ...options, source: modelSource, backend: await resolveBackend(options) });
  if (tokenizer.vocabSize > config.vocabSize) {
    encoder.dispose();
    throw new InputError(`${source}: tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}`);
  }
  return new EncoderModel(encoder, tokenizer, folder);
}

/** The backend the options name, checked (a Backend object is used as given). */
async function resolveBackend(options: LoadOptions): Promise<Backend> {
  const { backend = "auto", threads } = options;
  if (typeof backend === "object" && backend !== null) return backend;
  checkBackendOptions(backend, threads, "loadModel");
  return sharedBackend(backend, threads === undefined ? {} : { threads });
}

/**
 * The tokenizer of a folder's files (tokenizer.json, or vocab.json + merges.txt) with the folder's
 * tokenizer settings applied (add_prefix_space and the special tokens of tokenizer_config.json and
 * special_tokens_map.json). `source` names the folder in errors.
 */
export function loadTokenizer(files: Pick<ModelBuffers, "tokenizerJson" | "vocab" | "merges">, source: string, folder: FolderSettings = plainFolderSettings()): Tokenizer {
  const overrides = folder.tokenizer;
  if (files.tokenizerJson !== undefined) return Tokenizer.fromTokenizerJson(files.tokenizerJson, { source: `${source}/tokenizer.json`, overrides });
  if (files.vocab !== undefined && files.merges !== undefined) {
    return Tokenizer.fromVocabAndMerges(files.vocab, files.merges, { source, overrides });
  }
  throw new TokenizerError(`${source}: no tokenizer: give tokenizer.json, or vocab.json and merges.txt`);
}
