// The shapes the kernel module is built for, shared by its source (module-text.ts) and the engine.
import type { TileShape } from "./kernels/gemm.js";

/** The f32 GEMM tile: 4 rows × 8 columns, k not unrolled (kernels/gemm.ts says why, with the measurements). */
export const TILE: TileShape = { mr: 4, nr: 8, unroll: 1 };
/** Rows per int8 tile (8 columns, as TILE.nr). */
export const TILE_ROWS_INT8 = 4;
/** Largest memory in 64 KiB pages: 4 GiB, all that 32-bit addresses reach. */
export const MAX_PAGES = 65536;
