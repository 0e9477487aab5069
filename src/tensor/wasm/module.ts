// The kernel module: every kernel's WAT text in one `(module …)`, assembled by our assembler and compiled
// once per process (per memory kind), then instantiated on an engine's memory by each thread.
import { assemble } from "./assembler.js";
import { attentionKernels } from "./kernels/attention.js";
import { convertFunctions } from "./kernels/convert.js";
import { elementwiseKernels } from "./kernels/elementwise.js";
import { gemmKernels, type TileShape } from "./kernels/gemm.js";
import { int8Kernels } from "./kernels/gemm-int8.js";
import { layerNormKernels } from "./kernels/layernorm.js";
import { lstmKernels } from "./kernels/lstm.js";
import { mathFunctions } from "./kernels/math.js";
import { NotSupportedError } from "../../errors.js";
import { wasmApi, type WasmModule } from "./wasm-api.js";

/** The f32 GEMM tile: 4 rows × 8 columns, k not unrolled (gemm.ts says why, with the measurements). */
export const TILE: TileShape = { mr: 4, nr: 8, unroll: 1 };
/** Rows per int8 tile (8 columns, as TILE.nr). */
export const TILE_ROWS_INT8 = 4;
/** Largest memory in 64 KiB pages: 4 GiB, all that 32-bit addresses reach. */
export const MAX_PAGES = 65536;

/**
 * The complete module text; `shared` imports a shared memory (threads), otherwise a plain one. `tile` is
 * the f32 GEMM tile (the engine always uses TILE; other shapes are for measuring, see bench/kernels.ts).
 */
export function moduleText(shared: boolean, tile: TileShape = TILE): string {
  return `(module
  (import "env" "memory" (memory 1 ${MAX_PAGES}${shared ? " shared" : ""}))
  ${mathFunctions()}
  ${convertFunctions()}
  ${gemmKernels(tile)}
  ${int8Kernels(tile.nr, TILE_ROWS_INT8)}
  ${elementwiseKernels()}
  ${layerNormKernels()}
  ${attentionKernels(tile.nr)}
  ${lstmKernels()}
)`;
}

const compiled = new Map<boolean, Promise<WasmModule>>();

/**
 * The compiled kernel module, assembled and compiled on first use, then cached. Compiled asynchronously:
 * browsers refuse to compile large modules synchronously on their main thread.
 */
export function kernelModule(shared: boolean): Promise<WasmModule> {
  let module = compiled.get(shared);
  if (module === undefined) {
    const api = wasmApi();
    if (api === null) return Promise.reject(new NotSupportedError("this JavaScript host has no WebAssembly"));
    module = api.compile(assemble(moduleText(shared)));
    compiled.set(shared, module);
  }
  return module;
}
