// Node-only: writing a stream of bytes to a pipe or a file as a well-behaved filter does. Writes are
// gathered into chunks, wait when the reader is slower (backpressure), and go out as soon as the
// producer pauses, so that a downstream reader sees rows while the run goes on. When the reader goes
// away (`… | head -2` closes the pipe), the write fails with EPIPE: that is the end of the job, not an
// error, and becomes an OutputClosedError that the command line ends on quietly.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { EncoderPoolingError } from "../errors.js";
import { assertWritable } from "./files.js";

/** The reader of our output went away (EPIPE): stop, quietly. */
export class OutputClosedError extends EncoderPoolingError {
  override name = "OutputClosedError";
}

/** Bytes gathered before a write. */
const CHUNK_BYTES = 1 << 20;

/** Where bytes go: written in order, in chunks; `flush` sends what is gathered. */
export interface ByteSink {
  write(bytes: Uint8Array | string): Promise<void>;
  flush(): Promise<void>;
}

/** Gathers writes and hands them on in chunks of about 1 MB, or when the event loop next turns. */
abstract class GatheringSink implements ByteSink {
  private parts: Uint8Array[] = [];
  private size = 0;
  private scheduled = false;
  /** The first failure of a write, thrown again by every later write. */
  protected failure: Error | null = null;

  async write(bytes: Uint8Array | string): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    this.parts.push(data);
    this.size += data.length;
    if (this.size >= CHUNK_BYTES) return this.flush();
    if (!this.scheduled) {
      // rows written in one burst leave together, as soon as the producer waits for anything
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush().catch((err: Error) => (this.failure ??= err));
      });
    }
  }

  async flush(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.size === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    await this.send(chunk);
  }

  protected abstract send(chunk: Uint8Array): Promise<void>;
}

/** A sink over a Writable such as process.stdout, with backpressure; EPIPE becomes OutputClosedError. */
export class StreamSink extends GatheringSink {
  constructor(private readonly stream: Writable) {
    super();
    stream.on("error", (err: NodeJS.ErrnoException) => {
      this.failure ??= err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED" ? new OutputClosedError("output closed by its reader") : err;
    });
  }

  protected async send(chunk: Uint8Array): Promise<void> {
    this.check();
    if (this.stream.destroyed || this.stream.writableEnded) throw new OutputClosedError("output closed by its reader");
    const ok = this.stream.write(chunk);
    if (!ok) await this.drained();
    this.check();
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.on("drain", done);
      this.stream.on("error", done);
      this.stream.on("close", done);
    });
  }
}

/** A sink appending to an open file descriptor (synchronous writes: order and position are certain). */
export class FileSink extends GatheringSink {
  constructor(
    readonly fd: number,
    private position: number,
  ) {
    super();
  }

  /** Bytes written to the file so far (after a flush, its length). */
  get length(): number {
    return this.position;
  }

  protected async send(chunk: Uint8Array): Promise<void> {
    for (let done = 0; done < chunk.length; ) done += writeSync(this.fd, chunk, done, chunk.length - done, this.position + done);
    this.position += chunk.length;
  }

  /** Flushes, then asks the OS to put the bytes on disk. */
  async sync(): Promise<void> {
    await this.flush();
    fsyncSync(this.fd);
  }

  /** Writes `bytes` at `position` (a header being finished), outside the appended stream. */
  writeAt(bytes: Uint8Array, position: number): void {
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, position + done);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Opens `path` for writing from `position` (0 truncates it to nothing; more keeps that prefix). */
  static open(path: string, position: number): FileSink {
    return new FileSink(openSync(path, position === 0 ? "w" : "r+"), position);
  }
}

/** A byte output being written: `commit` makes it final, `discard` drops it. */
export interface ByteOutput {
  sink: ByteSink;
  commit(): Promise<void>;
  discard(): void;
}

/**
 * Opens `-` (standard output, as it comes) or a file: a temporary file beside `path`, renamed over it
 * by `commit`, so that a failed run leaves the old file or none, never half a file. An existing file
 * is refused unless `force`.
 */
export function openByteOutput(path: string, options: { force: boolean; stdout?: Writable }): ByteOutput {
  if (path === "-") {
    const sink = new StreamSink(options.stdout ?? process.stdout);
    return { sink, commit: () => sink.flush(), discard: () => undefined };
  }
  assertWritable(path, options.force);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const sink = FileSink.open(temp, 0);
  return {
    sink,
    async commit() {
      await sink.sync();
      sink.close();
      renameSync(temp, path);
    },
    discard() {
      sink.close();
      rmSync(temp, { force: true });
    },
  };
}
