// Fused self-attention per (batch, head) block, forward and backward, over qkv [B,T,3H] (q | k | v on the last
// axis, H = nh·hd) without split-heads copies: a block reads its head's columns in place (row stride 3H).
// Legend: B batch, T tokens, nh heads, hd head size. A thread holds one block's [T,T] scores at a time, in its
// scratch (or in `probs` when the caller keeps them for backward). The products run on the GEMM tiles:
//   S = Q·Kᵀ (Kᵀ packed into panels), P = softmax(S·scale + maskAdd[b]) row by row, ctx = P·V (V packed).
import { params, range } from "./wat-util.js";

/** i8x16.shuffle picking f32 lanes (0–3 from a, 4–7 from b). */
function shuffle(a: string, b: string, lanes: readonly number[]): string {
  const bytes = lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  return `(i8x16.shuffle ${bytes.join(" ")} (local.get ${a}) (local.get ${b}))`;
}

export function attentionKernels(nr: number): string {
  const blockSetup = `
      (local.set $b (i32.div_u (local.get $blk) (local.get $nh)))
      (local.set $h (i32.rem_u (local.get $blk) (local.get $nh)))
      ;; head h of batch b: q, k, v column offsets inside qkv rows of 3H
      (local.set $q (i32.add (local.get $qkv) (i32.shl (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $H3))
                                                              (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
      (local.set $k (i32.add (local.get $q) (i32.shl (local.get $H) (i32.const 2))))
      (local.set $v (i32.add (local.get $k) (i32.shl (local.get $H) (i32.const 2))))`;
  const dims = `
    (local.set $H (i32.mul (local.get $nh) (local.get $hd)))
    (local.set $H3 (i32.mul (local.get $H) (i32.const 3)))
    (local.set $ld (i32.shl (local.get $H3) (i32.const 2)))
    (local.set $TT (i32.mul (local.get $T) (local.get $T)))`;
  const common = "(local $blk i32) (local $b i32) (local $h i32) (local $q i32) (local $k i32) (local $v i32) (local $H i32) (local $H3 i32) (local $ld i32) (local $TT i32) (local $p i32)";
  return `
  ;; pack_t(dst, src, ld, rows, cols): rows of src [rows, ld] as panel columns: dst[p][c][j] = src[(p·NR + j)·ld + c], 0 past rows.
  ;; A panel of NR whole rows goes 4 rows × 4 columns at a time through a 4×4 transpose in registers
  ;; (when cols is a multiple of 4); the last, partial panel element by element.
  (func $pack_t ${params("i32", ["$dst", "$src", "$ld", "$rows", "$cols"])} (local $p i32) (local $c i32) (local $j i32) (local $r i32)
    (local $g i32) (local $s i32) (local $d i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128)
    (block $done (loop $panels
      (br_if $done (i32.ge_u (i32.mul (local.get $p) (i32.const ${nr})) (local.get $rows)))
      (if (i32.and (i32.le_u (i32.mul (i32.add (local.get $p) (i32.const 1)) (i32.const ${nr})) (local.get $rows))
                   (i32.eqz (i32.and (local.get $cols) (i32.const 3))))
        (then
          ;; whole panel: for each group g of 4 rows and each 4 columns c..c+3, transpose a 4×4 block
          (local.set $g (i32.const 0))
          (loop $groups
            (local.set $s (i32.add (local.get $src) (i32.shl (i32.mul (i32.add (i32.mul (local.get $p) (i32.const ${nr})) (local.get $g)) (local.get $ld)) (i32.const 2))))
            (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $g) (i32.const 2))))
            (local.set $c (i32.const 0))
            (block $cd (loop $cl
              (br_if $cd (i32.ge_u (local.get $c) (local.get $cols)))
              (local.set $a0 (v128.load (local.get $s)))
              (local.set $a1 (v128.load (i32.add (local.get $s) (i32.shl (local.get $ld) (i32.const 2)))))
              (local.set $a2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $ld) (i32.const 3)))))
              (local.set $a3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $ld) (i32.const 12)))))
              (local.set $u0 ${shuffle("$a0", "$a1", [0, 4, 1, 5])})
              (local.set $u1 ${shuffle("$a2", "$a3", [0, 4, 1, 5])})
              (local.set $u2 ${shuffle("$a0", "$a1", [2, 6, 3, 7])})
              (local.set $u3 ${shuffle("$a2", "$a3", [2, 6, 3, 7])})
              (v128.store (local.get $d) ${shuffle("$u0", "$u1", [0, 1, 4, 5])})
              (v128.store offset=${nr * 4} (local.get $d) ${shuffle("$u0", "$u1", [2, 3, 6, 7])})
              (v128.store offset=${nr * 8} (local.get $d) ${shuffle("$u2", "$u3", [0, 1, 4, 5])})
              (v128.store offset=${nr * 12} (local.get $d) ${shuffle("$u2", "$u3", [2, 3, 6, 7])})
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $d (i32.add (local.get $d) (i32.const ${nr * 16})))
              (local.set $c (i32.add (local.get $c) (i32.const 4)))
              (br $cl)))
            (local.set $g (i32.add (local.get $g) (i32.const 4)))
            (br_if $groups (i32.lt_u (local.get $g) (i32.const ${nr}))))
          (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $cols) (i32.const ${nr * 4})))))
        (else
          (local.set $c (i32.const 0))
          (block $cd (loop $cl
            (br_if $cd (i32.ge_u (local.get $c) (local.get $cols)))
            (local.set $j (i32.const 0))
            (loop $jl
              (local.set $r (i32.add (i32.mul (local.get $p) (i32.const ${nr})) (local.get $j)))
              (f32.store (local.get $dst) (if (result f32) (i32.lt_u (local.get $r) (local.get $rows))
                (then (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ld)) (local.get $c)) (i32.const 2)))))
                (else (f32.const 0))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $jl (i32.lt_u (local.get $j) (i32.const ${nr}))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $cl)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $panels))))

  ;; pack_n(dst, src, ld, rows, cols): columns of src [rows, ld] in panels: dst[p][r][j] = src[r·ld + p·NR + j], 0 past cols
  ;; (a panel of NR whole columns is copied a vector at a time)
  (func $pack_n ${params("i32", ["$dst", "$src", "$ld", "$rows", "$cols"])} (local $p i32) (local $r i32) (local $j i32) (local $c i32) (local $s i32)
    (block $done (loop $panels
      (br_if $done (i32.ge_u (i32.mul (local.get $p) (i32.const ${nr})) (local.get $cols)))
      (local.set $r (i32.const 0))
      (block $rd (loop $rl
        (br_if $rd (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $s (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $ld)) (i32.mul (local.get $p) (i32.const ${nr}))) (i32.const 2))))
        (if (i32.le_u (i32.mul (i32.add (local.get $p) (i32.const 1)) (i32.const ${nr})) (local.get $cols))
          (then
            ${range(nr / 4).map((v) => `(v128.store offset=${16 * v} (local.get $dst) (v128.load offset=${16 * v} (local.get $s)))`).join("\n            ")}
            (local.set $dst (i32.add (local.get $dst) (i32.const ${nr * 4}))))
          (else
            (local.set $j (i32.const 0))
            (loop $jl
              (local.set $c (i32.add (i32.mul (local.get $p) (i32.const ${nr})) (local.get $j)))
              (f32.store (local.get $dst) (if (result f32) (i32.lt_u (local.get $c) (local.get $cols))
                (then (f32.load (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2)))))
                (else (f32.const 0))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $jl (i32.lt_u (local.get $j) (i32.const ${nr}))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rl)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $panels))))

  ;; y[M, cols] (+)= x[M, K] · (packed panels of K·NR), panel by panel; strides in bytes
  (func $product ${params("i32", ["$x", "$ldx", "$w", "$K", "$y", "$ldy", "$cols", "$accumulate", "$M"])} (local $p i32)
    (block $done (loop $panels
      (br_if $done (i32.ge_u (i32.mul (local.get $p) (i32.const ${nr})) (local.get $cols)))
      (call $panel_rows (local.get $x) (local.get $ldx)
        (i32.add (local.get $w) (i32.mul (local.get $p) (i32.mul (local.get $K) (i32.const ${nr * 4})))) (local.get $K)
        (i32.add (local.get $y) (i32.mul (local.get $p) (i32.const ${nr * 4}))) (local.get $ldy)
        (i32.const 0) (i32.sub (local.get $cols) (i32.mul (local.get $p) (i32.const ${nr}))) (i32.const 0) (i32.const 0)
        (local.get $accumulate) (local.get $M))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $panels))))

  ;; softmax_row(s, n, scale, mask): s[j] = softmax(s·scale + mask)[j] over j < n, in place:
  ;; t = s·scale + mask; m = max t; e = exp(t − m); s = e · (1/Σe). A row whose keys are all masked has all
  ;; t equal to float32's minimum, so it comes out uniform, as in Hugging Face.
  (func $softmax_row (param $s i32) (param $n i32) (param $scale f32) (param $mask i32)
    (local $j i32) (local $o i32) (local $m v128) (local $sum v128) (local $e v128) (local $ms f32) (local $ss f32) (local $t f32)
    (local.set $m (f32x4.splat (f32.const -inf))) (local.set $ms (f32.const -inf))
    (local.set $j (i32.const 0))
    (block $d1 (loop $l1
      (br_if $d1 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $e (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $o))) (f32x4.splat (local.get $scale)))
                               (v128.load (i32.add (local.get $mask) (local.get $o)))))
      (v128.store (i32.add (local.get $s) (local.get $o)) (local.get $e))
      (local.set $m (f32x4.max (local.get $m) (local.get $e)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l1)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $t (f32.add (f32.mul (f32.load (i32.add (local.get $s) (local.get $o))) (local.get $scale))
                             (f32.load (i32.add (local.get $mask) (local.get $o)))))
      (f32.store (i32.add (local.get $s) (local.get $o)) (local.get $t))
      (local.set $ms (f32.max (local.get $ms) (local.get $t)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l2)))
    (local.set $ms (f32.max (f32.max (f32.max (local.get $ms) (f32x4.extract_lane 0 (local.get $m))) (f32.max (f32x4.extract_lane 1 (local.get $m)) (f32x4.extract_lane 2 (local.get $m))))
                            (f32x4.extract_lane 3 (local.get $m))))
    (local.set $m (f32x4.splat (local.get $ms)))
    ;; e = exp(t − m), Σ e
    (local.set $sum (v128.const i32x4 0 0 0 0)) (local.set $ss (f32.const 0))
    (local.set $j (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $o (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $e (call $exp4 (f32x4.sub (v128.load (local.get $o)) (local.get $m))))
      (v128.store (local.get $o) (local.get $e))
      (local.set $sum (f32x4.add (local.get $sum) (local.get $e)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l3)))
    (block $d4 (loop $l4
      (br_if $d4 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $t (f32x4.extract_lane 0 (call $exp4 (f32x4.sub (v128.load32_splat (local.get $o)) (local.get $m)))))
      (f32.store (local.get $o) (local.get $t))
      (local.set $ss (f32.add (local.get $ss) (local.get $t)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l4)))
    (local.set $ss (f32.div (f32.const 1) (f32.add (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
      (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))) (local.get $ss))))
    (call $scale_row (local.get $s) (local.get $n) (local.get $ss)))

  ;; s[0..n) *= f
  (func $scale_row (param $s i32) (param $n i32) (param $f f32) (local $j i32) (local $o i32)
    (block $d (loop $l
      (br_if $d (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $o (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $o)) (f32x4.splat (local.get $f))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.add (local.get $s) (i32.shl (local.get $j) (i32.const 2))))
      (f32.store (local.get $o) (f32.mul (f32.load (local.get $o)) (local.get $f)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l2))))

  ;; attention(ctx, qkv, maskAdd, probs, T, nh, hd, scale, scratch, start, end) over blocks blk = b·nh + h in [start, end):
  ;; ctx[b, :, h·hd:(h+1)·hd] = softmax(q·kᵀ·scale + maskAdd[b,:]) · v. scratch: packed Kᵀ, packed V, and the
  ;; [T,T] scores when probs = 0 (else the scores are the block's slice of probs [B,nh,T,T])
  (func $attention (export "attention")
    ${params("i32", ["$ctx", "$qkv", "$mask", "$probs", "$T", "$nh", "$hd"])} (param $scale f32) ${params("i32", ["$scratch", "$start", "$end"])}
    ${common} (local $kt i32) (local $vp i32) (local $s i32) (local $i i32) (local $row i32)
    ${dims}
    (local.set $kt (local.get $scratch))
    (local.set $vp (i32.add (local.get $kt) (call $panels_bytes (local.get $T) (local.get $hd))))
    (local.set $s (i32.add (local.get $vp) (call $panels_bytes (local.get $hd) (local.get $T))))
    (local.set $blk (local.get $start))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $blk) (local.get $end)))
      ${blockSetup}
      (if (local.get $probs) (then (local.set $s (i32.add (local.get $probs) (i32.shl (i32.mul (local.get $blk) (local.get $TT)) (i32.const 2))))))
      ;; S[T,T] = Q·Kᵀ
      (call $pack_t (local.get $kt) (local.get $k) (local.get $H3) (local.get $T) (local.get $hd))
      (call $product (local.get $q) (local.get $ld) (local.get $kt) (local.get $hd) (local.get $s) (i32.shl (local.get $T) (i32.const 2)) (local.get $T) (i32.const 0) (local.get $T))
      ;; P = softmax(S·scale + mask[b]) row by row
      (local.set $i (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $T)))
        (call $softmax_row (i32.add (local.get $s) (i32.shl (i32.mul (local.get $i) (local.get $T)) (i32.const 2))) (local.get $T) (local.get $scale)
          (i32.add (local.get $mask) (i32.shl (i32.mul (local.get $b) (local.get $T)) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
      ;; ctx block = P·V
      (call $pack_n (local.get $vp) (local.get $v) (local.get $H3) (local.get $T) (local.get $hd))
      (local.set $row (i32.add (local.get $ctx) (i32.shl (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $H)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
      (call $product (local.get $s) (i32.shl (local.get $T) (i32.const 2)) (local.get $vp) (local.get $T) (local.get $row) (i32.shl (local.get $H) (i32.const 2)) (local.get $hd) (i32.const 0) (local.get $T))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $blocks)))
  )

  ;; bytes of the panels packing n columns (rounded up to NR) × k rows
  (func $panels_bytes (param $n i32) (param $k i32) (result i32)
    (i32.mul (i32.mul (i32.and (i32.add (local.get $n) (i32.const ${nr - 1})) (i32.const ${-nr})) (local.get $k)) (i32.const 4)))

  ;; attention_backward(dqkv, dctx, qkv, probs, T, nh, hd, scale, scratch, start, end), blocks [start, end); dqkv accumulates:
  ;;   dP = dctx·Vᵀ; dV += Pᵀ·dctx; dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale; dQ += dS·K; dK += dSᵀ·Q
  ;; scratch: dP [T,T], a transpose [T,T], one packed operand
  (func $attention_backward (export "attention_backward")
    ${params("i32", ["$dqkv", "$dctx", "$qkv", "$probs", "$T", "$nh", "$hd"])} (param $scale f32) ${params("i32", ["$scratch", "$start", "$end"])}
    ${common} (local $dp i32) (local $tr i32) (local $pk i32) (local $pb i32) (local $dc i32) (local $i i32) (local $dq i32) (local $off i32)
    ${dims}
    (local.set $dp (local.get $scratch))
    (local.set $tr (i32.add (local.get $dp) (i32.shl (local.get $TT) (i32.const 2))))
    (local.set $pk (i32.add (local.get $tr) (i32.shl (local.get $TT) (i32.const 2))))
    (local.set $blk (local.get $start))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $blk) (local.get $end)))
      ${blockSetup}
      (local.set $pb (i32.add (local.get $probs) (i32.shl (i32.mul (local.get $blk) (local.get $TT)) (i32.const 2))))
      (local.set $off (i32.shl (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $H3)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2)))
      (local.set $dq (i32.add (local.get $dqkv) (local.get $off)))
      (local.set $dc (i32.add (local.get $dctx) (i32.shl (i32.add (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $H)) (i32.mul (local.get $h) (local.get $hd))) (i32.const 2))))
      ;; dP = dctx·Vᵀ
      (call $pack_t (local.get $pk) (local.get $v) (local.get $H3) (local.get $T) (local.get $hd))
      (call $product (local.get $dc) (i32.shl (local.get $H) (i32.const 2)) (local.get $pk) (local.get $hd) (local.get $dp) (i32.shl (local.get $T) (i32.const 2)) (local.get $T) (i32.const 0) (local.get $T))
      ;; dV += Pᵀ·dctx
      (call $transpose (local.get $tr) (local.get $pb) (local.get $T) (local.get $T) (local.get $T) (i32.const 0) (local.get $T))
      (call $pack_n (local.get $pk) (local.get $dc) (local.get $H) (local.get $T) (local.get $hd))
      (call $product (local.get $tr) (i32.shl (local.get $T) (i32.const 2)) (local.get $pk) (local.get $T)
        (i32.add (local.get $dq) (i32.shl (local.get $H) (i32.const 3))) (local.get $ld) (local.get $hd) (i32.const 1) (local.get $T))
      ;; dS = P ⊙ (dP − Σ_j dP ⊙ P) · scale, row by row, in place in dP
      (local.set $i (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $T)))
        (call $softmax_backward_row (i32.add (local.get $dp) (i32.shl (i32.mul (local.get $i) (local.get $T)) (i32.const 2)))
          (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $i) (local.get $T)) (i32.const 2))) (local.get $T) (local.get $scale))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
      ;; dQ += dS·K
      (call $pack_n (local.get $pk) (local.get $k) (local.get $H3) (local.get $T) (local.get $hd))
      (call $product (local.get $dp) (i32.shl (local.get $T) (i32.const 2)) (local.get $pk) (local.get $T) (local.get $dq) (local.get $ld) (local.get $hd) (i32.const 1) (local.get $T))
      ;; dK += dSᵀ·Q
      (call $transpose (local.get $tr) (local.get $dp) (local.get $T) (local.get $T) (local.get $T) (i32.const 0) (local.get $T))
      (call $pack_n (local.get $pk) (local.get $q) (local.get $H3) (local.get $T) (local.get $hd))
      (call $product (local.get $tr) (i32.shl (local.get $T) (i32.const 2)) (local.get $pk) (local.get $T)
        (i32.add (local.get $dq) (i32.shl (local.get $H) (i32.const 2))) (local.get $ld) (local.get $hd) (i32.const 1) (local.get $T))
      (local.set $blk (i32.add (local.get $blk) (i32.const 1)))
      (br $blocks)))
  )

  ;; d[j] = p[j] · (d[j] − Σ_j' d[j']·p[j']) · scale over j < n
  (func $softmax_backward_row (param $d i32) (param $p i32) (param $n i32) (param $scale f32)
    (local $j i32) (local $acc v128) (local $t f32) (local $dot f32) (local $o i32)
    (block $d1 (loop $l1
      (br_if $d1 (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (i32.add (local.get $d) (local.get $o))) (v128.load (i32.add (local.get $p) (local.get $o))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $l1)))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (local.set $t (f32.add (local.get $t) (f32.mul (f32.load (i32.add (local.get $d) (local.get $o))) (f32.load (i32.add (local.get $p) (local.get $o))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l2)))
    (local.set $dot (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                                      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))) (local.get $t)))
    (local.set $j (i32.const 0))
    (block $d3 (loop $l3
      (br_if $d3 (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $o (i32.shl (local.get $j) (i32.const 2)))
      (f32.store (i32.add (local.get $d) (local.get $o)) (f32.mul (f32.mul (f32.load (i32.add (local.get $p) (local.get $o)))
        (f32.sub (f32.load (i32.add (local.get $d) (local.get $o))) (local.get $dot))) (local.get $scale)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l3))))
  `;
}
