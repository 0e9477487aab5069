// `encoder-pooling embed` run in-process through main(): every input form, every output format, the
// --force rule, failures that leave nothing behind, and vectors equal to the library's embed.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSafetensors, serializeSafetensors, type SafeTensor } from "../../src/encoder/safetensors.js";
import { loadModel } from "../../src/io/load-model.js";
import type { EmbedOptions, EncoderModel } from "../../src/pipeline/model.js";
import { Rng } from "../../src/tensor/random.js";
import { expectClose } from "../helpers.js";
import { runMain, type Run } from "./training-helpers.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
// The CLI and the library run the same float32 code on the same batches; 1e-6 leaves room for nothing else.
const ATOL = 1e-6;
const LONG = "One winter a storm broke the lamp of the lighthouse. The keeper climbed the stairs with a candle and a mirror.";
const TEXTS = ["The keeper wrote the names of the boats.", "Hi", "Café naïve 👍🏽", "the sea was rough", "1887, 1923 and 2024"];

const root = mkdtempSync(join(tmpdir(), "embed-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModel(TINY);
});

let dirCount = 0;
/** A fresh folder for one test, so that "no file left behind" can list it. */
function freshDir(): string {
  const dir = join(root, `t${++dirCount}`);
  mkdirSync(dir);
  return dir;
}

/** Runs `encoder-pooling embed ...argv` in `cwd` with the tiny model; `stdin` feeds `--input -`. */
const embed = (cwd: string, argv: string[], stdin = ""): Promise<Run> => runMain(["embed", "--model", TINY, ...argv], cwd, stdin);

function readJsonl(path: string): { text: string; embedding: number[] }[] {
  return readFileSync(path, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as { text: string; embedding: number[] });
}

/** A .npy version 1.0 float32 file as its shape and data. */
function readNpy(path: string): { shape: number[]; data: Float32Array } {
  const bytes = new Uint8Array(readFileSync(path));
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes[8]! | (bytes[9]! << 8);
  const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLength));
  expect(header).toContain("'descr': '<f4', 'fortran_order': False");
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header)!.slice(1).map(Number);
  const view = new DataView(bytes.buffer, bytes.byteOffset + 10 + headerLength);
  const data = Float32Array.from({ length: shape[0]! * shape[1]! }, (_, i) => view.getFloat32(4 * i, true));
  return { shape, data };
}

/** Expects rows of `actual` [N,D] to be the library's vectors of `texts`. */
async function expectLibrary(actual: ArrayLike<number>, texts: string[], options: EmbedOptions, label: string): Promise<void> {
  const { data } = await model.embed(texts, options);
  expectClose(actual, data, ATOL, label);
}

describe("embed: output formats", () => {
  it("writes .jsonl: one {text, embedding} line per text, in input order", async () => {
    const dir = freshDir();
    const run = await embed(dir, [...TEXTS.flatMap((t) => ["--text", t]), "--pooling", "mean", "--batch-size", "2", "--output", "out.jsonl"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readJsonl(join(dir, "out.jsonl"));
    expect(lines.map((l) => l.text)).toEqual(TEXTS);
    await expectLibrary(lines.flatMap((l) => l.embedding), TEXTS, { pooling: "mean" }, "jsonl");
    expect(run.stderr).toContain(`embed: wrote 5 × 16 to ${join(dir, "out.jsonl")}`);
  });

  it("writes .npy float32 [N,D]", async () => {
    const dir = freshDir();
    const run = await embed(dir, [...TEXTS.flatMap((t) => ["--text", t]), "--pooling", "mean-max", "--normalize", "--output", "out.npy"]);
    expect(run.code, run.stderr).toBe(0);
    const { shape, data } = readNpy(join(dir, "out.npy"));
    expect(shape).toEqual([5, 32]);
    await expectLibrary(data, TEXTS, { pooling: "mean-max", normalize: true }, "npy");
  });

  it('writes .safetensors with one F32 tensor "embeddings" [N,D]', async () => {
    const dir = freshDir();
    const run = await embed(dir, [...TEXTS.flatMap((t) => ["--text", t]), "--pooling", "cls", "--output", "out.safetensors"]);
    expect(run.code, run.stderr).toBe(0);
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(join(dir, "out.safetensors"))), "out.safetensors");
    expect([...tensors.keys()]).toEqual(["embeddings"]);
    const t = tensors.get("embeddings")!;
    expect(t.dtype).toBe("F32");
    expect(t.shape).toEqual([5, 16]);
    await expectLibrary(t.data as Float32Array, TEXTS, { pooling: "cls" }, "safetensors");
  });
});

describe("embed: inputs", () => {
  it("reads standard input with --input -, one text per line", async () => {
    const dir = freshDir();
    const run = await embed(dir, ["--input", "-", "--output", "out.jsonl"], TEXTS.join("\n") + "\n");
    expect(run.code, run.stderr).toBe(0);
    const lines = readJsonl(join(dir, "out.jsonl"));
    expect(lines.map((l) => l.text)).toEqual(TEXTS);
    await expectLibrary(lines.flatMap((l) => l.embedding), TEXTS, {}, "stdin, default pooling mean");
  });

  it("reads a .csv column named by --text-column (quoted fields with commas and newlines)", async () => {
    const dir = freshDir();
    const texts = ["a boat, a flag", "the ferry\ncame twice", "Hi"];
    writeFileSync(join(dir, "in.csv"), 'id,review\n1,"a boat, a flag"\n2,"the ferry\ncame twice"\n3,Hi\n');
    const run = await embed(dir, ["--input", "in.csv", "--text-column", "review", "--pooling", "max", "--batch-size", "2", "--output", "out.npy"]);
    expect(run.code, run.stderr).toBe(0);
    const { shape, data } = readNpy(join(dir, "out.npy"));
    expect(shape).toEqual([3, 16]);
    await expectLibrary(data, texts, { pooling: "max" }, "csv");
  });

  it("reads a .jsonl field named by --text-field, in input order", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.jsonl"), TEXTS.map((t, i) => JSON.stringify({ id: i, body: t })).join("\n") + "\n");
    const run = await embed(dir, ["--input", "in.jsonl", "--text-field", "body", "--batch-size", "3", "--output", "out.jsonl"]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readJsonl(join(dir, "out.jsonl"));
    expect(lines.map((l) => l.text)).toEqual(TEXTS);
    await expectLibrary(lines.flatMap((l) => l.embedding), TEXTS, {}, "jsonl input");
  });

  it("warns about invalid UTF-8 in a .txt, naming the line, and embeds U+FFFD in its place", async () => {
    const dir = freshDir();
    const bytes = new Uint8Array([...new TextEncoder().encode("good line\nbad "), 0xff, 0xfe, ...new TextEncoder().encode(" bytes\nfine\n")]);
    writeFileSync(join(dir, "in.txt"), bytes);
    const run = await embed(dir, ["--input", "in.txt", "--output", "out.jsonl"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: .*in\.txt:2: invalid UTF-8/);
    expect(run.stderr).not.toMatch(/in\.txt:[13]:/);
    expect(readJsonl(join(dir, "out.jsonl")).map((l) => l.text)).toEqual(["good line", "bad \uFFFD\uFFFD bytes", "fine"]);
  });

  it("warns about a truncated text as file:line", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), `short\n${LONG}\nshort again\n`);
    const run = await embed(dir, ["--input", "in.txt", "--output", "out.npy"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("warning: in.txt:2: truncated to 38 tokens");
    expect(run.stderr).not.toMatch(/in\.txt:[13]:/);
  });
});

describe("embed: poolings and parameters", () => {
  it("--pooling takes a SPEC.json file and an inline JSON spec", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "spec.json"), JSON.stringify({ type: "mean-max" }));
    const fromFile = await embed(dir, ["--text", "a boat", "--text", "the sea", "--pooling", "spec.json", "--output", "file.npy"]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    await expectLibrary(readNpy(join(dir, "file.npy")).data, ["a boat", "the sea"], { pooling: "mean-max" }, "spec.json");
    const inline = await embed(dir, ["--text", "a boat", "--pooling", '{"type": "gem", "p": 2}', "--output", "inline.npy"]);
    expect(inline.code, inline.stderr).toBe(0);
    await expectLibrary(readNpy(join(dir, "inline.npy")).data, ["a boat"], { pooling: { type: "gem", p: 2 } }, "inline");
  });

  it("--params loads trained attention-pooler weights from .safetensors", async () => {
    const dir = freshDir();
    const spec = { type: "attention", hiddenSize: 8 };
    // parameters with the pooler's names and shapes but values unlike its seeded init
    const rng = new Rng(3);
    const params = new Map([...model.createPooler(spec).parameters].map(([name, t]) => [name, { data: Float32Array.from(t.data, () => rng.normal()), shape: t.shape }]));
    const file: Record<string, SafeTensor> = {};
    for (const [name, t] of params) file[name] = { dtype: "F32", shape: t.shape, data: t.data };
    writeFileSync(join(dir, "params.safetensors"), serializeSafetensors(file));
    const texts = ["a boat", "the sea was rough and the ferry stayed away"];

    const trained = await embed(dir, [...texts.flatMap((t) => ["--text", t]), "--pooling", JSON.stringify(spec), "--params", "params.safetensors", "--output", "trained.npy"]);
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).not.toContain("untrained");
    const data = readNpy(join(dir, "trained.npy")).data;
    await expectLibrary(data, texts, { pooling: spec, params }, "attention with params");

    const untrained = await embed(dir, [...texts.flatMap((t) => ["--text", t]), "--pooling", JSON.stringify(spec), "--output", "untrained.npy"]);
    expect(untrained.code, untrained.stderr).toBe(0);
    expect(untrained.stderr).toContain("no --params was given");
    const initial = readNpy(join(dir, "untrained.npy")).data;
    expect(Math.max(...initial.map((x, i) => Math.abs(x - data[i]!)))).toBeGreaterThan(1e-3);
  });

  it("runs on the shipped default model without --model", async () => {
    const dir = freshDir();
    const run = await runMain(["embed", "--text", "Hello world", "--text", "a second text", "--output", "out.npy"], dir);
    expect(run.code, run.stderr).toBe(0);
    const defaultModel = await loadModel();
    const { shape, data } = readNpy(join(dir, "out.npy"));
    expect(shape).toEqual([2, defaultModel.config.hiddenSize]);
    expectClose(data, (await defaultModel.embed(["Hello world", "a second text"])).data, ATOL, "default model");
  });
});

describe("embed: --force and failures", () => {
  it("refuses an existing output without --force (leaving it unchanged) and overwrites it with --force", async () => {
    const dir = freshDir();
    const out = join(dir, "out.jsonl");
    writeFileSync(out, "old contents\n");
    const refused = await embed(dir, ["--text", "a boat", "--output", "out.jsonl"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/out\.jsonl already exists; pass --force/);
    expect(readFileSync(out, "utf8")).toBe("old contents\n");
    const forced = await embed(dir, ["--text", "a boat", "--output", "out.jsonl", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readJsonl(out).map((l) => l.text)).toEqual(["a boat"]);
    expect(readdirSync(dir)).toEqual(["out.jsonl"]);
  });

  // exit 1: bad input; 6: a file that cannot be read (docs/limits.md)
  const failures: { name: string; files: Record<string, string>; argv: string[]; message: RegExp; code: number }[] = [
    { name: "a JSONL line that is not JSON", files: { "in.jsonl": '{"text": "ok"}\n{"text": "fine"}\n{not json}\n' }, argv: ["--input", "in.jsonl"], message: /in\.jsonl:3: not valid JSON/, code: 1 },
    { name: "an unknown pooling name", files: { "in.txt": "a\n" }, argv: ["--input", "in.txt", "--pooling", "average"], message: /average/, code: 1 },
    { name: "a missing input file", files: {}, argv: ["--input", "missing.txt"], message: /file not found: .*missing\.txt/, code: 6 },
    { name: "an over-long text with --no-truncate", files: { "in.txt": `short\nfine\n${LONG}\n` }, argv: ["--input", "in.txt", "--no-truncate"], message: /in\.txt:3: longer than 38 tokens/, code: 1 },
  ];
  for (const f of failures) {
    for (const output of ["out.jsonl", "out.safetensors"]) {
      it(`${f.name} exits ${f.code} naming the file/line, and leaves no ${output} and no temp file`, async () => {
        const dir = freshDir();
        for (const [name, text] of Object.entries(f.files)) writeFileSync(join(dir, name), text);
        const run = await embed(dir, [...f.argv, "--output", output]);
        expect(run.code).toBe(f.code);
        expect(run.stderr).toMatch(/^encoder-pooling embed: /m);
        expect(run.stderr).toMatch(f.message);
        expect(existsSync(join(dir, output))).toBe(false);
        expect(readdirSync(dir).sort()).toEqual(Object.keys(f.files).sort());
      });
    }
  }

  it("an output folder that does not exist is an error naming the output, before any work", async () => {
    const dir = freshDir();
    const run = await embed(dir, ["--text", "a", "--output", join("nodir", "out.npy")]);
    expect(run.code).toBe(6);
    expect(run.stderr).toMatch(/cannot write .*nodir[\\/]out\.npy: folder .*nodir does not exist/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a pooling name means that pooling even when a file of that name exists", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "mean"), "not a spec");
    const run = await embed(dir, ["--text", "a boat", "--pooling", "mean", "--output", "out.jsonl"]);
    expect(run.code, run.stderr).toBe(0);
  });

  it("an output extension it cannot write is a usage error (exit 2) before any work", async () => {
    const dir = freshDir();
    const run = await embed(dir, ["--text", "a", "--output", "out.csv"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/out\.csv: cannot tell the output format.*\.safetensors, \.jsonl, \.npy/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
