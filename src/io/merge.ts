// Node-only: putting the outputs of shards (`embed --shard i/n`) back together, in shard order, into
// the file one run over the whole input would have written. JSONL needs nothing but concatenation
// (one provenance line kept, if the shards have them); .npy and .safetensors get one header for the
// total row count, then each shard's rows copied through in bounded memory.
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { EncoderPoolingError, InputError } from "../errors.js";
import type { OutputFormat } from "../formats/embeddings.js";
import { npySidecarJson, safetensorsEmbeddingsHeader, type EmbeddingsProvenance } from "../formats/embeddings-stream.js";
import { npyHeaderFloat32 } from "../formats/npy.js";
import { assertWritable, writeFileAtomic } from "./files.js";
import { sidecarPath } from "./embeddings-output.js";
import { FileSink } from "./sink.js";
import { formatFromOutputPath } from "./writers.js";

/** Where a shard's rows are in its file, and what its header says. */
interface ShardPart {
  path: string;
  /** Byte offset of the first row and the number of bytes of rows. */
  dataStart: number;
  dataBytes: number;
  rows: number;
  dim: number;
  /** The provenance line (JSONL), the metadata (safetensors) or the sidecar (npy): equal in every shard. */
  provenance: string;
}

/**
 * Concatenates shard outputs (same format, same model and pooling) into `output`, atomically; an
 * existing output is refused unless `force`. Returns the total number of rows.
 * @example await mergeEmbeddings(["part0.npy", "part1.npy"], "all.npy", { force: false })
 */
export async function mergeEmbeddings(inputs: string[], output: string, options: { force: boolean }): Promise<number> {
  if (inputs.length === 0) throw new InputError("merge: no inputs given");
  const format = formatFromOutputPath(output);
  for (const input of inputs) {
    if (formatFromOutputPath(input) !== format) throw new InputError(`merge: ${input} is not a .${format} file like ${output}`);
    if (!existsSync(input)) throw new EncoderPoolingError(`merge: file not found: ${input}`);
  }
  assertWritable(output, options.force);
  const parts = inputs.map((path) => readPart(path, format));
  const first = parts[0]!;
  for (const part of parts) {
    if (part.dim !== first.dim) throw new InputError(`merge: ${part.path} has vectors of ${part.dim} values, ${first.path} of ${first.dim}`);
    if (part.provenance !== first.provenance) throw new InputError(`merge: ${part.path} was made differently from ${first.path} (model, pooling or settings): ${part.provenance} vs ${first.provenance}`);
  }
  let rows = parts.reduce((n, p) => n + p.rows, 0);
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.merge.tmp`);
  const sink = FileSink.open(temp, 0);
  try {
    await sink.write(mergedHeader(format, rows, first));
    for (const part of parts) {
      if (part.dataBytes === 0) continue;
      const stream = createReadStream(part.path, { start: part.dataStart, end: part.dataStart + part.dataBytes - 1, highWaterMark: 1 << 20 });
      for await (const chunk of stream) {
        await sink.write(chunk as Buffer);
        if (format === "jsonl") rows += countLines(chunk as Buffer);
      }
    }
    await sink.sync();
    sink.close();
    renameSync(temp, output);
  } catch (err) {
    sink.close();
    rmSync(temp, { force: true });
    throw err;
  }
  if (format === "npy" && first.provenance !== "") {
    const provenance = JSON.parse(first.provenance) as EmbeddingsProvenance;
    await writeFileAtomic(sidecarPath(output), npySidecarJson(rows, provenance), options.force);
  }
  return rows;
}

function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

function mergedHeader(format: OutputFormat, rows: number, first: ShardPart): Uint8Array {
  switch (format) {
    case "jsonl":
      return new TextEncoder().encode(first.provenance === "" ? "" : `${first.provenance}\n`);
    case "npy":
      return npyHeaderFloat32(rows, first.dim);
    case "safetensors":
      return safetensorsEmbeddingsHeader(rows, first.dim, JSON.parse(first.provenance) as Record<string, string>);
  }
}

/** Reads the header of one shard output (never its rows). */
function readPart(path: string, format: OutputFormat): ShardPart {
  const size = readHead(path, 0, 0).size;
  switch (format) {
    case "jsonl": {
      const head = new TextDecoder().decode(readHead(path, 0, Math.min(size, 1 << 16)).bytes);
      const firstLine = head.slice(0, head.indexOf("\n") + 1);
      const hasHeader = firstLine.startsWith('{"provenance":');
      const provenance = hasHeader ? firstLine.slice(0, -1) : "";
      const dataStart = hasHeader ? new TextEncoder().encode(firstLine).length : 0;
      return { path, dataStart, dataBytes: size - dataStart, rows: 0, dim: 0, provenance };
    }
    case "npy": {
      const head = readHead(path, 0, Math.min(size, 4096)).bytes;
      const headerLength = head[8]! | (head[9]! << 8);
      const dict = new TextDecoder("latin1").decode(head.subarray(10, 10 + headerLength));
      const m = /^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d+), (\d+)\), \} *\n$/.exec(dict);
      if (m === null) throw new InputError(`merge: ${path} is not a float32 [N,D] .npy file as embed writes them`);
      const [rows, dim] = [Number(m[1]), Number(m[2])];
      const dataStart = 10 + headerLength;
      if (size !== dataStart + rows * dim * 4) throw new InputError(`merge: ${path}: ${size} bytes, but its header says ${rows} × ${dim} float32 after ${dataStart}`);
      const sidecar = sidecarPath(path);
      const provenance = existsSync(sidecar) ? JSON.stringify({ ...(JSON.parse(readFileSync(sidecar, "utf8")) as object), shape: undefined, dtype: undefined }) : "";
      return { path, dataStart, dataBytes: rows * dim * 4, rows, dim, provenance };
    }
    case "safetensors": {
      const length = Number(new DataView(readHead(path, 0, 8).bytes.buffer).getBigUint64(0, true));
      if (length > Math.min(size - 8, 1 << 24)) throw new InputError(`merge: ${path} is not a safetensors file as embed writes them`);
      const header = JSON.parse(new TextDecoder().decode(readHead(path, 8, length).bytes)) as Record<string, { dtype?: string; shape?: number[] } & object>;
      const tensor = header["embeddings"];
      const [rows, dim] = tensor?.shape ?? [];
      if (tensor?.dtype !== "F32" || rows === undefined || dim === undefined || Object.keys(header).some((k) => k !== "embeddings" && k !== "__metadata__")) {
        throw new InputError(`merge: ${path} does not hold one F32 tensor "embeddings" [N,D] as embed writes it`);
      }
      return { path, dataStart: 8 + length, dataBytes: rows * dim * 4, rows, dim, provenance: JSON.stringify(header["__metadata__"] ?? {}) };
    }
  }
}

/** `length` bytes of a file from `position` (fewer if it ends), and the file's size. */
function readHead(path: string, position: number, length: number): { bytes: Uint8Array; size: number } {
  const fd = openSync(path, "r");
  try {
    const bytes = new Uint8Array(length);
    const n = readSync(fd, bytes, 0, length, position);
    return { bytes: bytes.subarray(0, n), size: fstatSync(fd).size };
  } finally {
    closeSync(fd);
  }
}
