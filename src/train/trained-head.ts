// A trained head with its encoder, ready to use: `head.predict(texts)` for labels or values,
// `head.embed(texts)` (or `model.embed(texts, { head })`) for the vectors of its trained pooler, and
// `head.toFiles()` for the three files of its folder. `loadHead(dir)` in Node returns one
// (src/io/trained-head.ts); in a browser, `TrainedHead.fromFiles(files, model)`.
// Legend: N texts, D pooled size, k head outputs.
import type { EmbedHead, EmbedOptions, EncoderModel, Embeddings } from "../pipeline/model.js";
import type { Pooler, PoolingDims } from "../pooling/pooler.js";
import type { PoolingSpec } from "../pooling/registry.js";
import type { FloatArray } from "../tensor/tensor.js";
import { headFiles, loadHeadFiles, type HeadConfig, type HeadFolder } from "./head-folder.js";
import type { Head } from "./heads/index.js";
import type { LabelEncoder, Prediction } from "./labels.js";
import { trainableParameters } from "./step.js";

/** Options of `predict` and `logits`: how the texts are read (the token limit is the head's). */
export type PredictOptions = Pick<EmbedOptions, "batchSize" | "truncation" | "onProgress" | "describeText" | "onWarning">;

export class TrainedHead implements EmbedHead {
  constructor(
    /** The encoder the head runs on. */
    readonly model: EncoderModel,
    /** The head's pooling.json. */
    readonly config: HeadConfig,
    readonly pooler: Pooler<PoolingSpec>,
    readonly head: Head,
    readonly labels: LabelEncoder,
    /** Names the head in errors: its folder, or "<head>". */
    readonly source: string,
    /** The text of training.json, kept for `toFiles` (undefined when the folder had none). */
    readonly training?: string,
  ) {}

  /**
   * Builds a head from its files (pooling.json, head.safetensors), for `model`, its pooler and head on the
   * model's backend; a model of another hidden size or layer count is refused.
   * @example const head = TrainedHead.fromFiles({ "pooling.json": text, "head.safetensors": bytes }, model, "heads/spam");
   */
  static fromFiles(files: HeadFolder, model: EncoderModel, source = "<head>", modelName = "the given model"): TrainedHead {
    const { config, pooler, head, labels } = loadHeadFiles(files, model.dims, { dir: source, model: modelName, backend: model.encoder.backend });
    return new TrainedHead(model, config, pooler, head, labels, source, files["training.json"]);
  }

  /** The encoder shape the head was trained for. */
  get dims(): PoolingDims {
    return this.config.encoder;
  }

  /** The token limit it was trained with, at most the model's. */
  get maxLength(): number {
    return Math.min(this.config.maxLength, this.model.maxLength);
  }

  /** The vectors of the head's trained pooler (what its head reads), one per text. */
  embed(texts: string | string[], options: Omit<EmbedOptions, "head" | "pooling" | "params" | "output"> = {}): Promise<Embeddings> {
    return this.model.embed(texts, { ...options, head: this });
  }

  /** The head's outputs [N,k] for texts, in evaluation mode (no dropout): logits, or standardised values for regression. */
  async logits(texts: string | string[], options: PredictOptions = {}): Promise<{ data: FloatArray; count: number; outputs: number }> {
    // the head was trained on the pooler's raw vectors: never normalised, whatever the folder says
    const pooled = await this.embed(texts, { ...options, normalize: false });
    const k = this.head.outputSize;
    const N = pooled.count;
    const batch = 256;
    const data = new Float32Array(N * k);
    for (let start = 0; start < N; start += batch) {
      const n = Math.min(batch, N - start);
      const x = { data: pooled.data.subarray(start * pooled.dim, (start + n) * pooled.dim), shape: [n, pooled.dim] };
      data.set(this.head.forward(x).logits.data, start * k);
    }
    return { data, count: N, outputs: k };
  }

  /**
   * Predictions for texts, in order: `{ label, probabilities }` (classification), `{ value }`
   * (regression, in the targets' own units) or `{ labels, probabilities }` (multilabel).
   * @example const [p] = await head.predict("Win a prize now!"); // { label: "spam", probabilities: { ham: 0.1, spam: 0.9 } }
   */
  async predict(texts: string | string[], options: PredictOptions = {}): Promise<Prediction[]> {
    return this.labels.decode((await this.logits(texts, options)).data);
  }

  /** The files of this head's folder, with its current weights (F32); training.json as it was read ("{}" when absent). */
  toFiles(): Required<HeadFolder> {
    const state = trainableParameters(this.pooler, this.head);
    const files = headFiles(this.config, state, {});
    return this.training === undefined ? files : { ...files, "training.json": this.training };
  }
}
