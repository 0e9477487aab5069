// Node-only: a corpus of any size to an embeddings file — the streaming core (model.embedStream) feeding
// a progressive output (embeddings-output.ts), with checkpoints, resume and the provenance of the result.
// This is what `encoder-pooling embed` runs; a program can call it the same way.
import type { Writable } from "node:stream";
import { EncoderPoolingError, InputError } from "../errors.js";
import type { OutputFormat, RowFields } from "../formats/embeddings.js";
import type { EmbeddingsProvenance } from "../formats/embeddings-stream.js";
import type { TextRecord } from "../formats/records.js";
import type { EmbedStreamOptions, EncoderModel } from "../pipeline/model.js";
import { DEFAULT_WINDOW } from "../pipeline/stream.js";
import { EmbeddingsOutput, partialPath } from "./embeddings-output.js";
import { asIoError } from "./files.js";

export interface EmbedCorpusOptions extends EmbedStreamOptions<TextRecord> {
  /** The output file, or `-` for standard output. */
  output: string;
  format: OutputFormat;
  /** Standard output, for `-` (default process.stdout). */
  stdout?: Writable;
  /** Overwrite an existing output, and start over from a partial one. */
  force?: boolean;
  /** Continue an interrupted run from OUT.partial. */
  resume?: boolean;
  /** The model as the user named it, recorded in the provenance (default "default"). */
  model?: string;
  /** The parameters file as the user named it, recorded in the provenance. */
  paramsFile?: string;
  /** The trained head's folder as the user named it (with `head`), recorded in the provenance. */
  headDir?: string;
  /** The input field of the records' ids: JSONL rows carry the id under this name. */
  idField?: string;
  /** JSONL rows carry the text (default true). */
  includeText?: boolean;
  /** JSONL output starts with a provenance line. */
  jsonlHeader?: boolean;
  /** What identifies the input (path, shard, format, fields), kept for a resumed run to compare. */
  input?: Record<string, unknown>;
  /** An input without any text is fine (a shard may hold none). Default false: an error. */
  allowEmpty?: boolean;
  /** Seconds between checkpoints (default 2). */
  checkpointSeconds?: number;
}

export interface EmbedCorpusResult {
  /** Rows in the output, including those kept from an interrupted run. */
  rows: number;
  /** Rows kept from the interrupted run that this one continued. */
  resumedRows: number;
  provenance: EmbeddingsProvenance;
}

/** Stopped by the caller's signal (Ctrl-C); the rows written so far are kept for --resume. */
export class InterruptedError extends EncoderPoolingError {
  override name = "InterruptedError";
}

/**
 * Embeds `records` into `options.output` in bounded memory, in input order. JSONL and .npy rows go to
 * OUT.partial as they come; an interruption (the signal, a crash) keeps them, and `resume: true` goes
 * on from the last checkpoint and writes exactly the file an uninterrupted run would have written.
 * @example
 * const input = openRecordStream("corpus.jsonl", { idField: "id" });
 * await embedCorpus(model, input.records, { output: "vectors.npy", format: "npy", pooling: "mean", window: 2048 });
 */
export async function embedCorpus(
  model: EncoderModel,
  records: AsyncIterable<TextRecord> | Iterable<TextRecord>,
  options: EmbedCorpusOptions,
): Promise<EmbedCorpusResult> {
  return runCorpus(model, records, options).catch((err: unknown) => {
    throw asIoError(err);
  });
}

async function runCorpus(
  model: EncoderModel,
  records: AsyncIterable<TextRecord> | Iterable<TextRecord>,
  options: EmbedCorpusOptions,
): Promise<EmbedCorpusResult> {
  // the same defaults as model.embedStream: a head's pooler and token limit, else the folder's own settings
  const { head } = options;
  const pooler = head?.pooler ?? model.createPooler(options.pooling ?? model.folder.pooling ?? "mean", options.params, { allowNonFinite: options.allowNonFinite === true });
  const provenance: EmbeddingsProvenance = {
    model: options.model ?? "default",
    pooling: pooler.spec,
    ...(options.paramsFile === undefined ? {} : { params: options.paramsFile }),
    ...(head === undefined ? {} : { head: options.headDir ?? head.source }),
    normalize: options.normalize ?? model.folder.normalize,
    max_length: options.maxLength ?? (head === undefined ? model.defaultMaxLength : Math.min(head.maxLength, model.maxLength)),
    dim: pooler.outputSize,
  };
  const includeText = options.includeText ?? true;
  const settings = {
    ...options.input,
    format: options.format,
    provenance,
    truncation: options.truncation ?? true,
    window: options.window ?? DEFAULT_WINDOW,
    batch_size: options.batchSize ?? 32,
    // the backend decides the last bits of a row (wasm and js differ by ~1e-7): a resume must keep it
    backend: model.encoder.backend.name,
    id_field: options.idField ?? null,
    text: includeText,
    jsonl_header: options.jsonlHeader === true,
  };
  const out = await EmbeddingsOutput.open({ path: options.output, format: options.format, provenance, jsonlHeader: options.jsonlHeader, stdout: options.stdout, force: options.force, resume: options.resume, settings, allowNonFinite: options.allowNonFinite === true });
  const resumedRows = out.resumedRows;
  const hash = new InputHash();

  // Records before the resume point are hashed as they stream past, and must match the interrupted run's.
  async function* checked(): AsyncGenerator<TextRecord> {
    for await (const record of records) {
      if (hash.count < resumedRows) {
        hash.add(record);
        if (hash.count === resumedRows && hash.hex() !== out.resumedHash) {
          throw new InputError(`--resume: the input differs from the interrupted run: its first ${resumedRows} texts are not the ones embedded in ${partialPath(options.output)}`);
        }
      }
      yield record;
    }
    if (hash.count < resumedRows) throw new InputError(`--resume: the input has ${hash.count} texts, but the interrupted run had embedded ${resumedRows} already`);
  }

  const everyMs = (options.checkpointSeconds ?? 2) * 1000;
  let lastCheckpoint = Date.now();
  try {
    for await (const { index, vector, record } of model.embedStream(checked(), { ...options, skip: resumedRows })) {
      await out.write(vector, rowFields(record, options.idField, includeText), index);
      hash.add(record);
      if (Date.now() - lastCheckpoint >= everyMs) {
        await out.checkpoint(hash.hex());
        lastCheckpoint = Date.now();
      }
    }
    if (out.rows === 0 && options.allowEmpty !== true) throw new InputError("no texts in the input");
    await out.finish();
  } catch (err) {
    // with no new row the hash may hold a prefix that failed its check: keep the recorded one
    await out.stop(out.rows === resumedRows ? out.resumedHash : hash.hex());
    if (options.signal?.aborted === true) {
      const kept = options.output === "-" ? "" : `; ${partialPath(options.output)} keeps them: run the same command with --resume to go on`;
      throw new InterruptedError(`interrupted after ${out.rows} rows${kept}`);
    }
    throw err;
  }
  return { rows: out.rows, resumedRows, provenance };
}

function rowFields(record: TextRecord, idField: string | undefined, includeText: boolean): RowFields {
  return {
    ...(idField === undefined ? {} : { id: { field: idField, value: record.id } }),
    ...(includeText ? { text: record.text } : {}),
  };
}

/**
 * A running hash of input texts (and ids): two 32-bit FNV-1a lanes with different offsets, over the
 * UTF-16 code units. Not cryptographic: it tells "the same input" from "another input" for --resume.
 */
class InputHash {
  count = 0;
  private a = 0x811c9dc5;
  private b = 0x050c5d1f;

  /** Hashes `${text}\u0000${JSON.stringify(id ?? null)}\n`, part by part (no copy of a long text). */
  add(record: TextRecord): void {
    this.mix(record.text);
    this.mix(`\u0000${JSON.stringify(record.id ?? null)}\n`);
    this.count++;
  }

  private mix(s: string): void {
    let { a, b } = this;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    this.a = a;
    this.b = b;
  }

  hex(): string {
    const h = (x: number): string => (x >>> 0).toString(16).padStart(8, "0");
    return `${h(this.a)}${h(this.b)}:${this.count}`;
  }
}
