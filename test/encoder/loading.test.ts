// Loading model.safetensors without copies (issues 8, 10, 11): from any Uint8Array view — a pooled Node
// Buffer, a sub-view, an unaligned offset — and from a file read by range, header first, each tensor's
// bytes read once, files over 2 GiB included (a sparse file: no disk, no memory spent on the padding).
import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SafetensorsError } from "../../src/errors.js";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { initRobertaWeights } from "../../src/encoder/init.js";
import { RobertaModel, type RobertaInputs } from "../../src/encoder/roberta.js";
import {
  bufferSource, parseSafetensors, readSafetensorsHeader, serializeSafetensors, tensorBytes, typedElements, type ByteSource,
} from "../../src/encoder/safetensors.js";
import { openFileSource } from "../../src/io/file-source.js";
import { loadModel } from "../../src/io/load-model.js";
import { loadModelFromBuffers } from "../../src/pipeline/model.js";
import { Rng } from "../../src/tensor/random.js";

const work = mkdtempSync(join(tmpdir(), "loading-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A model small enough (< 4 KB) that Buffer.from puts it in Node's shared 8 KB pool.
const TINY_CONFIG = {
  hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 8, hidden_act: "gelu",
  layer_norm_eps: 1e-5, max_position_embeddings: 8, type_vocab_size: 1, pad_token_id: 1, vocab_size: 12,
};
const tinyConfig = parseRobertaConfig(TINY_CONFIG, "tiny");
const tinyBytes = serializeSafetensors(
  new Map([...initRobertaWeights(tinyConfig, new Rng(5), { pooler: true, std: 0.5 })].map(([k, t]) => [k, { dtype: "F32" as const, ...t }])),
);
const tinyInputs: RobertaInputs = {
  inputIds: Int32Array.from([0, 5, 7, 2, 0, 9, 2, 1]), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]), batchSize: 2, seqLen: 4,
};

function forward(weights: Uint8Array | ArrayBuffer | ByteSource): Float32Array[] {
  const out = RobertaModel.load(JSON.stringify(TINY_CONFIG), weights).forward(tinyInputs);
  return [...out.hiddenStates.map((h) => h.data), out.poolerOutput!.data];
}

/** `bytes` placed `offset` bytes into a larger Node Buffer, returned as a Buffer view of exactly them. */
function bufferAt(bytes: Uint8Array, offset: number): Buffer {
  const big = Buffer.alloc(offset + bytes.length + 13);
  big.set(bytes, offset);
  return big.subarray(offset, offset + bytes.length);
}

describe("model bytes from any Uint8Array view (issue 11)", () => {
  const reference = forward(tinyBytes);

  it("a pooled Node Buffer, whose .buffer is the whole shared pool, loads the same weights", () => {
    const pooled = Buffer.from(tinyBytes);
    expect(tinyBytes.length).toBeLessThan(Buffer.poolSize / 2);
    expect(pooled.buffer.byteLength, "the Buffer really sits in the pool").toBe(Buffer.poolSize);
    expect(forward(pooled)).toEqual(reference);
    const parsed = parseSafetensors(pooled, "pooled");
    const plain = parseSafetensors(tinyBytes, "plain");
    for (const [name, t] of plain.tensors) expect(parsed.tensors.get(name)!.data, name).toEqual(t.data);
  });

  it("a sub-view at an unaligned offset (Buffer and plain Uint8Array) and an ArrayBuffer load the same weights", () => {
    for (const offset of [1, 3, 4, 8]) {
      expect(forward(bufferAt(tinyBytes, offset)), `Buffer at ${offset}`).toEqual(reference);
      const plain = new Uint8Array(offset + tinyBytes.length);
      plain.set(tinyBytes, offset);
      expect(forward(plain.subarray(offset)), `Uint8Array at ${offset}`).toEqual(reference);
    }
    expect(forward(tinyBytes.slice().buffer)).toEqual(reference);
  });

  it("the caller's bytes are never modified", () => {
    const view = bufferAt(tinyBytes, 3);
    const copy = Uint8Array.from(view);
    forward(view);
    expect(Uint8Array.from(view)).toEqual(copy);
  });

  it("loadModelFromBuffers: Buffer sub-views at unaligned offsets embed exactly like a fresh Uint8Array", async () => {
    const dir = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
    const text = (name: string): string => readFileSync(join(dir, name), "utf8");
    const bytes = new Uint8Array(readFileSync(join(dir, "model.safetensors")));
    const files = { config: text("config.json"), vocab: text("vocab.json"), merges: text("merges.txt") };
    const texts = ["a short text", "and another, longer one"];
    const { data: expected } = await (await loadModelFromBuffers({ ...files, weights: bytes }, { backend: "js" })).embed(texts);
    for (const offset of [1, 2, 5]) {
      const model = await loadModelFromBuffers({ ...files, weights: bufferAt(bytes, offset) }, { backend: "js" });
      expect((await model.embed(texts)).data, `offset ${offset}`).toEqual(expected);
    }
  });

  it("a tensor's elements are checked against its byte length wherever they are cut out", () => {
    expect(() => typedElements(new Uint8Array(10), "F32", 3, "x.safetensors: tensor \"a\"")).toThrow(
      `x.safetensors: tensor "a": F32 data holds 10 bytes, 3 elements need 12`,
    );
    const index = readSafetensorsHeader(bufferSource(tinyBytes), "tiny");
    const info = index.tensors.get("pooler.dense.bias")!;
    expect(() => tensorBytes(index, info, 2, 3)).toThrow(SafetensorsError);
  });
});

/** A ByteSource over a file that records every read, and never offers views. */
function recordingSource(path: string): ByteSource & { reads: [number, number][]; close(): void } {
  const file = openFileSource(path, "test");
  const reads: [number, number][] = [];
  return {
    byteLength: file.byteLength,
    reads,
    read(dst, position) {
      reads.push([position, position + dst.length]);
      file.read(dst, position);
    },
    view: () => null,
    close: () => file.close(),
  };
}

describe("header first, then each tensor by range (issue 10)", () => {
  it("every byte of the file is read exactly once, header first, and no read is larger than the largest tensor", () => {
    const path = join(work, "tiny.safetensors");
    const fd = openSync(path, "w");
    writeSync(fd, tinyBytes);
    closeSync(fd);
    const source = recordingSource(path);
    expect(forward(source)).toEqual(forward(tinyBytes));
    source.close();
    const [first, second] = source.reads;
    expect(first).toEqual([0, 8]);
    const headerLength = Number(new DataView(tinyBytes.buffer).getBigUint64(0, true));
    expect(second).toEqual([8, 8 + headerLength]);
    const sorted = [...source.reads].sort((a, b) => a[0] - b[0]);
    let cursor = 0;
    for (const [begin, end] of sorted) {
      expect(begin, "no byte read twice, none skipped").toBe(cursor);
      cursor = end;
    }
    expect(cursor).toBe(tinyBytes.length);
  });

  it("a file claiming a huge header is refused after reading 8 bytes", () => {
    const path = join(work, "huge-header.safetensors");
    const fd = openSync(path, "w");
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, 150_000_000n, true);
    writeSync(fd, prefix);
    ftruncateSync(fd, 200_000_000); // sparse: the claim fits in the file
    closeSync(fd);
    const source = recordingSource(path);
    expect(() => readSafetensorsHeader(source, path)).toThrow(`${path}: header length 150000000 exceeds the 100000000-byte limit`);
    expect(source.reads).toEqual([[0, 8]]);
    source.close();
  });

  it("a checkpoint over 2 GiB loads (an ignored 2.1 GB lm_head tensor first, the encoder's tensors after it)", async () => {
    const tinyDir = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
    const dir = join(work, "big-model");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    for (const name of ["config.json", "vocab.json", "merges.txt"]) copyFileSync(join(tinyDir, name), join(dir, name));
    const small = new Uint8Array(readFileSync(join(tinyDir, "model.safetensors")));
    const index = readSafetensorsHeader(bufferSource(small), "small");
    const BIG = 2 ** 31 + 4096; // bytes of the ignored tensor, all zeros, never read
    const header: Record<string, unknown> = { "lm_head.decoder.weight": { dtype: "U8", shape: [BIG], data_offsets: [0, BIG] } };
    const dataStart = Math.min(...[...index.tensors.values()].map((t) => t.begin));
    for (const t of index.tensors.values()) {
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [BIG + t.begin - dataStart, BIG + t.end - dataStart] };
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
    const path = join(dir, "model.safetensors");
    const fd = openSync(path, "w");
    writeSync(fd, prefix);
    writeSync(fd, json);
    ftruncateSync(fd, 8 + json.length + BIG);
    writeSync(fd, small.subarray(dataStart), 0, small.length - dataStart, 8 + json.length + BIG);
    closeSync(fd);

    const texts = ["a short text", "and another, longer one"];
    const expected = (await (await loadModel(tinyDir, { backend: "js" })).embed(texts)).data;
    const logs: string[] = [];
    const big = await loadModel(dir, { backend: "js", log: (m) => logs.push(m) });
    expect((await big.embed(texts)).data).toEqual(expected);
    expect(logs.join("\n")).toMatch(/ignoring 1 tensors not used by the encoder: lm_head\.decoder\.weight/);
    rmSync(dir, { recursive: true, force: true });
  });
});
