// Loading a model over HTTP with `fetch`, for runtimes that have no file system: pages, workers,
// Deno, Bun, Cloudflare Workers. The files are those of a Hugging Face model folder; the bytes go to
// loadModelFromBuffers, so a folder loads the same whether it is read from disk or fetched.
import { ConfigError, EncoderPoolingError, TokenizerError, WeightsError } from "../errors.js";
import { folderFilesToRead, transformerPath, type FolderFiles } from "./folder-settings.js";
import { loadModelFromBuffers, type EncoderModel, type LoadOptions, type ModelBuffers } from "./model.js";

/** Options of `loadModelFromUrl`: those of `loadModelFromBuffers`, and how to fetch. */
export interface LoadFromUrlOptions extends LoadOptions {
  /**
   * Which tokenizer files to fetch. `"auto"` (default) asks for tokenizer.json and falls back to
   * vocab.json + merges.txt when the server answers 404; name one to skip that first request.
   */
  tokenizer?: "auto" | "tokenizer.json" | "vocab.json+merges.txt";
  /** Passed to every request: headers, credentials, an AbortSignal. */
  init?: RequestInit;
  /** The fetch to use (default: the global one), e.g. a Service Worker's or one that adds a cache. */
  fetch?: typeof fetch;
  /**
   * Also fetch the folder's settings files, as `loadModel` reads them from disk: modules.json, then the
   * Pooling module's config.json, sentence_bert_config.json, tokenizer_config.json,
   * special_tokens_map.json and config_sentence_transformers.json, each skipped when the server answers
   * 404. Default false (only the model and tokenizer files are requested).
   */
  settings?: boolean;
}

type ErrorKind = new (message: string, options?: ErrorOptions) => EncoderPoolingError;

/**
 * Loads a model folder from a URL: `${baseUrl}/config.json`, `model.safetensors`, and tokenizer.json
 * or vocab.json + merges.txt. A relative `baseUrl` resolves as `fetch` resolves it (against the page).
 * @example
 * const model = await loadModelFromUrl("https://example.com/models/roberta-base/");
 * const { vectors } = await model.embed(["Hello world"], { pooling: "mean" });
 */
export async function loadModelFromUrl(baseUrl: string | URL, options: LoadFromUrlOptions = {}): Promise<EncoderModel> {
  const { tokenizer = "auto", init, fetch: fetchFn = globalThis.fetch, settings = false, ...loadOptions } = options;
  if (typeof fetchFn !== "function") throw new EncoderPoolingError("loadModelFromUrl: this runtime has no fetch; pass options.fetch");
  // "models/x", "models/x/" and "https://h/models/x" all name a folder; "" is the current one.
  const prefix = String(baseUrl) === "" ? "" : String(baseUrl).replace(/\/*$/, "/");
  const urlOf = (name: string): string => prefix + name;

  // The response to one file; a network failure becomes an error of the file's kind, naming the URL.
  const request = async (name: string, kind: ErrorKind): Promise<Response> => {
    try {
      return await fetchFn(urlOf(name), init);
    } catch (err) {
      throw new kind(`${urlOf(name)}: fetch failed: ${(err as Error).message}`, { cause: err });
    }
  };
  const ok = (response: Response, name: string, kind: ErrorKind): Response => {
    if (response.ok) return response;
    throw new kind(`${urlOf(name)}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  };
  const text = async (name: string, kind: ErrorKind): Promise<string> => ok(await request(name, kind), name, kind).text();
  const bytes = async (name: string, kind: ErrorKind): Promise<ArrayBuffer> => ok(await request(name, kind), name, kind).arrayBuffer();
  // tokenizer.json, or undefined where it is not asked for or (in "auto") the server has none.
  const tokenizerJson = async (): Promise<string | undefined> => {
    if (tokenizer === "vocab.json+merges.txt") return undefined;
    const response = await request(model("tokenizer.json"), TokenizerError);
    if (response.status === 404 && tokenizer === "auto") return undefined;
    return ok(response, model("tokenizer.json"), TokenizerError).text();
  };

  // a settings file's text, or undefined when the server has none
  const optional = async (name: string): Promise<string | undefined> => {
    const response = await request(name, ConfigError);
    return response.status === 404 ? undefined : ok(response, name, ConfigError).text();
  };
  const folder: FolderFiles = {};
  if (settings) {
    const modules = await optional("modules.json");
    if (modules !== undefined) folder["modules.json"] = modules;
    const names = folderFilesToRead(modules, urlOf("modules.json"));
    const texts = await Promise.all(names.map(optional));
    names.forEach((name, i) => {
      if (texts[i] !== undefined) folder[name] = texts[i]!;
    });
  }
  const inner = transformerPath(folder["modules.json"], urlOf("modules.json"));
  const model = (name: string): string => (inner === "" ? name : `${inner}/${name}`);
  const [config, weights, tokenizerText] = await Promise.all([text(model("config.json"), ConfigError), bytes(model("model.safetensors"), WeightsError), tokenizerJson()]);
  const files: ModelBuffers = { source: prefix.replace(/\/$/, "") || ".", config, weights, ...(settings ? { folder } : {}) };
  if (tokenizerText !== undefined) files.tokenizerJson = tokenizerText;
  else [files.vocab, files.merges] = await Promise.all([text(model("vocab.json"), TokenizerError), text(model("merges.txt"), TokenizerError)]);
  return loadModelFromBuffers(files, loadOptions);
}
