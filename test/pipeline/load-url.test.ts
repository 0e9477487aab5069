// loadModelFromUrl in Node, against a small HTTP server on 127.0.0.1 serving the shipped model (the
// same function runs in a Chromium page in test/runtimes/parity.test.ts): which files it asks for,
// that it gives loadModelFromBuffers' vectors, and the typed error naming the URL when a file fails.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, EncoderPoolingError, loadModelFromBuffers, loadModelFromUrl, TokenizerError, WeightsError, type EncoderModel } from "../../src/index.js";
import { loadModel } from "../../src/io/load-model.js";
import { MODEL_DIR, MODEL_FILES, serveFolder, type Site } from "../runtimes/harness.js";

const TEXTS = ["The cat sat on the mat.", "naïve café 東京"];
const read = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");

/** The shipped vocab.json + merges.txt written as one Hugging Face tokenizer.json. */
function tokenizerJson(): string {
  const vocab = JSON.parse(read("vocab.json")) as Record<string, number>;
  const merges = read("merges.txt").split("\n").filter((line) => line !== "" && !line.startsWith("#version"));
  const special = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map((content) => ({
    id: vocab[content], content, special: true, lstrip: content === "<mask>", rstrip: false, single_word: false, normalized: true,
  }));
  return JSON.stringify({
    version: "1.0",
    added_tokens: special,
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true },
    post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, vocab, merges },
  });
}

async function vectorsOf(model: EncoderModel): Promise<number[][]> {
  return (await model.embed(TEXTS, { pooling: "mean" })).vectors.map((v) => Array.from(v));
}

let expected: number[][] = [];
let site: Site;
let withTokenizerJson: Site;
let folder = "";

beforeAll(async () => {
  const fromBuffers = await loadModelFromBuffers({
    config: read("config.json"),
    weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))),
    vocab: read("vocab.json"),
    merges: read("merges.txt"),
  });
  expected = await vectorsOf(fromBuffers);
  site = await serveFolder(MODEL_DIR);
  folder = mkdtempSync(join(tmpdir(), "encoder-pooling-url-"));
  for (const name of ["config.json", "model.safetensors"]) copyFileSync(join(MODEL_DIR, name), join(folder, name));
  writeFileSync(join(folder, "tokenizer.json"), tokenizerJson());
  withTokenizerJson = await serveFolder(folder);
});

afterAll(async () => {
  await site?.close();
  await withTokenizerJson?.close();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe("loadModelFromUrl over HTTP", () => {
  it("falls back to vocab.json + merges.txt when tokenizer.json is 404, and embeds as from buffers", async () => {
    site.requested.length = 0;
    const model = await loadModelFromUrl(site.url);
    expect(await vectorsOf(model)).toEqual(expected);
    expect([...site.requested].sort()).toEqual(["GET /config.json", "GET /merges.txt", "GET /model.safetensors", "GET /tokenizer.json", "GET /vocab.json"]);
  });

  it("takes tokenizer.json when the folder has one, and asks for nothing else", async () => {
    withTokenizerJson.requested.length = 0;
    const model = await loadModelFromUrl(new URL(withTokenizerJson.url));
    expect(await vectorsOf(model)).toEqual(expected);
    expect([...withTokenizerJson.requested].sort()).toEqual(["GET /config.json", "GET /model.safetensors", "GET /tokenizer.json"]);
  });

  it("asks for vocab.json + merges.txt only when told to, with or without a trailing slash", async () => {
    for (const base of [site.url, site.url.replace(/\/$/, "")]) {
      site.requested.length = 0;
      const model = await loadModelFromUrl(base, { tokenizer: "vocab.json+merges.txt" });
      expect(await vectorsOf(model)).toEqual(expected);
      expect(site.requested).not.toContain("GET /tokenizer.json");
      expect(site.requested).toHaveLength(MODEL_FILES.length);
    }
  });

  it("names the URL and the status in a typed error when a file is missing", async () => {
    const missing = `${site.url}no-such-model`;
    await expect(loadModelFromUrl(missing)).rejects.toThrow(ConfigError);
    await expect(loadModelFromUrl(missing)).rejects.toThrow(`${missing}/config.json: HTTP 404 Not Found`);
    const noVocab = loadModelFromUrl(withTokenizerJson.url, { tokenizer: "vocab.json+merges.txt" });
    await expect(noVocab).rejects.toThrow(TokenizerError);
    await expect(noVocab).rejects.toThrow(`${withTokenizerJson.url}vocab.json: HTTP 404 Not Found`);
  });
});

describe("loadModelFromUrl with settings: true reads a sentence-transformers folder as loadModel does", () => {
  it("fetches modules.json and the files it names, skipping the ones the server does not have", async () => {
    const stFolder = join(import.meta.dirname, "..", "fixtures", "sentence-transformers", "tiny-st");
    const st = await serveFolder(stFolder);
    try {
      const texts = ["The Keeper wrote", "a storm"];
      const model = await loadModelFromUrl(st.url, { settings: true });
      expect(model.folder.pooling).toEqual({ type: "combine", parts: ["cls", "max"] });
      const fromDisk = await (await loadModel(stFolder)).embed(texts);
      expect(Array.from((await model.embed(texts)).data)).toEqual(Array.from(fromDisk.data));
      expect(st.requested).toEqual(expect.arrayContaining(["GET /modules.json", "GET /1_Pooling/config.json", "GET /sentence_bert_config.json", "GET /tokenizer_config.json"]));
      site.requested.length = 0;
      expect((await loadModelFromUrl(site.url, { settings: true })).folder.pooling).toBeNull();
      expect(site.requested).toContain("GET /modules.json");
    } finally {
      await st.close();
    }
  });
});

describe("loadModelFromUrl with a given fetch", () => {
  /** A fetch over the shipped files that fails the ones named in `broken` as told. */
  const fakeFetch = (broken: Record<string, "500" | "network">, seen: Array<RequestInit | undefined> = []): typeof fetch =>
    (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push(init);
      const name = String(input).split("/").pop()!;
      if (broken[name] === "network") throw new TypeError("getaddrinfo ENOTFOUND models.example");
      if (broken[name] === "500") return new Response("oops", { status: 500, statusText: "Internal Server Error" });
      if (!MODEL_FILES.includes(name)) return new Response("", { status: 404 });
      return new Response(readFileSync(join(MODEL_DIR, name)));
    }) as typeof fetch;

  it("uses it, passing `init` (headers, signal) to every request", async () => {
    const seen: Array<RequestInit | undefined> = [];
    const init: RequestInit = { headers: { authorization: "Bearer t" } };
    const model = await loadModelFromUrl("https://models.example/tiny/", { fetch: fakeFetch({}, seen), init });
    expect(await vectorsOf(model)).toEqual(expected);
    expect(seen).toHaveLength(MODEL_FILES.length + 1);
    expect(seen.every((s) => s === init)).toBe(true);
  });

  it("turns a server error or a network failure into the file's error kind, with the URL", async () => {
    const base = "https://models.example/tiny";
    const serverError = loadModelFromUrl(base, { fetch: fakeFetch({ "model.safetensors": "500" }) });
    await expect(serverError).rejects.toThrow(WeightsError);
    await expect(serverError).rejects.toThrow(`${base}/model.safetensors: HTTP 500 Internal Server Error`);
    const failure = loadModelFromUrl(base, { fetch: fakeFetch({ "merges.txt": "network" }) });
    await expect(failure).rejects.toThrow(TokenizerError);
    await expect(failure).rejects.toThrow(`${base}/merges.txt: fetch failed: getaddrinfo ENOTFOUND models.example`);
    await expect(failure).rejects.toHaveProperty("cause.name", "TypeError");
  });

  it("is stopped by an AbortSignal in `init`", async () => {
    const controller = new AbortController();
    controller.abort();
    const pending = loadModelFromUrl(site.url, { init: { signal: controller.signal } });
    await expect(pending).rejects.toThrow(EncoderPoolingError);
    await expect(pending).rejects.toThrow(/\.(json|safetensors): fetch failed: .*abort/i);
  });
});
