// Node-only: an embeddings output written row by row, so that a long run keeps what it has done.
// Rows go to OUT.partial as they come; now and then the partial file is synced and a small progress
// record OUT.progress.json notes how many rows and bytes of it are complete. Ctrl-C or a crash leaves
// both behind; a resumed run cuts the partial file back to the recorded bytes and goes on from there.
// At the end, .npy and .safetensors get their final header written over the placeholder (the same
// length, see src/formats/embeddings-stream.ts), and OUT.partial is renamed to OUT.
// `-` writes to standard output instead: JSONL rows as they come; .npy and .safetensors through a
// temporary file, since their header (which holds the row count) comes first.
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { EncoderPoolingError, UsageError } from "../errors.js";
import type { RowFields } from "../formats/embeddings.js";
import { npySidecarJson, outputHeader, outputPreamble, outputRow, type StreamedOutput } from "../formats/embeddings-stream.js";
import { assertWritable, writeFileAtomic } from "./files.js";
import { FileSink, StreamSink, type ByteSink } from "./sink.js";

export interface EmbeddingsOutputOptions extends StreamedOutput {
  /** The output file, or `-` for `stdout`. */
  path: string;
  /** Standard output, for `-` (default process.stdout). */
  stdout?: Writable;
  /** Overwrite an existing output, and start over from a partial one. */
  force?: boolean;
  /** Continue OUT.partial from its progress record. */
  resume?: boolean;
  /** Everything that decides the output's bytes (input, flags); a resumed run must bring the same. */
  settings: Record<string, unknown>;
  /** Write NaN and ±Infinity into .npy and .safetensors rows (default false: an error naming the row). */
  allowNonFinite?: boolean;
}

/** The progress record kept beside OUT.partial. */
interface ProgressRecord {
  version: 1;
  rows: number;
  bytes: number;
  /** A hash of the input texts of those rows, so that a resume on other input is refused. */
  input_hash: string;
  settings: Record<string, unknown>;
}

/** OUT.partial: the rows so far. */
export function partialPath(path: string): string {
  return `${path}.partial`;
}

/** OUT.progress.json: how much of OUT.partial is complete. */
export function progressPath(path: string): string {
  return `${path}.progress.json`;
}

/** OUT.json beside a .npy output: its shape and provenance. */
export function sidecarPath(path: string): string {
  return `${path}.json`;
}

/** An output being written. Open it with `EmbeddingsOutput.open`, then write rows, then `finish` (or `stop`). */
export class EmbeddingsOutput {
  private readonly preambleLength: number;
  /** Rows kept from an interrupted run (0 on a fresh start). */
  readonly resumedRows: number;

  private constructor(
    private readonly options: EmbeddingsOutputOptions,
    private readonly sink: ByteSink,
    /** Where rows are written: OUT.partial, a temporary file (stdout .npy/.safetensors), or null (stdout JSONL). */
    private readonly file: { path: string; sink: FileSink } | null,
    /** Rows written (or kept from the run being resumed). */
    public rows: number,
    /** The input hash of the rows kept from the run being resumed ("" for a fresh start). */
    readonly resumedHash: string,
  ) {
    this.preambleLength = outputPreamble(options).length;
    this.resumedRows = rows;
  }

  /**
   * Opens the output: refuses to overwrite without `force`, refuses to drop an interrupted run's rows
   * unless `resume` (keep them) or `force` (start over), and checks that a resumed run has the same settings.
   */
  static async open(options: EmbeddingsOutputOptions): Promise<EmbeddingsOutput> {
    const { path } = options;
    const preamble = outputPreamble(options);
    if (path === "-") {
      if (options.resume === true) throw new UsageError("--resume needs --output FILE: standard output cannot be continued");
      const stdout = new StreamSink(options.stdout ?? process.stdout);
      if (options.format === "jsonl") {
        await stdout.write(preamble);
        return new EmbeddingsOutput(options, stdout, null, 0, "");
      }
      const temp = join(tmpdir(), `encoder-pooling-${process.pid}-${Date.now()}.partial`);
      const sink = FileSink.open(temp, 0);
      await sink.write(preamble);
      return new EmbeddingsOutput(options, sink, { path: temp, sink }, 0, "");
    }
    const force = options.force === true;
    assertWritable(path, force);
    if (options.format === "npy") assertWritable(sidecarPath(path), force);
    const partial = partialPath(path);
    if (options.resume === true) {
      const record = readProgress(path, options.settings);
      const size = statSync(partial).size;
      if (size < record.bytes) throw new EncoderPoolingError(`--resume: ${partial} has ${size} bytes, fewer than the ${record.bytes} its progress record counts: it was changed; start over with --force`);
      truncateSync(partial, record.bytes);
      const sink = FileSink.open(partial, record.bytes);
      return new EmbeddingsOutput(options, sink, { path: partial, sink }, record.rows, record.input_hash);
    }
    if (!force && (existsSync(partial) || existsSync(progressPath(path)))) {
      throw new UsageError(`${partial} is left from an interrupted run: add --resume to continue it, or --force to start over`);
    }
    const sink = FileSink.open(partial, 0);
    const output = new EmbeddingsOutput(options, sink, { path: partial, sink }, 0, "");
    await sink.write(preamble);
    await output.checkpoint("");
    return output;
  }

  /** Appends one row; `row` (its input position) names it in errors. */
  async write(vector: Float32Array, fields: RowFields, row: number): Promise<void> {
    await this.sink.write(outputRow(this.options.format, vector, fields, row, this.options.allowNonFinite === true));
    this.rows++;
  }

  /** Makes the rows written so far survive a crash: syncs OUT.partial, then records its size. */
  async checkpoint(inputHash: string): Promise<void> {
    if (this.file === null || this.options.path === "-") return this.sink.flush();
    await this.file.sink.sync();
    const record: ProgressRecord = { version: 1, rows: this.rows, bytes: this.file.sink.length, input_hash: inputHash, settings: this.options.settings };
    const target = progressPath(this.options.path);
    writeFileSync(`${target}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${target}.tmp`, target);
  }

  /** Completes the output: the final header, the rename (or the copy to stdout), the .npy sidecar. */
  async finish(): Promise<void> {
    await this.sink.flush();
    if (this.file === null) return;
    const header = outputHeader(this.options, this.rows);
    if (header !== null) {
      if (header.length !== this.preambleLength) throw new EncoderPoolingError(`internal: final header of ${header.length} bytes for a ${this.preambleLength}-byte placeholder`);
      this.file.sink.writeAt(header, 0);
    }
    await this.file.sink.sync();
    this.file.sink.close();
    const { path } = this.options;
    if (path === "-") {
      await copyToStream(this.file.path, this.options.stdout ?? process.stdout);
      rmSync(this.file.path, { force: true });
      return;
    }
    renameSync(this.file.path, path);
    rmSync(progressPath(path), { force: true });
    if (this.options.format === "npy") await writeFileAtomic(sidecarPath(path), npySidecarJson(this.rows, this.options.provenance), true);
  }

  /**
   * Ends an unfinished output. OUT.partial and its progress record stay when they hold rows, to be
   * resumed; a run that wrote no row leaves nothing behind (nor does a temporary file for stdout).
   */
  async stop(inputHash: string): Promise<void> {
    if (this.file === null) {
      await this.sink.flush().catch(() => undefined);
      return;
    }
    const { path } = this.options;
    const keep = path !== "-" && this.rows > 0;
    try {
      if (keep) await this.checkpoint(inputHash);
    } finally {
      this.file.sink.close();
      if (!keep) {
        rmSync(this.file.path, { force: true });
        if (path !== "-") rmSync(progressPath(path), { force: true });
      }
    }
  }
}

/** Reads OUT.progress.json and checks that it was written with the same settings. */
function readProgress(path: string, settings: Record<string, unknown>): ProgressRecord {
  const file = progressPath(path);
  if (!existsSync(file) || !existsSync(partialPath(path))) {
    throw new UsageError(`--resume: nothing to resume: ${existsSync(file) ? partialPath(path) : file} not found (run without --resume to start)`);
  }
  let record: ProgressRecord;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as ProgressRecord;
  } catch (err) {
    throw new EncoderPoolingError(`--resume: ${file} is not valid JSON (${(err as Error).message}); start over with --force`);
  }
  if (record.version !== 1 || !Number.isSafeInteger(record.rows) || !Number.isSafeInteger(record.bytes) || typeof record.settings !== "object") {
    throw new EncoderPoolingError(`--resume: ${file} is not a progress record of this version; start over with --force`);
  }
  const keys = [...new Set([...Object.keys(record.settings), ...Object.keys(settings)])];
  const changed = keys.filter((k) => JSON.stringify(record.settings[k]) !== JSON.stringify(settings[k]));
  if (changed.length > 0) {
    const list = changed.map((k) => `${k} was ${JSON.stringify(record.settings[k]) ?? "unset"}, now ${JSON.stringify(settings[k]) ?? "unset"}`);
    throw new UsageError(`--resume: ${path} was started with other settings (${list.join("; ")}); use the same flags, or start over with --force`);
  }
  return record;
}

/** Streams a file to `stream` (stdout) with backpressure; EPIPE ends it as OutputClosedError. */
async function copyToStream(file: string, stream: Writable): Promise<void> {
  const sink = new StreamSink(stream);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) await sink.write(chunk as Buffer);
  await sink.flush();
}
