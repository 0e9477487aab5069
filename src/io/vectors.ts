// Node-only: the rows of a vectors file written by `embed` (.jsonl, .npy, .safetensors), streamed one
// row at a time so that `similar` searches a file of any length in constant memory (.jsonl line by line,
// .npy a row at a time; .safetensors is read whole).
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { parseSafetensors, toFloat32Array } from "../encoder/safetensors.js";
import { InputError, UsageError } from "../errors.js";
import { EMBEDDINGS_TENSOR } from "../formats/embeddings.js";
import { NPY_PREAMBLE, parseNpyHeader, parseVectorLine, type VectorRow } from "../formats/vectors.js";
import { readBytes } from "./files.js";

/** One row of a vectors file: its position (0-based), the line it came from (1-based), its vector and text. */
export interface StoredVector extends VectorRow {
  index: number;
  line: number;
}

/**
 * The rows of a vectors file in order, streamed. The format comes from the extension.
 * @example for await (const { index, vector, text } of readVectors("vectors.jsonl")) …
 */
export async function* readVectors(path: string): AsyncGenerator<StoredVector> {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl") yield* jsonlRows(path);
  else if (ext === ".npy") yield* npyRows(path);
  else if (ext === ".safetensors") yield* safetensorsRows(path);
  else throw new UsageError(`${path}: cannot tell the vectors format from the extension "${ext}"; expected .jsonl, .npy or .safetensors (as embed writes)`);
}

async function* jsonlRows(path: string): AsyncGenerator<StoredVector> {
  await assertReadable(path);
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    yield { ...parseVectorLine(text, `${path}:${line}`), index: index++, line };
  }
}

async function* npyRows(path: string): AsyncGenerator<StoredVector> {
  await assertReadable(path);
  const file = await open(path, "r");
  let layout: ReturnType<typeof parseNpyHeader>;
  let size: number;
  try {
    size = (await file.stat()).size;
    const preamble = new Uint8Array(NPY_PREAMBLE);
    await file.read(preamble, 0, NPY_PREAMBLE, 0);
    const headerLength = preamble[8]! | (preamble[9]! << 8);
    const head = new Uint8Array(NPY_PREAMBLE + headerLength);
    await file.read(head, 0, head.length, 0);
    layout = parseNpyHeader(head, path);
  } finally {
    await file.close();
  }
  const { rows, cols, dataOffset } = layout;
  if (size !== dataOffset + rows * cols * 4) throw new InputError(`${path}: the header says [${rows},${cols}] float32, but the file holds ${size - dataOffset} data bytes`);
  const rowBytes = cols * 4;
  let pending = new Uint8Array(0);
  let index = 0;
  for await (const chunk of createReadStream(path, { start: dataOffset })) {
    const joined = new Uint8Array(pending.length + (chunk as Buffer).length);
    joined.set(pending);
    joined.set(chunk as Buffer, pending.length);
    let at = 0;
    for (; at + rowBytes <= joined.length; at += rowBytes) {
      const view = new DataView(joined.buffer, joined.byteOffset + at, rowBytes);
      const vector = Float32Array.from({ length: cols }, (_, d) => view.getFloat32(4 * d, true));
      yield { vector, index, line: index + 1 };
      index++;
    }
    pending = joined.slice(at);
  }
}

async function* safetensorsRows(path: string): AsyncGenerator<StoredVector> {
  const { tensors } = parseSafetensors(await readBytes(path, "vectors"), path);
  const t = tensors.get(EMBEDDINGS_TENSOR);
  if (t === undefined || t.shape.length !== 2) throw new InputError(`${path}: expected a tensor "${EMBEDDINGS_TENSOR}" [N,D], as \`embed\` writes`);
  const [rows, cols] = t.shape as [number, number];
  const data = toFloat32Array(t, path, EMBEDDINGS_TENSOR);
  for (let i = 0; i < rows; i++) yield { vector: data.subarray(i * cols, (i + 1) * cols), index: i, line: i + 1 };
}

/** A file that cannot be opened fails here with readBytes' error, which names it and says why. */
async function assertReadable(path: string): Promise<void> {
  try {
    await (await open(path, "r")).close();
  } catch {
    await readBytes(path, "vectors");
  }
}
