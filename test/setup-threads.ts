// Tests import internal modules directly, not src/node.ts: install Node's worker_threads for the wasm
// engine's threads as the Node entry point does on import (the packaging test checks that one).
import { installNodeThreads } from "../src/io/worker-threads.js";

installNodeThreads();
