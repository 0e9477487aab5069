// PLACEHOLDER until the WasmEngine of branch `wasm` lands: the adapter is written against it then.
import { NotSupportedError } from "../errors.js";
import type { Backend, BackendOptions } from "./backend.js";

export function wasmBackendSupported(): boolean {
  return false;
}

export async function createWasmBackend(_options: BackendOptions = {}): Promise<Backend> {
  throw new NotSupportedError("backend \"wasm\": the WebAssembly engine is not built yet");
}
