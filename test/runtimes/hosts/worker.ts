// Module worker host: receives the model folder's URL, fetches the files, runs the parity case and
// posts the vectors (or the error) back to page.ts.
import { fetchModelBuffers, parityFromBuffers } from "../guest.js";
import type { WorkerReply } from "./page.js";

declare const self: {
  onmessage: ((event: { data: string }) => void) | null;
  postMessage(message: WorkerReply): void;
};

self.onmessage = async ({ data: modelUrl }) => {
  try {
    self.postMessage({ result: await parityFromBuffers(await fetchModelBuffers(modelUrl)) });
  } catch (err) {
    self.postMessage({ error: String((err as Error).stack ?? err) });
  }
};
