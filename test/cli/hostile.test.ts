// Issue 10's reproducers through the command line: each failure kind has its own exit status, --debug
// shows the stack, a NaN in the weights never reaches an output file, and the batch size is a loop.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_STATUS } from "../../src/cli/main.js";
import { parseSafetensors, serializeSafetensors } from "../../src/encoder/safetensors.js";
import { loadModel } from "../../src/io/load-model.js";
import { RobertaModel } from "../../src/encoder/roberta.js";
import { runMain, type Run } from "./training-helpers.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
const root = mkdtempSync(join(tmpdir(), "hostile-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let count = 0;
/** A copy of the tiny model folder, with `change` applied to its files. */
function modelCopy(change: (dir: string) => void = () => {}): string {
  const dir = join(root, `m${++count}`);
  mkdirSync(dir);
  for (const f of ["config.json", "model.safetensors", "vocab.json", "merges.txt"]) copyFileSync(join(TINY, f), join(dir, f));
  change(dir);
  return dir;
}

const run = (argv: string[], cwd = root): Promise<Run> => runMain(argv, cwd);

/** The tiny model with one weight set to NaN. */
function nanWeights(dir: string, tensor: string): void {
  const path = join(dir, "model.safetensors");
  const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const t = tensors.get(tensor)!;
  (t.data as Float32Array)[0] = NaN;
  writeFileSync(path, serializeSafetensors(tensors, metadata));
}

describe("exit statuses per error code", () => {
  it("num_hidden_layers 1e5 / 1e9 is a limit (3) at once, with a short message (it took 8.5 s, 957 MB, an 85 MB message)", async () => {
    for (const layers of [1e5, 1e9]) {
      const dir = modelCopy((d) => {
        const config = JSON.parse(readFileSync(join(d, "config.json"), "utf8")) as Record<string, unknown>;
        writeFileSync(join(d, "config.json"), JSON.stringify({ ...config, num_hidden_layers: layers }));
      });
      const r = await run(["embed", "--model", dir, "--text", "hi", "--output", join(dir, "out.npy")]);
      expect(r.code).toBe(EXIT_STATUS.EP_LIMIT);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(`encoder-pooling embed: ${dir}/config.json: "num_hidden_layers" is ${layers}, above the limit of 256\n`);
      expect(existsSync(join(dir, "out.npy"))).toBe(false);
    }
  });

  it("a pooling spec past its limits is 3; 8 KB of brackets in a spec file is 3, not an internal error", async () => {
    const dir = modelCopy();
    const lstm = await run(["embed", "--model", dir, "--text", "hi", "--pooling", '{"type":"lstm","hiddenSize":16777215}', "--output", join(dir, "a.npy")]);
    expect(lstm.code).toBe(3);
    expect(lstm.stderr).toMatch(/lstm\.hiddenSize is 16777215, above the limit of 2048/);
    writeFileSync(join(dir, "deep.json"), "[".repeat(8192));
    const deep = await run(["embed", "--model", dir, "--text", "hi", "--pooling", join(dir, "deep.json"), "--output", join(dir, "b.npy")]);
    expect(deep.stderr).not.toMatch(/internal error/);
    expect([1, 3]).toContain(deep.code);
  });

  it("usage is 2, bad input is 1, not supported is 5, and an unknown failure would be 70", async () => {
    expect((await run(["embed", "--bogus"])).code).toBe(2);
    const dir = modelCopy((d) => writeFileSync(join(d, "config.json"), "{not json"));
    expect((await run(["embed", "--model", dir, "--text", "hi", "--output", join(dir, "o.npy")])).code).toBe(1);
    const f8 = modelCopy((d) => {
      const config = JSON.parse(readFileSync(join(d, "config.json"), "utf8")) as Record<string, unknown>;
      writeFileSync(join(d, "config.json"), JSON.stringify({ ...config, position_embedding_type: "relative_key" }));
    });
    expect((await run(["embed", "--model", f8, "--text", "hi", "--output", join(f8, "o.npy")])).code).toBe(1);
    expect(EXIT_STATUS.EP_NOT_SUPPORTED).toBe(5);
  });

  it("--debug adds the code and the stack", async () => {
    const dir = modelCopy((d) => writeFileSync(join(d, "config.json"), "{not json"));
    const r = await run(["embed", "--debug", "--model", dir, "--text", "hi", "--output", join(dir, "o.npy")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encoder-pooling embed: .*config\.json: not valid JSON at line 1, column 2/);
    expect(r.stderr).toMatch(/\[EP_CONFIG\] ConfigError: .*\n\s+at /);
    const plain = await run(["embed", "--model", dir, "--text", "hi", "--output", join(dir, "o.npy")]);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("NaN never written as a result", () => {
  it("one NaN in embeddings.LayerNorm.weight is refused at load, naming the tensor (it wrote NaN vectors, exit 0)", async () => {
    const dir = modelCopy((d) => nanWeights(d, "embeddings.LayerNorm.weight"));
    for (const out of ["o.npy", "o.safetensors", "o.jsonl"]) {
      const r = await run(["embed", "--model", dir, "--text", "hello world", "--text", "a", "--output", join(dir, out)]);
      expect(r.code).toBe(EXIT_STATUS.EP_NONFINITE);
      expect(r.stderr).toMatch(/model\.safetensors: embeddings\.LayerNorm\.weight: element 0 is NaN: not finite/);
      expect(existsSync(join(dir, out))).toBe(false);
    }
  });

  it("a NaN produced during the forward (finite weights that overflow) is caught before anything is written", async () => {
    const dir = modelCopy((d) => {
      const path = join(d, "model.safetensors");
      const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(path)), path);
      for (const name of ["embeddings.word_embeddings.weight", "embeddings.token_type_embeddings.weight"]) (tensors.get(name)!.data as Float32Array).fill(3e38);
      writeFileSync(path, serializeSafetensors(tensors, metadata));
    });
    const r = await run(["embed", "--model", dir, "--text", "hello world", "--output", join(dir, "o.npy")]);
    expect(r.code).toBe(EXIT_STATUS.EP_NONFINITE);
    expect(r.stderr).toMatch(/--text:1: the pooled vector holds NaN \(element 0\): .*nothing was written/);
    expect(existsSync(join(dir, "o.npy"))).toBe(false);
    // every token's vector is checked the same way (embed --token-embeddings)
    const tokens = await run(["embed", "--model", dir, "--text", "hello world", "--token-embeddings", "--output", join(dir, "t.jsonl")]);
    expect(tokens.code).toBe(EXIT_STATUS.EP_NONFINITE);
    expect(tokens.stderr).toMatch(/--text:1: its token embeddings hold NaN \(element 0\): .*nothing was written/);
    expect(existsSync(join(dir, "t.jsonl"))).toBe(false);
  });

  it("--allow-nonfinite writes them, for inspecting a broken checkpoint", async () => {
    const dir = modelCopy((d) => nanWeights(d, "embeddings.LayerNorm.weight"));
    const r = await run(["embed", "--model", dir, "--text", "hello", "--allow-nonfinite", "--output", join(dir, "o.safetensors")]);
    expect(r.code).toBe(0);
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(join(dir, "o.safetensors"))), "o.safetensors");
    expect(Number.isNaN((tensors.get("embeddings")!.data as Float32Array)[0])).toBe(true);
  });

  it("NaN pooler parameters are refused naming the tensor", async () => {
    const dir = modelCopy();
    const params = serializeSafetensors({ p: { dtype: "F32", shape: [1], data: new Float32Array([NaN]) } });
    writeFileSync(join(dir, "gem.safetensors"), params);
    const r = await run(["embed", "--model", dir, "--text", "hi", "--pooling", "gem", "--params", join(dir, "gem.safetensors"), "--output", join(dir, "o.npy")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/pooling params: tensor "p": element 0 is NaN/);
  });
});

describe("--batch-size 1000000", () => {
  it("batches 200,000 texts at once (Math.max(...spread) overflowed the stack)", async () => {
    const model = await loadModel(TINY);
    const encodings = model.tokenize(Array.from({ length: 200_000 }, (_, i) => (i % 7 === 0 ? "a longer text here" : "t")));
    const [batch] = [...model.batches(encodings, 1_000_000)];
    expect(batch!.batchSize).toBe(200_000);
    expect(batch!.seqLen).toBe(encodings[0]!.inputIds.length);
  });
});

describe("--output below a regular file", () => {
  it("is a clear I/O error (6) naming the file, before any work, and nothing is left behind", async () => {
    const dir = modelCopy();
    writeFileSync(join(dir, "notes.txt"), "keep me");
    const r = await run(["embed", "--model", dir, "--text", "hi", "--output", join(dir, "notes.txt", "x.npy")]);
    expect(r.code).toBe(EXIT_STATUS.EP_IO);
    expect(r.stderr).toBe(`encoder-pooling embed: cannot write ${join(dir, "notes.txt", "x.npy")}: ${join(dir, "notes.txt")} is a file, not a folder\n`);
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("keep me");
  });
});

describe("pool and forward check their outputs too", () => {
  it("pool: NaN hidden states give NaN pooled vectors, which are refused (4) unless --allow-nonfinite", async () => {
    const dir = join(root, "pool");
    mkdirSync(dir, { recursive: true });
    const h = (v: number) => ({ dtype: "F32" as const, shape: [1, 2, 3], data: new Float32Array([v, 1, 2, 3, 4, 5]) });
    const inputs = serializeSafetensors({ "hidden_states.0": h(1), "hidden_states.1": h(NaN), attention_mask: { dtype: "I32", shape: [1, 2], data: new Int32Array([1, 1]) } });
    writeFileSync(join(dir, "in.safetensors"), inputs);
    const refused = await run(["pool", "--spec", "mean", "--inputs", join(dir, "in.safetensors"), "--output", join(dir, "out.safetensors")]);
    expect(refused.code).toBe(EXIT_STATUS.EP_NONFINITE);
    expect(refused.stderr).toMatch(/pool: pooled\[0\] is NaN: not finite, so .*out\.safetensors was not written/);
    expect(existsSync(join(dir, "out.safetensors"))).toBe(false);
    const allowed = await run(["pool", "--spec", "mean", "--inputs", join(dir, "in.safetensors"), "--output", join(dir, "out.safetensors"), "--allow-nonfinite"]);
    expect(allowed.code).toBe(0);
  });

  it("forward: NaN weights are refused naming the tensor", async () => {
    const dir = modelCopy((d) => nanWeights(d, "encoder.layer.0.output.dense.bias"));
    const ids = serializeSafetensors({ input_ids: { dtype: "I32", shape: [1, 3], data: new Int32Array([0, 5, 2]) }, attention_mask: { dtype: "I32", shape: [1, 3], data: new Int32Array([1, 1, 1]) } });
    writeFileSync(join(dir, "ids.safetensors"), ids);
    const r = await run(["forward", "--model", dir, "--inputs", join(dir, "ids.safetensors"), "--output", join(dir, "h.safetensors")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/encoder\.layer\.0\.output\.dense\.bias: element 0 is NaN/);
    expect(existsSync(join(dir, "h.safetensors"))).toBe(false);
  });
});

describe("non-finite half-precision weights", () => {
  it("an F16 checkpoint with a NaN is refused naming the tensor and the bits; allowNonFinite loads it", async () => {
    const dir = join(import.meta.dirname, "..", "fixtures", "encoder", "f16");
    const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))), "f16");
    const name = [...tensors.keys()].find((k) => k.endsWith("attention.output.dense.weight"))!;
    (tensors.get(name)!.data as Float32Array)[2] = NaN;
    const bytes = serializeSafetensors(tensors, metadata);
    const config = readFileSync(join(dir, "config.json"), "utf8");
    let error: Error & { code?: string } = new Error("none");
    try {
      RobertaModel.load(config, bytes, { source: "f16" });
    } catch (err) {
      error = err as Error & { code?: string };
    }
    expect(error.code).toBe("EP_NONFINITE");
    expect(error.message).toMatch(new RegExp(`^f16/model\\.safetensors: ${name.replace(/\./g, "\\.")}: element 2 is f16 bits 0x7e00: not finite`));
    expect(() => RobertaModel.load(config, bytes, { source: "f16", allowNonFinite: true })).not.toThrow();
  });
});
