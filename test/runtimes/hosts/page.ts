// Page host: page.html loads this module, which runs the parity case in the page itself (`?mode=page`,
// files fetched into buffers), in the page through loadModelFromUrl (`url`), in a module worker
// (`worker`), through createEmbeddingWorker (`embedding-worker`), or all of them (`all`). The results, by mode, are the promise `globalThis.parity` (for
// Playwright) and, with `?report`, a POST to /result (for a browser started from its command line).
import { fetchModelBuffers, parityFromBuffers, parityFromUrl, parityThroughWorker, type ParityReport, type ParityResult } from "../guest.js";

declare const location: { href: string };
declare const navigator: { userAgent: string };
declare class Worker {
  constructor(url: URL, options: { type: "module" });
  onmessage: ((event: { data: WorkerReply }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  postMessage(message: string): void;
  terminate(): void;
}

/** What worker.ts posts back. */
export type WorkerReply = { result: ParityResult } | { error: string };
/** By mode: the report, or the error's stack. */
export type PageResults = Record<string, ParityReport | { error: string }>;

const browser = /(HeadlessChrome|Chrome|Firefox)\/[\d.]+/.exec(navigator.userAgent)?.[0] ?? navigator.userAgent;
const modelUrl = new URL("model", location.href).href;

function inWorker(): Promise<ParityResult> {
  const worker = new Worker(new URL("worker.js", location.href), { type: "module" });
  return new Promise<ParityResult>((resolve, reject) => {
    worker.onmessage = ({ data }) => ("error" in data ? reject(new Error(data.error)) : resolve(data.result));
    worker.onerror = (event) => reject(new Error(`worker failed to start: ${event.message ?? "(no message)"}`));
    worker.postMessage(modelUrl);
  }).finally(() => worker.terminate());
}

/** Each mode: where it runs (for the report) and how. */
const modes: Record<string, { where: string; run: () => Promise<ParityResult> }> = {
  page: { where: `${browser} page, buffers`, run: async () => parityFromBuffers(await fetchModelBuffers(modelUrl)) },
  url: { where: `${browser} page, loadModelFromUrl`, run: () => parityFromUrl(modelUrl) },
  worker: { where: `${browser} module worker`, run: inWorker },
  "embedding-worker": { where: `${browser} page → createEmbeddingWorker`, run: () => parityThroughWorker(modelUrl, new URL("embedding-worker.js", location.href)) },
};

async function run(): Promise<PageResults> {
  const params = new URL(location.href).searchParams;
  const mode = params.get("mode") ?? "all";
  const results: PageResults = {};
  for (const name of mode === "all" ? Object.keys(modes) : [mode]) {
    const mode = modes[name];
    try {
      if (mode === undefined) throw new Error(`unknown mode ${name}`);
      results[name] = { runtime: mode.where, ...(await mode.run()) };
    } catch (err) {
      results[name] = { error: String((err as Error).stack ?? err) };
    }
  }
  if (params.has("report")) await fetch("/result", { method: "POST", body: JSON.stringify(results) });
  return results;
}

(globalThis as { parity?: Promise<PageResults> }).parity = run();
