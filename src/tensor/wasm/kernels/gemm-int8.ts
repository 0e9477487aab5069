// Dynamically quantized int8 linear layer (the reference is src/tensor/ops/linear-int8.ts, bit for bit).
// Legend: M rows (tokens), K in-features (Kp = K rounded up to even), N out-features.
//   W: int8 per output row o with scale sw[o] = max|W[o,:]|/127 (at load); x: per row i at run time,
//   sx[i] = max|x[i,:]|/127, xq = round_half_even(x · 127/max|x|) stored as int16 pairs.
//   y[i,o] = f32(Σ_k xq[i,k]·wq[o,k]) · (sx[i]·sw[o]) + bias[o]: the sum is exact in i32 (|q| ≤ 127).
// Panel layout for i32x4.dot_i16x8_s: per pair of k, NR outputs × 2 k as int8: [o0k0 o0k1 o1k0 o1k1 …];
// v128.load8x8_s widens 4 outputs' pairs to i16x8, the x pair is splat as one i32, and one dot gives
// the 4 outputs' two-k partial sums: 2·MR·NR multiply-adds per step from NR/4 + MR loads.
import { acc, activateAndStore, addBias } from "./gemm.js";
import { lines, locals, params, range, rowBlocksByPanels } from "./wat-util.js";

function tileI8(nr: number, mr: number): string {
  const nv = nr / 4;
  const rows = range(mr);
  const vecs = range(nv);
  const accs = rows.flatMap((r) => vecs.map((j) => acc(r, j)));
  return `
  (func $tile_i8_${mr} ${params("i32", ["$x", "$ldx", "$sx", "$w", "$sw", "$Kp", "$y", "$ldy", "$bias", "$cols", "$act", "$pre"])}
    ${locals("i32", ["$wp", "$wend", ...rows.map((r) => `$x${r}`), "$yr"])}
    ${locals("v128", ["$a", "$s", ...vecs.map((j) => `$b${j}`), ...accs])}
    ${lines(rows.map((r) => `(local.set $x${r} (i32.add (local.get $x) (i32.mul (local.get $ldx) (i32.const ${r}))))`))}
    (local.set $wp (local.get $w))
    (local.set $wend (i32.add (local.get $w) (i32.mul (local.get $Kp) (i32.const ${nr}))))
    ;; per pair of k: c[r,:] += dot(x[r, k:k+2] splat, panel pairs)
    (if (i32.lt_u (local.get $wp) (local.get $wend)) (then
      (loop $k
        ${lines(vecs.map((j) => `(local.set $b${j} (v128.load8x8_s offset=${8 * j} (local.get $wp)))`))}
        ${lines(rows.flatMap((r) => [
          `(local.set $a (v128.load32_splat (local.get $x${r})))`,
          ...vecs.map((j) => `(local.set ${acc(r, j)} (i32x4.add (local.get ${acc(r, j)}) (i32x4.dot_i16x8_s (local.get $a) (local.get $b${j}))))`),
          `(local.set $x${r} (i32.add (local.get $x${r}) (i32.const 4)))`,
        ]))}
        (local.set $wp (i32.add (local.get $wp) (i32.const ${2 * nr})))
        (br_if $k (i32.lt_u (local.get $wp) (local.get $wend))))))
    ;; y = f32(c) · (sx[r] · sw[:]) (+ bias)
    ${lines(vecs.map((j) => `(local.set $b${j} (v128.load offset=${16 * j} (local.get $sw)))`))}
    ${lines(rows.flatMap((r) => [
      `(local.set $s (v128.load32_splat offset=${4 * r} (local.get $sx)))`,
      ...vecs.map((j) => `(local.set ${acc(r, j)} (f32x4.mul (f32x4.convert_i32x4_s (local.get ${acc(r, j)})) (f32x4.mul (local.get $s) (local.get $b${j}))))`),
    ]))}
    ${addBias(mr, nv)}
    ${activateAndStore(mr, nv)}
  )`;
}

/**
 * linear_i8(y, xq, sx, w, sw, bias, Kp, N, act, pre, rowBlock, rowStart, rowEnd, panelStart, panelEnd): as
 * `linear`, from quantized rows xq [M,Kp] (int16) with scales sx [M] and a packed int8 weight with scales sw [N
 * rounded up to NR]. quantize_rows(xq, sx, x, K, Kp, start, end) makes xq and sx from x [M,K].
 */
export function int8Kernels(nr: number, mr: number): string {
  const call = (m: number): string =>
    `(call $tile_i8_${m} (local.get $xr) (local.get $ldx) (local.get $sxr) (local.get $panel) (local.get $swp) (local.get $Kp)
       (local.get $yr) (local.get $ldy) (local.get $br) (local.get $cols) (local.get $act) (local.get $prer))`;
  const advance = `(local.set $xr (i32.add (local.get $xr) (i32.mul (local.get $ldx) (i32.const ${mr}))))
          (local.set $sxr (i32.add (local.get $sxr) (i32.const ${4 * mr})))
          (local.set $yr (i32.add (local.get $yr) (i32.mul (local.get $ldy) (i32.const ${mr}))))
          (if (local.get $prer) (then (local.set $prer (i32.add (local.get $prer) (i32.mul (local.get $ldy) (i32.const ${mr}))))))`;
  // per (row block, panel): the MR-row tiles of the block, then the rows left over
  const tilesOfPanel = `(local.set $cols (i32.sub (local.get $N) (local.get $col)))
        (local.set $panel (i32.add (local.get $w) (i32.mul (local.get $p) (i32.mul (local.get $Kp) (i32.const ${nr})))))
        (local.set $swp (i32.add (local.get $sw) (i32.shl (local.get $col) (i32.const 2))))
        (local.set $br (if (result i32) (local.get $bias) (then (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 2)))) (else (i32.const 0))))
        (local.set $xr (i32.add (local.get $xq) (i32.mul (local.get $r0) (local.get $ldx))))
        (local.set $sxr (i32.add (local.get $sx) (i32.shl (local.get $r0) (i32.const 2))))
        (local.set $yr (i32.add (i32.add (local.get $y) (i32.mul (local.get $r0) (local.get $ldy))) (i32.shl (local.get $col) (i32.const 2))))
        (local.set $prer (if (result i32) (local.get $pre)
          (then (i32.add (i32.add (local.get $pre) (i32.mul (local.get $r0) (local.get $ldy))) (i32.shl (local.get $col) (i32.const 2))))
          (else (i32.const 0))))
        (local.set $left (i32.sub (local.get $r1) (local.get $r0)))
        (block $tilesDone (loop $tiles
          (br_if $tilesDone (i32.lt_s (local.get $left) (i32.const ${mr})))
          ${call(mr)}
          ${advance}
          (local.set $left (i32.sub (local.get $left) (i32.const ${mr})))
          (br $tiles)))
        ${lines(range(mr - 1).map((m) => `(if (i32.eq (local.get $left) (i32.const ${m + 1})) (then ${call(m + 1)}))`))}`;
  return `
  ${lines(range(mr).map((m) => tileI8(nr, m + 1)))}
  (func $linear_i8 (export "linear_i8")
    ${params("i32", ["$y", "$xq", "$sx", "$w", "$sw", "$bias", "$Kp", "$N", "$act", "$pre", "$rowBlock", "$rowStart", "$rowEnd", "$panelStart", "$panelEnd"])}
    ${locals("i32", ["$r0", "$r1", "$p", "$ldx", "$ldy", "$col", "$cols", "$panel", "$swp", "$br", "$xr", "$sxr", "$yr", "$prer", "$left"])}
    (local.set $ldx (i32.shl (local.get $Kp) (i32.const 1)))
    (local.set $ldy (i32.shl (local.get $N) (i32.const 2)))
    ${rowBlocksByPanels(nr, "", tilesOfPanel)}
  )

  ;; quantize_rows(xq, sx, x, K, Kp, start, end): per row, sx = max|x|/127 and xq = round_half_even(x · (127/max|x|))
  ;; as int16, zero past K (a row of zeros gets scale 0 and q = 0)
  (func $quantize_rows (export "quantize_rows") ${params("i32", ["$xq", "$sx", "$x", "$K", "$Kp", "$start", "$end"])}
    (local $r i32) (local $k i32) (local $xr i32) (local $qr i32) (local $m v128) (local $ms f32) (local $inv f32) (local $iv v128)
    (local.set $r (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $end)))
      (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $K)) (i32.const 2))))
      (local.set $qr (i32.add (local.get $xq) (i32.shl (i32.mul (local.get $r) (local.get $Kp)) (i32.const 1))))
      ;; max |x|
      (local.set $m (v128.const i32x4 0 0 0 0)) (local.set $ms (f32.const 0))
      (local.set $k (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $K)))
        (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $l1)))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $k) (local.get $K)))
        (local.set $ms (f32.max (local.get $ms) (f32.abs (f32.load (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l2)))
      (local.set $ms (f32.max (f32.max (f32.max (local.get $ms) (f32x4.extract_lane 0 (local.get $m))) (f32x4.extract_lane 1 (local.get $m)))
                              (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
      (f32.store (i32.add (local.get $sx) (i32.shl (local.get $r) (i32.const 2))) (f32.div (local.get $ms) (f32.const 127)))
      (local.set $inv (if (result f32) (f32.gt (local.get $ms) (f32.const 0)) (then (f32.div (f32.const 127) (local.get $ms))) (else (f32.const 0))))
      (local.set $iv (f32x4.splat (local.get $inv)))
      ;; q = nearest(x · inv), 8 at a time through i32 → i16 narrowing, then one by one, then zeros to Kp
      (local.set $k (i32.const 0))
      (block $d3 (loop $l3
        (br_if $d3 (i32.gt_u (i32.add (local.get $k) (i32.const 8)) (local.get $K)))
        (v128.store (i32.add (local.get $qr) (i32.shl (local.get $k) (i32.const 1))) (i16x8.narrow_i32x4_s
          (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))) (local.get $iv))))
          (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load offset=16 (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))) (local.get $iv))))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (br $l3)))
      (block $d4 (loop $l4
        (br_if $d4 (i32.ge_u (local.get $k) (local.get $Kp)))
        (i32.store16 (i32.add (local.get $qr) (i32.shl (local.get $k) (i32.const 1)))
          (if (result i32) (i32.lt_u (local.get $k) (local.get $K))
            (then (i32.trunc_sat_f32_s (f32.nearest (f32.mul (f32.load (i32.add (local.get $xr) (i32.shl (local.get $k) (i32.const 2)))) (local.get $inv)))))
            (else (i32.const 0))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $l4)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows)))
  )`;
}
