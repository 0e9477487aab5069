// GEMM micro-kernels on f32x4 (128-bit SIMD). Legend: M rows of x / y, K reduction, N columns (out features).
// A packed panel holds NR consecutive columns of the right-hand operand, k-major: panel[k][j] = W[p·NR + j, k]
// for a weight W [N,K] (PyTorch's (out, in)), zero-padded past N. One step k of a tile loads the NR/4 vectors
// of panel row k and multiplies each by a broadcast x[i,k] for MR rows:
//   y[i0..i0+MR, p·NR..p·NR+NR] = Σ_k x[i,k] · panel[k,:]   (+ bias, then GELU; or y = alpha·Σ + y)
// Every output element is summed in k order with a multiply then an add (WebAssembly SIMD has no FMA), so
// a result does not depend on the tile shape, on the row blocking, or on how rows and panels are split
// between threads: bit-identical for any thread count.
//
// Why 4×8 and no unrolling (V8 11.3 / Node 20 on x64, 16 xmm registers, of which TurboFan allocates 15):
// the tile keeps 8 accumulators + 2 panel vectors + 1 broadcast = 11 registers live, and each step k is
// 2 vector loads + 4 broadcast loads (vbroadcastss) for 8 multiplies and 8 adds. Larger tiles spill, and so
// does unrolling k: TurboFan hoists every load of the unrolled body to its top, which needs more registers
// than there are (seen in --print-wasm-code). Measured with the roberta-base shapes (M = 1024, CPU time
// of one thread on this shared Zen 5 machine, GFLOP/s for 768→768 / 768→3072 / 3072→768):
//   4×8: 50 / 46 / 44      4×8 unrolled ×2: 32 / 30 / 26     ×4: 27 / 27 / 27
//   5×8: 22 / 21 / 20      6×8: 26 / 25 / 22      3×12: 20 / 20 / 19      4×12: 26 / 26 / 24
//   3×8: 41 / 44 / 38      2×16: 45 / 43 / 36     (the TS tiled kernel: ≈ 5)
// Row blocks of 256 KB of x (64–256 KB measured alike) keep a block in L2 while all panels pass through.
// `linear` also packs each row block of x interleaved by MR rows ([k][MR]), so a step reads its 4 broadcasts
// from one pointer at offsets 0, 4, 8, 12 and advances 2 pointers instead of 5: +10–18 % measured A/B in
// one run (CPU time, a loaded machine: 30 → 35, 28 → 33, 26 → 32 GFLOP/s on the three shapes).
import { lines, locals, params, range, rowBlocksByPanels } from "./wat-util.js";

/** Tile shape: rows of x per tile (MR), columns per panel (NR, a multiple of 4), steps of k per loop trip. */
export interface TileShape { readonly mr: number; readonly nr: number; readonly unroll?: number }

/** The accumulator name of row r, vector j (columns 4j..4j+3). */
export const acc = (r: number, j: number): string => `$c${r}_${j}`;

const TILE_PARAMS = ["$x", "$ldx", "$w", "$K", "$y", "$ldy", "$bias", "$cols", "$act", "$pre", "$accumulate"];

/**
 * `$tile_f32_<mr>`: mr rows × NR columns of y from a packed f32 panel. Epilogue, in order: + bias (when ≠ 0);
 * y += (when $accumulate) the old y; GELU when $act (the pre-activation stored to $pre first when ≠ 0).
 * Only the first $cols columns are stored (the last panel of an N that is not a multiple of NR).
 */
function tileF32(shape: TileShape, mr: number, unroll: number, packed = false): string {
  const { nr } = shape;
  const kStep = packed ? 4 * shape.mr : 4; // bytes from x[r,k] to x[r,k+1]
  const xPtr = (r: number): string => (packed ? "$x0" : `$x${r}`);
  const xOff = (r: number, u: number): number => (packed ? 4 * r + u * kStep : u * 4);
  const nv = nr / 4;
  const rows = range(mr);
  const vecs = range(nv);
  const accs = rows.flatMap((r) => vecs.map((j) => acc(r, j)));
  const step = (u: number): string[] => [
    ...vecs.map((j) => `(local.set $b${j} (v128.load offset=${(u * nr + 4 * j) * 4} (local.get $wp)))`),
    ...rows.flatMap((r) => [
      `(local.set $a (v128.load32_splat offset=${xOff(r, u)} (local.get ${xPtr(r)})))`,
      ...vecs.map((j) => `(local.set ${acc(r, j)} (f32x4.add (local.get ${acc(r, j)}) (f32x4.mul (local.get $a) (local.get $b${j}))))`),
    ]),
  ];
  const advance = (k: number): string[] => [
    `(local.set $wp (i32.add (local.get $wp) (i32.const ${k * nr * 4})))`,
    ...(packed ? [0] : rows).map((r) => `(local.set $x${r} (i32.add (local.get $x${r}) (i32.const ${k * kStep})))`),
  ];
  return `
  (func $tile_f32${packed ? "p" : ""}_${mr} ${params("i32", TILE_PARAMS)}
    ${locals("i32", ["$wp", "$wend", "$wend4", ...rows.map((r) => `$x${r}`), "$yr"])}
    ${locals("v128", ["$a", ...vecs.map((j) => `$b${j}`), ...accs])}
    ;; row pointers x_r = x + r·ldx (packed: the rows interleaved, [k][MR], from one pointer)
    ${lines((packed ? [0] : rows).map((r) => `(local.set $x${r} (i32.add (local.get $x) (i32.mul (local.get $ldx) (i32.const ${r}))))`))}
    (local.set $wp (local.get $w))
    (local.set $wend (i32.add (local.get $w) (i32.mul (local.get $K) (i32.const ${nr * 4}))))
    (local.set $wend4 (i32.add (local.get $w) (i32.mul (i32.and (local.get $K) (i32.const ${-unroll})) (i32.const ${nr * 4}))))
    ;; c[r,:] += x[r,k] · panel[k,:], ${unroll} steps of k per trip, then one at a time
    (if (i32.lt_u (local.get $wp) (local.get $wend4)) (then
      (loop $k
        ${lines(range(unroll).flatMap(step))}
        ${lines(advance(unroll))}
        (br_if $k (i32.lt_u (local.get $wp) (local.get $wend4))))))
    (if (i32.lt_u (local.get $wp) (local.get $wend)) (then
      (loop $k1
        ${lines(step(0))}
        ${lines(advance(1))}
        (br_if $k1 (i32.lt_u (local.get $wp) (local.get $wend))))))
    ;; epilogue
    ${addBias(mr, nv)}
    (if (local.get $accumulate) (then ${addRows(mr, nv)}))
    ${activateAndStore(mr, nv)}
  )`;
}

/** Tile epilogue, part 1: when $bias is not 0, add bias[col…] to every accumulator (through $b0…). */
export function addBias(mr: number, nv: number): string {
  const accs = range(mr).flatMap((r) => range(nv).map((j) => acc(r, j)));
  return `(if (local.get $bias) (then
      ${lines(range(nv).map((j) => `(local.set $b${j} (v128.load offset=${16 * j} (local.get $bias)))`))}
      ${lines(accs.map((c, i) => `(local.set ${c} (f32x4.add (local.get ${c}) (local.get $b${i % nv})))`))}))`;
}

/** Tile epilogue, part 2: when $act, keep the pre-activation at $pre (if not 0) and apply GELU; store at $y. */
export function activateAndStore(mr: number, nv: number): string {
  const accs = range(mr).flatMap((r) => range(nv).map((j) => acc(r, j)));
  return `(if (local.get $act) (then
      (if (local.get $pre) (then
        ${storeRows(mr, nv, "$pre")}))
      ${lines(accs.map((c) => `(local.set ${c} (call $gelu4 (local.get ${c})))`))}))
    ${storeRows(mr, nv, "$y")}`;
}

/** Stores the accumulators row by row at `base` + r·ldy: all NR columns, or only the first $cols. */
export function storeRows(mr: number, nv: number, base: string): string {
  const full = range(mr).flatMap((r) => [
    ...range(nv).map((j) => `(v128.store offset=${16 * j} (local.get $yr) (local.get ${acc(r, j)}))`),
    `(local.set $yr (i32.add (local.get $yr) (local.get $ldy)))`,
  ]);
  const partial = range(mr).flatMap((r) => [
    ...range(nv * 4).map((c) =>
      `(if (i32.gt_u (local.get $cols) (i32.const ${c})) (then (f32.store offset=${4 * c} (local.get $yr) (f32x4.extract_lane ${c % 4} (local.get ${acc(r, c >> 2)})))))`),
    `(local.set $yr (i32.add (local.get $yr) (local.get $ldy)))`,
  ]);
  return `(local.set $yr (local.get ${base}))
      (if (i32.ge_u (local.get $cols) (i32.const ${nv * 4}))
        (then ${lines(full)})
        (else ${lines(partial)}))`;
}

/** c += y (the old values) row by row, all NR columns or only the first $cols. */
function addRows(mr: number, nv: number): string {
  const full = range(mr).flatMap((r) => [
    ...range(nv).map((j) => `(local.set ${acc(r, j)} (f32x4.add (local.get ${acc(r, j)}) (v128.load offset=${16 * j} (local.get $yr))))`),
    `(local.set $yr (i32.add (local.get $yr) (local.get $ldy)))`,
  ]);
  const partial = range(mr).flatMap((r) => [
    ...range(nv * 4).map((c) =>
      `(if (i32.gt_u (local.get $cols) (i32.const ${c})) (then (local.set ${acc(r, c >> 2)} (f32x4.replace_lane ${c % 4} (local.get ${acc(r, c >> 2)}) (f32.add (f32x4.extract_lane ${c % 4} (local.get ${acc(r, c >> 2)})) (f32.load offset=${4 * c} (local.get $yr)))))))`),
    `(local.set $yr (i32.add (local.get $yr) (local.get $ldy)))`,
  ]);
  return `(local.set $yr (local.get $y))
      (if (i32.ge_u (local.get $cols) (i32.const ${nv * 4}))
        (then ${lines(full)})
        (else ${lines(partial)}))`;
}

/**
 * `$panel_rows(tile params…, M)`: M rows of x against one packed panel, in tiles of MR rows and one smaller
 * tile for the M mod MR rows left.
 */
function panelRows(shape: TileShape, packed = false): string {
  const { mr } = shape;
  const name = packed ? "f32p" : "f32";
  const call = (m: number): string => `(call $tile_${name}_${m} ${TILE_PARAMS.map((p) => `(local.get ${p})`).join(" ")})`;
  // the next tile's rows: MR rows further, or (packed) the next group of MR interleaved rows, $ldx bytes on
  const advance = `(local.set $x (i32.add (local.get $x) ${packed ? "(local.get $ldx)" : `(i32.mul (local.get $ldx) (i32.const ${mr}))`}))
          (local.set $y (i32.add (local.get $y) (i32.mul (local.get $ldy) (i32.const ${mr}))))
          (if (local.get $pre) (then (local.set $pre (i32.add (local.get $pre) (i32.mul (local.get $ldy) (i32.const ${mr}))))))`;
  return `
  (func $panel_rows${packed ? "_p" : ""} ${params("i32", [...TILE_PARAMS, "$M"])}
    (block $done (loop $tiles
      (br_if $done (i32.lt_s (local.get $M) (i32.const ${mr})))
      ${call(mr)}
      ${advance}
      (local.set $M (i32.sub (local.get $M) (i32.const ${mr})))
      (br $tiles)))
    ${lines(range(mr - 1).map((m) => `(if (i32.eq (local.get $M) (i32.const ${m + 1})) (then ${call(m + 1)}))`))}
  )`;
}

/**
 * pack_rows(dst, x, ldx, rows, K, cs): rows of x [rows, K] interleaved by groups of MR: dst[g][k][i] =
 * x[g·MR + i, k], so that a tile reads its MR values of step k from one pointer. x[r, k] is at
 * x + r·ldx + k·cs bytes: cs = 4 for a row-major x, or (ldx = 4, cs = 4·lda) to pack the rows of Aᵀ from
 * A's columns — the transpose costs nothing more than the packing.
 */
function packRows(shape: TileShape): string {
  const { mr } = shape;
  return `
  (func $pack_rows ${params("i32", ["$dst", "$x", "$ldx", "$rows", "$K", "$cs"])} (local $r i32) (local $k i32) (local $src i32) (local $d i32)
    (block $done (loop $rowsLoop
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $src (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $ldx))))
      ;; row r goes to group r / MR, lane r mod MR
      (local.set $d (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (i32.div_u (local.get $r) (i32.const ${mr})) (i32.mul (local.get $K) (i32.const ${mr})))
                                                              (i32.rem_u (local.get $r) (i32.const ${mr}))) (i32.const 2))))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
        (f32.store (local.get $d) (f32.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $cs)))
        (local.set $d (i32.add (local.get $d) (i32.const ${4 * mr})))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rowsLoop)))
  )`;
}

/**
 * pack_cols(dst, x, cs, rows, K): as pack_rows for x[r, k] at x + 4·r + k·cs (the rows of Aᵀ, from A's
 * columns): there the MR = 4 values of step k of a group lie side by side, so each is one v128 load and
 * store; the rows past the last whole group go through pack_rows. Why not pack_rows with a column stride:
 * it walks each row down a column of A, a cache line per value (dW = dyᵀ·x, 1024·768·3072: 40.2 → 45.4 GFLOP/s).
 */
function packCols(shape: TileShape): string {
  const { mr } = shape;
  if (mr !== 4) throw new Error("pack_cols: written for MR = 4 (one v128 per step)");
  return `
  (func $pack_cols ${params("i32", ["$dst", "$x", "$cs", "$rows", "$K"])} (local $g i32) (local $groups i32) (local $k i32) (local $src i32) (local $d i32)
    (local.set $groups (i32.shr_u (local.get $rows) (i32.const 2)))
    (block $done (loop $groupsLoop
      (br_if $done (i32.ge_u (local.get $g) (local.get $groups)))
      (local.set $src (i32.add (local.get $x) (i32.shl (local.get $g) (i32.const 4))))
      (local.set $d (i32.add (local.get $dst) (i32.mul (local.get $g) (i32.shl (local.get $K) (i32.const 4)))))
      (local.set $k (i32.const 0))
      (block $kd (loop $kl
        (br_if $kd (i32.ge_u (local.get $k) (local.get $K)))
        (v128.store (local.get $d) (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $cs)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kl)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $groupsLoop)))
    ;; the rows of the last, partial group
    (if (i32.and (local.get $rows) (i32.const 3)) (then
      (call $pack_rows (i32.add (local.get $dst) (i32.mul (local.get $groups) (i32.shl (local.get $K) (i32.const 4))))
        (i32.add (local.get $x) (i32.shl (local.get $groups) (i32.const 4))) (i32.const 4)
        (i32.and (local.get $rows) (i32.const 3)) (local.get $K) (local.get $cs))))
  )`;
}

/**
 * linear(y, x, w, bias, K, N, act, pre, dtype, scratch, rowBlock, rowStart, rowEnd, panelStart, panelEnd):
 * y[M,N] = x[M,K] · Wᵀ + bias (then GELU when act) over rows [rowStart, rowEnd) and panels
 * [panelStart, panelEnd). Rows go in blocks of `rowBlock` (the caller picks it so that a block of x stays
 * in L2) and each block meets every panel of the range, so a panel is reused by all tiles of a block.
 * dtype 1 (f16) / 2 (bf16): each panel is first widened to f32 in `scratch` (K·NR floats) and used from
 * there, so half-size weights cost one conversion per panel and row block, not one per multiply.
 */
function linear(shape: TileShape): string {
  const { nr } = shape;
  // per row block: this block of x, interleaved by MR rows, goes behind the widened panel in scratch
  const packBlock = `(local.set $xp (i32.add (local.get $scratch) (i32.mul (local.get $K) (i32.const ${nr * 4}))))
      (call $pack_rows (local.get $xp) (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $ldx))) (local.get $ldx)
        (i32.sub (local.get $r1) (local.get $r0)) (local.get $K) (i32.const 4))`;
  // per (row block, panel): widen the panel if the weights are half-size, then every row of the block meets it
  const panelTimesBlock = `(if (i32.eqz (local.get $dtype))
          (then (local.set $panel (i32.add (local.get $w) (i32.mul (local.get $p) (i32.mul (local.get $K) (i32.const ${nr * 4}))))))
          (else
            (call $widen (local.get $scratch) (i32.add (local.get $w) (i32.mul (local.get $p) (i32.mul (local.get $K) (i32.const ${nr * 2}))))
                         (i32.mul (local.get $K) (i32.const ${nr})) (local.get $dtype))
            (local.set $panel (local.get $scratch))))
        (call $panel_rows_p
          (local.get $xp) (i32.mul (local.get $K) (i32.const ${shape.mr * 4})) (local.get $panel) (local.get $K)
          (i32.add (i32.add (local.get $y) (i32.mul (local.get $r0) (local.get $ldy))) (i32.shl (local.get $col) (i32.const 2))) (local.get $ldy)
          (if (result i32) (local.get $bias) (then (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2)))) (else (i32.const 0)))
          (i32.sub (local.get $N) (local.get $col)) (local.get $act)
          (if (result i32) (local.get $pre)
            (then (i32.add (i32.add (local.get $pre) (i32.mul (local.get $r0) (local.get $ldy))) (i32.shl (local.get $col) (i32.const 2))))
            (else (i32.const 0)))
          (i32.const 0) (i32.sub (local.get $r1) (local.get $r0)))`;
  return `
  (func $linear (export "linear")
    ${params("i32", ["$y", "$x", "$w", "$bias", "$K", "$N", "$act", "$pre", "$dtype", "$scratch", "$rowBlock", "$rowStart", "$rowEnd", "$panelStart", "$panelEnd"])}
    ${locals("i32", ["$r0", "$r1", "$p", "$ldx", "$ldy", "$col", "$panel", "$xp"])}
    (local.set $ldx (i32.shl (local.get $K) (i32.const 2)))
    (local.set $ldy (i32.shl (local.get $N) (i32.const 2)))
    ${rowBlocksByPanels(nr, packBlock, panelTimesBlock)}
  )`;
}

/**
 * pack_panels(dst, b, ldb, transB, K, N, panelStart, panelEnd): op(B) [K,N] — B [K,N] or, when transB, Bᵀ
 * for B [N,K]; ldb in elements — into panels of NR columns as `linear` reads its weights: panel p at
 * dst + p·K·NR floats, [k][j] = op(B)[k, p·NR + j], zero past N.
 *
 * gemm(transA, N, K, a, lda, bp, c, ldc, accumulate, scratch, rowBlock, rowStart, rowEnd, panelStart, panelEnd):
 * C[M,N] (+)= op(A)·op(B) over rows [rowStart, rowEnd) and panels [panelStart, panelEnd) of the packed
 * op(B) at bp; op(A) = A [M,K] or, when transA, Aᵀ for A [K,M]; leading dimensions in elements. The loop
 * nest of `linear`: each block of rowBlock rows of op(A) is packed, interleaved by MR rows, into `scratch`
 * (straight from A's columns when transA), and meets every panel. Why: the first version packed only
 * op(B), panel by panel, and ran the tiles on A's rows in place, after a transpose pass for Aᵀ; on
 * the roberta-base backward shapes (one thread, M·N·K = 1024·768·3072, measured side by side on a busy
 * machine) dx = dy·W went 44.5 → 45.6 GFLOP/s and dW = dyᵀ·x 39.4 → 45.4 (31–33 before the tiled
 * transpose), where linear runs at 47.3: training's products now run at the forward's speed.
 */
function gemm(shape: TileShape): string {
  const { nr, mr } = shape;
  return `
  (func $pack_panels (export "pack_panels")
    ${params("i32", ["$dst", "$b", "$ldb", "$transB", "$K", "$N", "$panelStart", "$panelEnd"])}
    ${locals("i32", ["$p", "$col", "$k", "$j", "$src", "$cols"])}
    ;; panels are K·NR floats each, written one after the other from the first of this range
    (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $panelStart) (i32.mul (local.get $K) (i32.const ${nr * 4})))))
    (local.set $p (local.get $panelStart))
    (block $done (loop $panels
      (br_if $done (i32.ge_u (local.get $p) (local.get $panelEnd)))
      (local.set $col (i32.mul (local.get $p) (i32.const ${nr})))
      (local.set $cols (i32.sub (local.get $N) (local.get $col)))
      (local.set $k (i32.const 0))
      (block $packed (loop $rows
        (br_if $packed (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $j (i32.const 0))
        (loop $cols_
          (if (i32.lt_u (local.get $j) (local.get $cols))
            (then
              (local.set $src (if (result i32) (local.get $transB)
                (then (i32.add (i32.mul (i32.add (local.get $col) (local.get $j)) (local.get $ldb)) (local.get $k)))
                (else (i32.add (i32.mul (local.get $k) (local.get $ldb)) (i32.add (local.get $col) (local.get $j))))))
              (f32.store (local.get $dst) (f32.load (i32.add (local.get $b) (i32.shl (local.get $src) (i32.const 2))))))
            (else (f32.store (local.get $dst) (f32.const 0))))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $cols_ (i32.lt_u (local.get $j) (i32.const ${nr}))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rows)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $panels)))
  )

  (func $gemm (export "gemm")
    ${params("i32", ["$transA", "$N", "$K", "$a", "$lda", "$bp", "$c", "$ldc", "$accumulate", "$scratch", "$rowBlock", "$rowStart", "$rowEnd", "$panelStart", "$panelEnd"])}
    ${locals("i32", ["$r0", "$r1", "$p", "$col", "$rs", "$cs", "$ldy"])}
    ;; op(A)[r, k] at a + r·rs + k·cs bytes
    (if (local.get $transA)
      (then (local.set $rs (i32.const 4)) (local.set $cs (i32.shl (local.get $lda) (i32.const 2))))
      (else (local.set $rs (i32.shl (local.get $lda) (i32.const 2))) (local.set $cs (i32.const 4))))
    (local.set $ldy (i32.shl (local.get $ldc) (i32.const 2)))
    ${rowBlocksByPanels(nr, `(if (local.get $transA)
        (then (call $pack_cols (local.get $scratch) (i32.add (local.get $a) (i32.mul (local.get $r0) (local.get $rs))) (local.get $cs)
          (i32.sub (local.get $r1) (local.get $r0)) (local.get $K)))
        (else (call $pack_rows (local.get $scratch) (i32.add (local.get $a) (i32.mul (local.get $r0) (local.get $rs))) (local.get $rs)
          (i32.sub (local.get $r1) (local.get $r0)) (local.get $K) (local.get $cs))))`,
    `(call $panel_rows_p
          (local.get $scratch) (i32.mul (local.get $K) (i32.const ${mr * 4}))
          (i32.add (local.get $bp) (i32.mul (local.get $p) (i32.mul (local.get $K) (i32.const ${nr * 4})))) (local.get $K)
          (i32.add (i32.add (local.get $c) (i32.mul (local.get $r0) (local.get $ldy))) (i32.shl (local.get $col) (i32.const 2))) (local.get $ldy)
          (i32.const 0) (i32.sub (local.get $N) (local.get $col)) (i32.const 0) (i32.const 0)
          (local.get $accumulate) (i32.sub (local.get $r1) (local.get $r0)))`)}
  )

  ;; transpose(dst, src, cols, ld, rows, start, end): dst[c, r] = src[r·ld + c] for rows r in [start, end) of
  ;; src, dst [cols, rows of src] with leading dimension $rows (all in elements). In tiles of 16 × 16: a tile's
  ;; 16 source rows and 16 destination rows stay in L1, where a whole source row at a time wrote each
  ;; element to another cache line (1024 × 3072 floats, one thread: 42.9 → 6.9 ms). Used by attention's
  ;; backward; gemm packs Aᵀ itself (pack_cols).
  (func $transpose ${params("i32", ["$dst", "$src", "$cols", "$ld", "$rows", "$start", "$end"])}
    ${locals("i32", ["$r0", "$r1", "$c0", "$c1", "$r", "$c"])}
    (local.set $r0 (local.get $start))
    (block $done (loop $rowTiles
      (br_if $done (i32.ge_u (local.get $r0) (local.get $end)))
      (local.set $r1 (i32.add (local.get $r0) (i32.const 16)))
      (if (i32.gt_u (local.get $r1) (local.get $end)) (then (local.set $r1 (local.get $end))))
      (local.set $c0 (i32.const 0))
      (block $colsDone (loop $colTiles
        (br_if $colsDone (i32.ge_u (local.get $c0) (local.get $cols)))
        (local.set $c1 (i32.add (local.get $c0) (i32.const 16)))
        (if (i32.gt_u (local.get $c1) (local.get $cols)) (then (local.set $c1 (local.get $cols))))
        ;; the tile: for each column c, its run of rows r0..r1 is contiguous in dst
        (local.set $c (local.get $c0))
        (block $tileDone (loop $tileCols
          (br_if $tileDone (i32.ge_u (local.get $c) (local.get $c1)))
          (local.set $r (local.get $r0))
          (block $runDone (loop $run
            (br_if $runDone (i32.ge_u (local.get $r) (local.get $r1)))
            (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ld)) (local.get $c)) (i32.const 2)))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $run)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $tileCols)))
        (local.set $c0 (local.get $c1))
        (br $colTiles)))
      (local.set $r0 (local.get $r1))
      (br $rowTiles)))
  )`;
}

/** Every f32 GEMM function: tiles 1..MR, $panel_rows, linear, pack_panels, gemm, transpose. */
export function gemmKernels(shape: TileShape): string {
  return [
    ...range(shape.mr).map((m) => tileF32(shape, m + 1, shape.unroll ?? 1)),
    ...range(shape.mr).map((m) => tileF32(shape, m + 1, shape.unroll ?? 1, true)),
    panelRows(shape), panelRows(shape, true), packRows(shape), packCols(shape), linear(shape), gemm(shape),
  ].join("\n");
}
