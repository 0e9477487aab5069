// embedCorpus and mergeEmbeddings: an interrupted run (a stop, an error, a crash that wrote rows after
// its last checkpoint) resumed with --resume writes byte for byte the file of an uninterrupted run, in
// every format; shards merged (or JSONL shards concatenated) are the file of one run; standard output
// gets the file's bytes; a resume on other settings or other input is refused.
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { InputError, UsageError } from "../../src/errors.js";
import type { OutputFormat } from "../../src/formats/embeddings.js";
import type { TextRecord } from "../../src/formats/records.js";
import { embedCorpus, type EmbedCorpusOptions } from "../../src/io/embed-corpus.js";
import { partialPath, progressPath, sidecarPath } from "../../src/io/embeddings-output.js";
import { loadModel } from "../../src/io/load-model.js";
import { mergeEmbeddings } from "../../src/io/merge.js";
import { openRecordStream } from "../../src/io/record-stream.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { Rng } from "../../src/tensor/random.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
const FORMATS: OutputFormat[] = ["jsonl", "npy", "safetensors"];
const root = mkdtempSync(join(tmpdir(), "ep-embed-corpus-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(root, `d${++dirs}`);
  mkdirSync(dir);
  return dir;
};

const WORDS = ["the", "keeper", "wrote", "names", "of", "boats", "storm", "Café", "👍🏽", "lamp"];
const rng = new Rng(5);
const RECORDS: TextRecord[] = Array.from({ length: 45 }, (_, i) => ({
  text: Array.from({ length: rng.int(25) }, () => WORDS[rng.int(WORDS.length)]).join(" "),
  id: `doc-${i}`,
  line: i + 1,
}));

let model: EncoderModel;
beforeAll(async () => {
  // js: its rows do not depend on the batch they were computed in, so one run, its shards and
  // model.embed agree to the bit. On wasm a row's bits depend on its batch's padded length (±1e-6),
  // so only runs that cut the same windows (a resumed run and the one it continues) are byte-equal.
  model = await loadModel(TINY, { backend: "js" });
});

function options(dir: string, format: OutputFormat, extra: Partial<EmbedCorpusOptions> = {}): EmbedCorpusOptions {
  return {
    output: join(dir, `out.${format}`),
    format,
    pooling: "mean-max",
    normalize: true,
    batchSize: 3,
    window: 8,
    ...(format === "jsonl" ? { idField: "id", jsonlHeader: true } : {}),
    input: { input: "corpus" },
    ...extra,
  };
}

/** The records one at a time; `onRead(k)` runs as record k is taken (to stop or fail a run there). */
async function* source(records: TextRecord[], onRead: (k: number) => void = () => {}): AsyncGenerator<TextRecord> {
  for (const [k, r] of records.entries()) {
    onRead(k);
    await new Promise((resolve) => setTimeout(resolve, 0));
    yield r;
  }
}

/** The output of an uninterrupted run (and its .npy sidecar), made once per format. */
const reference = new Map<OutputFormat, { bytes: Buffer; sidecar: string | null }>();
async function referenceRun(format: OutputFormat): Promise<{ bytes: Buffer; sidecar: string | null }> {
  if (!reference.has(format)) {
    const o = options(freshDir(), format);
    const result = await embedCorpus(model, RECORDS, o);
    expect(result.rows).toBe(RECORDS.length);
    const sidecar = format === "npy" ? readFileSync(sidecarPath(o.output), "utf8") : null;
    reference.set(format, { bytes: readFileSync(o.output), sidecar });
  }
  return reference.get(format)!;
}

describe("embedCorpus: an uninterrupted run", () => {
  for (const format of FORMATS) {
    it(`${format}: writes OUT (and nothing else but a .npy's sidecar), rows in input order, with the provenance`, async () => {
      const o = options(freshDir(), format);
      await embedCorpus(model, RECORDS, o);
      const bytes = readFileSync(o.output);
      expect(bytes).toEqual((await referenceRun(format)).bytes);
      const files = readdirSync(join(o.output, "..")).sort();
      expect(files).toEqual(format === "npy" ? ["out.npy", "out.npy.json"] : [`out.${format}`]);
      const { data } = await model.embed(RECORDS.map((r) => r.text), { pooling: "mean-max", normalize: true });
      const provenance = { model: "default", pooling: { type: "mean-max" }, normalize: true, max_length: 38, dim: 32 };
      if (format === "jsonl") {
        const [header, ...rows] = bytes.toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(header).toEqual({ provenance });
        expect(rows.map((r) => Object.keys(r))).toEqual(RECORDS.map(() => ["id", "text", "embedding"]));
        expect(rows.map((r) => r["id"])).toEqual(RECORDS.map((r) => r.id));
        expect(rows.flatMap((r) => (r["embedding"] as number[]).map(Math.fround))).toEqual(Array.from(data));
      } else if (format === "safetensors") {
        const { tensors, metadata } = parseSafetensors(new Uint8Array(bytes), "out");
        expect(Array.from(tensors.get("embeddings")!.data as Float32Array)).toEqual(Array.from(data));
        expect(metadata).toEqual({ model: "default", pooling: '{"type":"mean-max"}', normalize: "true", max_length: "38", dim: "32" });
      } else {
        expect(JSON.parse(readFileSync(sidecarPath(o.output), "utf8"))).toEqual({ shape: [45, 32], dtype: "float32", ...provenance });
        expect(new Float32Array(bytes.buffer.slice(bytes.byteOffset + 128, bytes.byteOffset + bytes.length))).toEqual(data);
      }
    });
  }

  it("writes the same bytes to standard output, in every format", async () => {
    for (const format of FORMATS) {
      const chunks: Buffer[] = [];
      const stdout = new PassThrough().on("data", (c: Buffer) => chunks.push(c));
      await embedCorpus(model, source(RECORDS), { ...options(freshDir(), format), output: "-", stdout });
      expect(Buffer.concat(chunks), format).toEqual((await referenceRun(format)).bytes);
    }
  });

  it("refuses an input without texts, and leaves nothing behind", async () => {
    const o = options(freshDir(), "npy");
    await expect(embedCorpus(model, [], o)).rejects.toThrow(new InputError("no texts in the input"));
    expect(readdirSync(join(o.output, ".."))).toEqual([]);
  });
});

describe("embedCorpus: resume", () => {
  for (const format of FORMATS) {
    it(`${format}: stopped at any point and resumed, the file is byte for byte the uninterrupted run's`, async () => {
      const { bytes, sidecar } = await referenceRun(format);
      for (const stopAt of [1, 4, 9, 12, 25, 44]) {
        const o = options(freshDir(), format);
        const controller = new AbortController();
        await expect(embedCorpus(model, source(RECORDS, (k) => k === stopAt && controller.abort()), { ...o, signal: controller.signal })).rejects.toThrow(/interrupted after \d+ rows/);
        const kept = existsSync(partialPath(o.output));
        const result = await embedCorpus(model, source(RECORDS), { ...o, resume: kept });
        expect(readFileSync(o.output), `${format}, stopped at ${stopAt}`).toEqual(bytes);
        if (kept) expect(result.resumedRows).toBeGreaterThan(0);
        if (sidecar !== null) expect(readFileSync(sidecarPath(o.output), "utf8")).toBe(sidecar);
        expect(existsSync(partialPath(o.output)) || existsSync(progressPath(o.output))).toBe(false);
      }
    });

    it(`${format}: after a crash that wrote rows past its last checkpoint, the resumed file is still the same`, async () => {
      const { bytes } = await referenceRun(format);
      const o = options(freshDir(), format);
      const early = join(o.output, "..", "early-progress.json");
      let saved = false;
      const crash = new Error("power cut");
      const run = embedCorpus(model, source(RECORDS, (k) => { if (k === 40) throw crash; }), {
        ...o,
        checkpointSeconds: 0,
        onProgress: (p) => {
          if (!saved && p.textsEmbedded >= 15) {
            copyFileSync(progressPath(o.output), early);
            saved = true;
          }
        },
      });
      await expect(run).rejects.toBe(crash);
      // the crash: the progress record of an earlier checkpoint, and half a row of garbage after the rows
      copyFileSync(early, progressPath(o.output));
      appendFileSync(partialPath(o.output), "{\"half a ro");
      const recorded = (JSON.parse(readFileSync(early, "utf8")) as { rows: number }).rows;
      const result = await embedCorpus(model, source(RECORDS), { ...o, resume: true });
      expect(result.resumedRows).toBe(recorded);
      expect(readFileSync(o.output)).toEqual(bytes);
    });
  }

  it("refuses a resume with other settings, naming what changed", async () => {
    const o = options(freshDir(), "npy");
    const controller = new AbortController();
    await expect(embedCorpus(model, source(RECORDS, (k) => k === 20 && controller.abort()), { ...o, signal: controller.signal })).rejects.toThrow(/interrupted/);
    const changed = embedCorpus(model, source(RECORDS), { ...o, window: 9, pooling: "mean", resume: true });
    await expect(changed).rejects.toThrow(UsageError);
    await expect(embedCorpus(model, source(RECORDS), { ...o, window: 9, resume: true })).rejects.toThrow(/window was 8, now 9/);
    await expect(embedCorpus(model, source(RECORDS), { ...o, pooling: "mean", resume: true })).rejects.toThrow(/provenance was .*"mean-max".*now .*"mean"/);
    // the partial file survives every refusal
    await embedCorpus(model, source(RECORDS), { ...o, resume: true });
    expect(readFileSync(o.output)).toEqual((await referenceRun("npy")).bytes);
  });

  it("refuses a resume on another input, and on a shorter one", async () => {
    const o = options(freshDir(), "jsonl");
    const controller = new AbortController();
    await expect(embedCorpus(model, source(RECORDS, (k) => k === 30 && controller.abort()), { ...o, signal: controller.signal })).rejects.toThrow(/interrupted/);
    const other = RECORDS.map((r, i) => (i === 2 ? { ...r, text: `${r.text}!` } : r));
    await expect(embedCorpus(model, source(other), { ...o, resume: true })).rejects.toThrow(/the input differs from the interrupted run: its first \d+ texts/);
    await expect(embedCorpus(model, source(RECORDS.slice(0, 5)), { ...o, resume: true })).rejects.toThrow(/the input has 5 texts, but the interrupted run had embedded \d+/);
    await embedCorpus(model, source(RECORDS), { ...o, resume: true });
    expect(readFileSync(o.output)).toEqual((await referenceRun("jsonl")).bytes);
  });

  it("will not drop an interrupted run's rows unless asked (--force), nor resume what is not there", async () => {
    const o = options(freshDir(), "safetensors");
    await expect(embedCorpus(model, RECORDS, { ...o, resume: true })).rejects.toThrow(/nothing to resume: .*out\.safetensors\.progress\.json not found/);
    const controller = new AbortController();
    await expect(embedCorpus(model, source(RECORDS, (k) => k === 20 && controller.abort()), { ...o, signal: controller.signal })).rejects.toThrow(/interrupted/);
    await expect(embedCorpus(model, RECORDS, o)).rejects.toThrow(/out\.safetensors\.partial is left from an interrupted run: add --resume to continue it, or --force to start over/);
    await embedCorpus(model, RECORDS, { ...o, force: true });
    expect(readFileSync(o.output)).toEqual((await referenceRun("safetensors")).bytes);
    expect(readdirSync(join(o.output, ".."))).toEqual(["out.safetensors"]);
  });
});

describe("shards", () => {
  /** The corpus as a .jsonl file, for the shard readers. */
  function corpusFile(dir: string): string {
    const path = join(dir, "corpus.jsonl");
    writeFileSync(path, RECORDS.map((r) => JSON.stringify({ id: r.id, text: r.text })).join("\n") + "\n");
    return path;
  }

  for (const format of FORMATS) {
    it(`${format}: shards merged are the file of one run (3 and 7 shards, some of them empty)`, async () => {
      const dir = freshDir();
      const input = corpusFile(dir);
      const single = options(dir, format, { output: join(dir, `single.${format}`) });
      await embedCorpus(model, openRecordStream(input, { idField: "id" }).records, single);
      for (const count of [3, 7, 60]) {
        const parts: string[] = [];
        for (let index = 0; index < count; index++) {
          const part = join(dir, `part-${count}-${index}.${format}`);
          const shard = openRecordStream(input, { idField: "id", shard: { index, count } });
          await embedCorpus(model, shard.records, { ...options(dir, format), output: part, allowEmpty: true });
          parts.push(part);
        }
        const merged = join(dir, `merged-${count}.${format}`);
        expect(await mergeEmbeddings(parts, merged, { force: false })).toBe(RECORDS.length);
        expect(readFileSync(merged), `${count} shards`).toEqual(readFileSync(single.output));
        if (format === "npy") expect(readFileSync(sidecarPath(merged), "utf8")).toBe(readFileSync(sidecarPath(single.output), "utf8"));
      }
    });
  }

  it("JSONL shards without a header line are merged by plain concatenation", async () => {
    const dir = freshDir();
    const input = corpusFile(dir);
    const o = { ...options(dir, "jsonl"), jsonlHeader: false };
    await embedCorpus(model, openRecordStream(input, { idField: "id" }).records, { ...o, output: join(dir, "single.jsonl") });
    const parts = [];
    for (let index = 0; index < 4; index++) {
      const part = join(dir, `p${index}.jsonl`);
      await embedCorpus(model, openRecordStream(input, { idField: "id", shard: { index, count: 4 } }).records, { ...o, output: part, allowEmpty: true });
      parts.push(readFileSync(part));
    }
    expect(Buffer.concat(parts)).toEqual(readFileSync(join(dir, "single.jsonl")));
  });

  it("merge refuses shards made with another pooling, or of another format", async () => {
    const dir = freshDir();
    const a = join(dir, "a.npy");
    const b = join(dir, "b.npy");
    await embedCorpus(model, RECORDS.slice(0, 3), { ...options(dir, "npy"), output: a });
    await embedCorpus(model, RECORDS.slice(3, 6), { ...options(dir, "npy"), output: b, pooling: "cls" });
    await expect(mergeEmbeddings([a, b], join(dir, "m.npy"), { force: false })).rejects.toThrow(/has vectors of 16 values|was made differently/);
    await expect(mergeEmbeddings([a], join(dir, "m.jsonl"), { force: false })).rejects.toThrow(/is not a \.jsonl file/);
  });
});
