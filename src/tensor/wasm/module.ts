// The kernel module, compiled once per process (per memory kind), then instantiated on an engine's memory
// by each thread. Its bytes are embedded (kernels-binary.ts): assembled by our assembler from the WAT source
// in module-text.ts and kernels/ when `npm run kernels` runs, and deflated. Why not assemble at run time:
// a page that embeds text would carry the assembler and ~80 KB of kernel text (12.5 KB gzip) instead of
// ~10 KB — measured by `npm run size`, whose budget this keeps.
import { NotSupportedError } from "../../errors.js";
import { KERNELS_BASE64, MEMORY_FLAGS_OFFSET } from "./kernels-binary.js";
import { wasmApi, type WasmModule } from "./wasm-api.js";

export { MAX_PAGES, TILE, TILE_ROWS_INT8 } from "./tiles.js";

/** Memory limits flags of the module's memory import: bit 0 = has a maximum, bit 1 = shared. */
const PLAIN_WITH_MAX = 0x01, SHARED_WITH_MAX = 0x03;

/** The module's bytes: the embedded binary, inflated, with the memory import marked shared (threads) or not. */
export async function kernelBytes(shared: boolean): Promise<Uint8Array> {
  if (typeof DecompressionStream === "undefined") throw new NotSupportedError("this JavaScript host has no DecompressionStream to unpack the wasm kernels");
  const text = atob(KERNELS_BASE64);
  const deflated = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) deflated[i] = text.charCodeAt(i);
  const inflated = new Response(new Blob([deflated]).stream().pipeThrough(new DecompressionStream("deflate-raw")));
  const bytes = new Uint8Array(await inflated.arrayBuffer());
  bytes[MEMORY_FLAGS_OFFSET] = shared ? SHARED_WITH_MAX : PLAIN_WITH_MAX;
  return bytes;
}

/** WAT of the SIMD probe: a module that validates only where 128-bit SIMD is supported. */
export const SIMD_PROBE_TEXT = "(module (func (result v128) (f32x4.add (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0))))";

/** SIMD_PROBE_TEXT assembled (a test checks the bytes against the assembler). */
export const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 7, 1, 0, 10, 43, 1, 41, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 228, 1, 11,
]);

const compiled = new Map<boolean, Promise<WasmModule>>();

/**
 * The compiled kernel module, compiled on first use, then cached. Compiled asynchronously: browsers refuse
 * to compile large modules synchronously on their main thread.
 */
export function kernelModule(shared: boolean): Promise<WasmModule> {
  let module = compiled.get(shared);
  if (module === undefined) {
    const api = wasmApi();
    if (api === null) return Promise.reject(new NotSupportedError("this JavaScript host has no WebAssembly"));
    module = kernelBytes(shared).then((bytes) => api.compile(bytes));
    compiled.set(shared, module);
  }
  return module;
}
