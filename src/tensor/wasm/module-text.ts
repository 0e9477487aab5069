// The kernel module's source: every kernel's WAT text in one `(module …)`. This is what a reader reads and
// what `npm run kernels` (scripts/make-kernels.ts) assembles, with our own assembler, into the bytes that
// kernels-binary.ts embeds; test/tensor/wasm/kernels-binary.test.ts checks that the two agree.
import { attentionKernels } from "./kernels/attention.js";
import { convertFunctions } from "./kernels/convert.js";
import { elementwiseKernels } from "./kernels/elementwise.js";
import { gemmKernels, type TileShape } from "./kernels/gemm.js";
import { int8Kernels } from "./kernels/gemm-int8.js";
import { layerNormKernels } from "./kernels/layernorm.js";
import { lstmKernels } from "./kernels/lstm.js";
import { mathFunctions } from "./kernels/math.js";
import { MAX_PAGES, TILE, TILE_ROWS_INT8 } from "./tiles.js";

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
