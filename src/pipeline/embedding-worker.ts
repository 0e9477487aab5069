// The script createEmbeddingWorker starts by default (as a module worker): it serves the page's requests.
import { serveEmbeddingWorker } from "./worker-host.js";

serveEmbeddingWorker();
