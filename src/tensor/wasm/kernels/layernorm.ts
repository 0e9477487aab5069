// Residual + LayerNorm, its backward, and the embedding sum: row kernels over rows [start, end) of width H.
// Legend: N rows, H hidden size; w, b: [H]; mean, rstd: [N]. Sums run over 4 lanes (columns c ≡ lane mod 4)
// then across the lanes, the H mod 4 last columns one by one: a fixed order, the same for every split.
import { params } from "./wat-util.js";

/** Σ of the four lanes of a v128 local, as an f32 expression: (l0 + l1) + (l2 + l3). */
function hsum(v: string): string {
  return `(f32.add (f32.add (f32x4.extract_lane 0 (local.get ${v})) (f32x4.extract_lane 1 (local.get ${v})))
                   (f32.add (f32x4.extract_lane 2 (local.get ${v})) (f32x4.extract_lane 3 (local.get ${v}))))`;
}

/** A loop over the columns of a row: `vector` per 4 columns at byte offset $o, then `scalar` per column left. */
function columns(vector: string, scalar: string): string {
  return `(local.set $o (i32.const 0))
    (block $vd (loop $vl
      (br_if $vd (i32.gt_u (i32.add (local.get $o) (i32.const 16)) (local.get $rowBytes)))
      ${vector}
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $vl)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $o) (local.get $rowBytes)))
      ${scalar}
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $sl)))`;
}

/** The address base + $o (the current column's byte offset; w and b are indexed by the same offset as a row). */
const at = (base: string): string => `(i32.add (local.get ${base}) (local.get $o))`;

export function layerNormKernels(): string {
  return `
  ;; add_layernorm(y, x, r, w, b, H, eps, sum, mean, rstd, start, end):
  ;; s = x + r (r = 0: s = x); y = (s − μ) · rstd · w + b with μ = mean(s), rstd = 1/√(var(s) + eps);
  ;; s, μ, rstd stored when their pointers are ≠ 0 (layernorm backward needs them)
  (func $add_layernorm (export "add_layernorm")
    ${params("i32", ["$y", "$x", "$r", "$w", "$b", "$H"])} (param $eps f32) ${params("i32", ["$sum", "$mean", "$rstd", "$start", "$end"])}
    (local $row i32) (local $rowBytes i32) (local $o i32) (local $s i32) (local $xr i32) (local $rr i32) (local $yr i32)
    (local $acc v128) (local $t f32) (local $mu f32) (local $rs f32) (local $v v128)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
      (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $rowBytes))))
      (local.set $yr (i32.add (local.get $y) (i32.mul (local.get $row) (local.get $rowBytes))))
      ;; s lives in sum when kept, else in y (overwritten last); without a residual and sum, s is x itself
      (local.set $s (if (result i32) (local.get $sum) (then (i32.add (local.get $sum) (i32.mul (local.get $row) (local.get $rowBytes)))) (else (local.get $yr))))
      (if (local.get $r)
        (then
          (local.set $rr (i32.add (local.get $r) (i32.mul (local.get $row) (local.get $rowBytes))))
          ${columns(`(v128.store ${at("$s")} (f32x4.add (v128.load ${at("$xr")}) (v128.load ${at("$rr")})))`,
                    `(f32.store ${at("$s")} (f32.add (f32.load ${at("$xr")}) (f32.load ${at("$rr")})))`)})
        (else (if (local.get $sum)
          (then (memory.copy (local.get $s) (local.get $xr) (local.get $rowBytes)))
          (else (local.set $s (local.get $xr))))))
      ;; μ = Σ s / H
      (local.set $acc (v128.const i32x4 0 0 0 0)) (local.set $t (f32.const 0))
      ${columns(`(local.set $acc (f32x4.add (local.get $acc) (v128.load ${at("$s")})))`,
                `(local.set $t (f32.add (local.get $t) (f32.load ${at("$s")})))`)}
      (local.set $mu (f32.div (f32.add ${hsum("$acc")} (local.get $t)) (f32.convert_i32_u (local.get $H))))
      ;; var = Σ (s − μ)² / H; rstd = 1/√(var + eps)
      (local.set $acc (v128.const i32x4 0 0 0 0)) (local.set $t (f32.const 0))
      ${columns(`(local.set $v (f32x4.sub (v128.load ${at("$s")}) (f32x4.splat (local.get $mu))))
                 (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $v) (local.get $v))))`,
                `(local.set $t (f32.add (local.get $t) (f32.mul (f32.sub (f32.load ${at("$s")}) (local.get $mu)) (f32.sub (f32.load ${at("$s")}) (local.get $mu)))))`)}
      (local.set $rs (f32.div (f32.const 1) (f32.sqrt (f32.add
        (f32.div (f32.add ${hsum("$acc")} (local.get $t)) (f32.convert_i32_u (local.get $H))) (local.get $eps)))))
      ;; y = (s − μ) · rstd · w + b
      ${columns(`(v128.store ${at("$yr")} (f32x4.add (f32x4.mul (f32x4.mul (f32x4.sub (v128.load ${at("$s")}) (f32x4.splat (local.get $mu))) (f32x4.splat (local.get $rs)))
                   (v128.load ${at("$w")})) (v128.load ${at("$b")})))`,
                `(f32.store ${at("$yr")} (f32.add (f32.mul (f32.mul (f32.sub (f32.load ${at("$s")}) (local.get $mu)) (local.get $rs)) (f32.load ${at("$w")})) (f32.load ${at("$b")})))`)}
      (if (local.get $mean) (then (f32.store (i32.add (local.get $mean) (i32.shl (local.get $row) (i32.const 2))) (local.get $mu))))
      (if (local.get $rstd) (then (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $row) (i32.const 2))) (local.get $rs))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows)))
  )

  ;; layernorm_backward_dx(dx, dy, sum, w, mean, rstd, H, start, end), rows [start, end):
  ;; with xhat = (s − μ)·rstd and g = dy·w: dx += rstd · (g − mean(g) − xhat · mean(g·xhat))
  (func $layernorm_backward_dx (export "layernorm_backward_dx")
    ${params("i32", ["$dx", "$dy", "$sum", "$w", "$mean", "$rstd", "$H", "$start", "$end"])}
    (local $row i32) (local $rowBytes i32) (local $o i32) (local $dxr i32) (local $dyr i32) (local $sr i32)
    (local $mu f32) (local $rs f32) (local $mg f32) (local $mgx f32) (local $tg f32) (local $tgx f32)
    (local $ag v128) (local $agx v128) (local $g v128) (local $xh v128) (local $gs f32) (local $xs f32)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $row (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
      (local.set $dxr (i32.add (local.get $dx) (i32.mul (local.get $row) (local.get $rowBytes))))
      (local.set $dyr (i32.add (local.get $dy) (i32.mul (local.get $row) (local.get $rowBytes))))
      (local.set $sr (i32.add (local.get $sum) (i32.mul (local.get $row) (local.get $rowBytes))))
      (local.set $mu (f32.load (i32.add (local.get $mean) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $rs (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $row) (i32.const 2)))))
      ;; mean(g), mean(g·xhat)
      (local.set $ag (v128.const i32x4 0 0 0 0)) (local.set $agx (v128.const i32x4 0 0 0 0))
      (local.set $tg (f32.const 0)) (local.set $tgx (f32.const 0))
      ${columns(`(local.set $g (f32x4.mul (v128.load ${at("$dyr")}) (v128.load ${at("$w")})))
                 (local.set $xh (f32x4.mul (f32x4.sub (v128.load ${at("$sr")}) (f32x4.splat (local.get $mu))) (f32x4.splat (local.get $rs))))
                 (local.set $ag (f32x4.add (local.get $ag) (local.get $g)))
                 (local.set $agx (f32x4.add (local.get $agx) (f32x4.mul (local.get $g) (local.get $xh))))`,
                `(local.set $gs (f32.mul (f32.load ${at("$dyr")}) (f32.load ${at("$w")})))
                 (local.set $xs (f32.mul (f32.sub (f32.load ${at("$sr")}) (local.get $mu)) (local.get $rs)))
                 (local.set $tg (f32.add (local.get $tg) (local.get $gs)))
                 (local.set $tgx (f32.add (local.get $tgx) (f32.mul (local.get $gs) (local.get $xs))))`)}
      (local.set $mg (f32.div (f32.add ${hsum("$ag")} (local.get $tg)) (f32.convert_i32_u (local.get $H))))
      (local.set $mgx (f32.div (f32.add ${hsum("$agx")} (local.get $tgx)) (f32.convert_i32_u (local.get $H))))
      ;; dx += rstd · (g − mean(g) − xhat · mean(g·xhat))
      ${columns(`(local.set $g (f32x4.mul (v128.load ${at("$dyr")}) (v128.load ${at("$w")})))
                 (local.set $xh (f32x4.mul (f32x4.sub (v128.load ${at("$sr")}) (f32x4.splat (local.get $mu))) (f32x4.splat (local.get $rs))))
                 (v128.store ${at("$dxr")} (f32x4.add (v128.load ${at("$dxr")}) (f32x4.mul (f32x4.splat (local.get $rs))
                   (f32x4.sub (f32x4.sub (local.get $g) (f32x4.splat (local.get $mg))) (f32x4.mul (local.get $xh) (f32x4.splat (local.get $mgx)))))))`,
                `(local.set $gs (f32.mul (f32.load ${at("$dyr")}) (f32.load ${at("$w")})))
                 (local.set $xs (f32.mul (f32.sub (f32.load ${at("$sr")}) (local.get $mu)) (local.get $rs)))
                 (f32.store ${at("$dxr")} (f32.add (f32.load ${at("$dxr")}) (f32.mul (local.get $rs)
                   (f32.sub (f32.sub (local.get $gs) (local.get $mg)) (f32.mul (local.get $xs) (local.get $mgx))))))`)}
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rows)))
  )

  ;; layernorm_backward_params(dw, db, dy, sum, mean, rstd, N, H, start, end), columns [start, end):
  ;; dw[c] += Σ_n dy[n,c] · xhat[n,c], db[c] += Σ_n dy[n,c], summed over n in order for each column
  ;; (one thread owns a column: no cross-thread reduction, the same sums for any thread count)
  (func $layernorm_backward_params (export "layernorm_backward_params")
    ${params("i32", ["$dw", "$db", "$dy", "$sum", "$mean", "$rstd", "$N", "$H", "$start", "$end"])}
    (local $c i32) (local $n i32) (local $o i32) (local $rowBytes i32) (local $sw v128) (local $sb v128) (local $d v128)
    (local $m i32) (local $lanes i32) (local $lane i32)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 2)))
    (local.set $c (local.get $start))
    (block $done (loop $groups
      (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
      (local.set $lanes (i32.sub (local.get $end) (local.get $c)))
      (local.set $sw (v128.const i32x4 0 0 0 0)) (local.set $sb (v128.const i32x4 0 0 0 0))
      (local.set $n (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $o (i32.add (i32.mul (local.get $n) (local.get $rowBytes)) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $m (i32.shl (local.get $n) (i32.const 2)))
        (local.set $d (call $lanes4 (i32.add (local.get $dy) (local.get $o)) (local.get $lanes)))
        (local.set $sb (f32x4.add (local.get $sb) (local.get $d)))
        (local.set $sw (f32x4.add (local.get $sw) (f32x4.mul (local.get $d)
          (f32x4.mul (f32x4.sub (call $lanes4 (i32.add (local.get $sum) (local.get $o)) (local.get $lanes))
                                (v128.load32_splat (i32.add (local.get $mean) (local.get $m))))
                     (v128.load32_splat (i32.add (local.get $rstd) (local.get $m)))))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $rows)))
      (call $addLanes4 (i32.add (local.get $dw) (i32.shl (local.get $c) (i32.const 2))) (local.get $sw) (local.get $lanes))
      (call $addLanes4 (i32.add (local.get $db) (i32.shl (local.get $c) (i32.const 2))) (local.get $sb) (local.get $lanes))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $groups)))
  )

  ;; the first min(n, 4) f32 at p as lanes (the others 0)
  (func $lanes4 (param $p i32) (param $n i32) (result v128) (local $v v128)
    (if (result v128) (i32.ge_u (local.get $n) (i32.const 4))
      (then (v128.load (local.get $p)))
      (else
        (local.set $v (v128.load32_zero (local.get $p)))
        (if (i32.gt_u (local.get $n) (i32.const 1)) (then (local.set $v (v128.load32_lane offset=4 1 (local.get $p) (local.get $v)))))
        (if (i32.gt_u (local.get $n) (i32.const 2)) (then (local.set $v (v128.load32_lane offset=8 2 (local.get $p) (local.get $v)))))
        (local.get $v))))

  ;; p[0..min(n,4)) += lanes of v
  (func $addLanes4 (param $p i32) (param $v v128) (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $v))))
      (else
        (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32x4.extract_lane 0 (local.get $v))))
        (if (i32.gt_u (local.get $n) (i32.const 1)) (then (f32.store offset=4 (local.get $p) (f32.add (f32.load offset=4 (local.get $p)) (f32x4.extract_lane 1 (local.get $v))))))
        (if (i32.gt_u (local.get $n) (i32.const 2)) (then (f32.store offset=8 (local.get $p) (f32.add (f32.load offset=8 (local.get $p)) (f32x4.extract_lane 2 (local.get $v)))))))))

  ;; column_sum(dst, src, N, ld, start, end): dst[c] += Σ_n src[n·ld + c] for columns [start, end), n in order
  (func $column_sum (export "column_sum") ${params("i32", ["$dst", "$src", "$N", "$ld", "$start", "$end"])}
    (local $c i32) (local $n i32) (local $s v128) (local $lanes i32)
    (local.set $c (local.get $start))
    (block $done (loop $groups
      (br_if $done (i32.ge_u (local.get $c) (local.get $end)))
      (local.set $lanes (i32.sub (local.get $end) (local.get $c)))
      (local.set $s (v128.const i32x4 0 0 0 0))
      (local.set $n (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $n) (local.get $N)))
        (local.set $s (f32x4.add (local.get $s) (call $lanes4
          (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $n) (local.get $ld)) (local.get $c)) (i32.const 2))) (local.get $lanes))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $rows)))
      (call $addLanes4 (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2))) (local.get $s) (local.get $lanes))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $groups)))
  )

  ;; embedding_sum(out, ids, positionIds, word, wordType, position, positionType, tokenType, tokenTypeType, H, start, end):
  ;; out[n,:] = (word[ids[n],:] + tokenType[0,:]) + position[positionIds[n],:], tables of dtype 0 f32, 1 f16, 2 bf16
  (func $embedding_sum (export "embedding_sum")
    ${params("i32", ["$out", "$ids", "$pos", "$word", "$wt", "$position", "$pt", "$tokenType", "$tt", "$H", "$start", "$end"])}
    (local $n i32) (local $c i32) (local $wi i32) (local $pi i32) (local $o i32)
    (local.set $n (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $n) (local.get $end)))
      (local.set $wi (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $n) (i32.const 2)))) (local.get $H)))
      (local.set $pi (i32.mul (i32.load (i32.add (local.get $pos) (i32.shl (local.get $n) (i32.const 2)))) (local.get $H)))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $n) (local.get $H)) (i32.const 2))))
      (local.set $c (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.gt_u (i32.add (local.get $c) (i32.const 4)) (local.get $H)))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2)))
          (f32x4.add (f32x4.add (call $load4 (local.get $word) (i32.add (local.get $wi) (local.get $c)) (local.get $wt))
                                (call $load4 (local.get $tokenType) (local.get $c) (local.get $tt)))
                     (call $load4 (local.get $position) (i32.add (local.get $pi) (local.get $c)) (local.get $pt))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $c) (local.get $H)))
        (f32.store (i32.add (local.get $o) (i32.shl (local.get $c) (i32.const 2)))
          (f32.add (f32.add (call $load1 (local.get $word) (i32.add (local.get $wi) (local.get $c)) (local.get $wt))
                            (call $load1 (local.get $tokenType) (local.get $c) (local.get $tt)))
                   (call $load1 (local.get $position) (i32.add (local.get $pi) (local.get $c)) (local.get $pt))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $sl)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $rows)))
  )
  `;
}
