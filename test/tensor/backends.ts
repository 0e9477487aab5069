// The backends every encoder test runs on: js (the reference), and wasm on 1 and 2 threads where the
// engine runs here. A backend that cannot run is listed with the reason, so the suite shows it skipped.
import type { Backend } from "../../src/tensor/backend.js";
import { createBackend } from "../../src/tensor/choose-backend.js";
import { JsBackend, jsBackend } from "../../src/tensor/js-backend.js";
import { wasmBackendSupported } from "../../src/tensor/wasm-backend.js";

export interface TestBackend {
  label: string;
  backend: Backend | null;
  /** Why `backend` is null. */
  reason: string;
}

async function wasm(threads: number): Promise<TestBackend> {
  const label = `wasm×${threads}`;
  if (!wasmBackendSupported()) return { label, backend: null, reason: "WebAssembly SIMD engine unavailable here" };
  try {
    return { label, backend: await createBackend("wasm", { threads }), reason: "" };
  } catch (err) {
    return { label, backend: null, reason: (err as Error).message };
  }
}

/** js, js with the naive kernels, wasm×1, wasm×2. */
export const TEST_BACKENDS: TestBackend[] = [
  { label: "js", backend: jsBackend, reason: "" },
  { label: "js-naive", backend: new JsBackend({ naive: true }), reason: "" },
  await wasm(1),
  await wasm(2),
];
