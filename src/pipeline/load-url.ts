// Loading a model over HTTP with `fetch`, for runtimes that have no file system: pages, workers,
// Deno, Bun, Cloudflare Workers. The files are those of a Hugging Face model folder; the bytes go to
// loadModelFromBuffers, so a folder loads the same whether it is read from disk or fetched.
import { ConfigError, EncoderPoolingError, TokenizerError, WeightsError } from "../errors.js";
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
  const { tokenizer = "auto", init, fetch: fetchFn = globalThis.fetch, ...loadOptions } = options;
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
    const response = await request("tokenizer.json", TokenizerError);
    if (response.status === 404 && tokenizer === "auto") return undefined;
    return ok(response, "tokenizer.json", TokenizerError).text();
  };

  const [config, weights, tokenizerText] = await Promise.all([text("config.json", ConfigError), bytes("model.safetensors", WeightsError), tokenizerJson()]);
  const files: ModelBuffers = { source: prefix.replace(/\/$/, "") || ".", config, weights };
  if (tokenizerText !== undefined) files.tokenizerJson = tokenizerText;
  else [files.vocab, files.merges] = await Promise.all([text("vocab.json", TokenizerError), text("merges.txt", TokenizerError)]);
  return loadModelFromBuffers(files, loadOptions);
}
