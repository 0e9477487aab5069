// The pointwise halves of one LSTM step (torch.nn.LSTM, gate order i, f, g, o); the products around them
// (x·W_ihᵀ, hPrev·W_hhᵀ and their backward) run on the GEMM kernels. Legend: B batch, hid hidden size;
// gates, hh, dGates: [B,4·hid] (i | f | g | o per row); c, cPrev, h, dh, dc, dcPrev: [B,hid]. Rows [start, end).
import { params } from "./wat-util.js";

/** Loops j over a row of `hid` in groups of 4 (the last group partial), with $n lanes valid. */
function groups(body: string): string {
  return `(local.set $j (i32.const 0))
      (block $jd (loop $jl
        (br_if $jd (i32.ge_u (local.get $j) (local.get $hid)))
        (local.set $n (i32.sub (local.get $hid) (local.get $j)))
        ${body}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jl)))`;
}

/** v128 of gate `g` (0 i, 1 f, 2 g, 3 o) of base at row $b, columns j.. */
const gate = (base: string, g: number): string =>
  `(call $lanes4 (i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $hid4)) (i32.add (i32.mul (local.get $hid) (i32.const ${g})) (local.get $j))) (i32.const 2))) (local.get $n))`;
const gatePtr = (base: string, g: number): string =>
  `(i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $hid4)) (i32.add (i32.mul (local.get $hid) (i32.const ${g})) (local.get $j))) (i32.const 2)))`;
const rowPtr = (base: string): string =>
  `(i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (local.get $b) (local.get $hid)) (local.get $j)) (i32.const 2)))`;
const biasAt = (base: string, g: number): string =>
  `(call $lanes4 (i32.add (local.get ${base}) (i32.shl (i32.add (i32.mul (local.get $hid) (i32.const ${g})) (local.get $j)) (i32.const 2))) (local.get $n))`;

export function lstmKernels(): string {
  const preact = (g: number): string => `(f32x4.add (f32x4.add ${gate("$gates", g)} ${biasAt("$bih", g)}) (f32x4.add ${gate("$hh", g)} ${biasAt("$bhh", g)}))`;
  return `
  ;; p[0..min(n,4)) = lanes of v
  (func $storeLanes4 (param $p i32) (param $v v128) (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 4))
      (then (v128.store (local.get $p) (local.get $v)))
      (else
        (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.gt_u (local.get $n) (i32.const 1)) (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.gt_u (local.get $n) (i32.const 2)) (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))))

  ;; lstm_forward(h, c, gates, hh, bih, bhh, cPrev, hid, start, end): gates holds x·W_ihᵀ and hh holds hPrev·W_hhᵀ;
  ;; s = (gates + b_ih) + (hh + b_hh); i, f, o = σ(s), g = tanh(s) written back to gates; c = f·cPrev + i·g; h = o·tanh(c)
  (func $lstm_forward (export "lstm_forward") ${params("i32", ["$h", "$c", "$gates", "$hh", "$bih", "$bhh", "$cPrev", "$hid", "$start", "$end"])}
    (local $b i32) (local $j i32) (local $n i32) (local $hid4 i32) (local $i v128) (local $f v128) (local $g v128) (local $o v128) (local $cv v128)
    (local.set $hid4 (i32.shl (local.get $hid) (i32.const 2)))
    (local.set $b (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
      ${groups(`
        (local.set $i (call $sigmoid4 ${preact(0)}))
        (local.set $f (call $sigmoid4 ${preact(1)}))
        (local.set $g (call $tanh4 ${preact(2)}))
        (local.set $o (call $sigmoid4 ${preact(3)}))
        (call $storeLanes4 ${gatePtr("$gates", 0)} (local.get $i) (local.get $n))
        (call $storeLanes4 ${gatePtr("$gates", 1)} (local.get $f) (local.get $n))
        (call $storeLanes4 ${gatePtr("$gates", 2)} (local.get $g) (local.get $n))
        (call $storeLanes4 ${gatePtr("$gates", 3)} (local.get $o) (local.get $n))
        (local.set $cv (f32x4.add (f32x4.mul (local.get $f) (call $lanes4 ${rowPtr("$cPrev")} (local.get $n))) (f32x4.mul (local.get $i) (local.get $g))))
        (call $storeLanes4 ${rowPtr("$c")} (local.get $cv) (local.get $n))
        (call $storeLanes4 ${rowPtr("$h")} (f32x4.mul (local.get $o) (call $tanh4 (local.get $cv))) (local.get $n))`)}
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))
  )

  ;; lstm_backward(dGates, dcPrev, dh, dc, gates, c, cPrev, hid, start, end): with tc = tanh(c),
  ;; dcT = dc + dh·o·(1 − tc²); dcPrev += dcT·f; dGates = (dcT·g·i(1−i), dcT·cPrev·f(1−f), dcT·i·(1−g²), dh·tc·o(1−o))
  (func $lstm_backward (export "lstm_backward") ${params("i32", ["$dGates", "$dcPrev", "$dh", "$dc", "$gates", "$c", "$cPrev", "$hid", "$start", "$end"])}
    (local $b i32) (local $j i32) (local $n i32) (local $hid4 i32) (local $i v128) (local $f v128) (local $g v128) (local $o v128)
    (local $tc v128) (local $dcT v128) (local $dhv v128) (local $one v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $hid4 (i32.shl (local.get $hid) (i32.const 2)))
    (local.set $b (local.get $start))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $b) (local.get $end)))
      ${groups(`
        (local.set $i ${gate("$gates", 0)}) (local.set $f ${gate("$gates", 1)}) (local.set $g ${gate("$gates", 2)}) (local.set $o ${gate("$gates", 3)})
        (local.set $tc (call $tanh4 (call $lanes4 ${rowPtr("$c")} (local.get $n))))
        (local.set $dhv (call $lanes4 ${rowPtr("$dh")} (local.get $n)))
        (local.set $dcT (f32x4.add (call $lanes4 ${rowPtr("$dc")} (local.get $n))
          (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $o)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $tc) (local.get $tc))))))
        (call $storeLanes4 ${rowPtr("$dcPrev")} (f32x4.add (call $lanes4 ${rowPtr("$dcPrev")} (local.get $n)) (f32x4.mul (local.get $dcT) (local.get $f))) (local.get $n))
        (call $storeLanes4 ${gatePtr("$dGates", 0)} (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dcT) (local.get $g)) (local.get $i)) (f32x4.sub (local.get $one) (local.get $i))) (local.get $n))
        (call $storeLanes4 ${gatePtr("$dGates", 1)} (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dcT) (call $lanes4 ${rowPtr("$cPrev")} (local.get $n))) (local.get $f)) (f32x4.sub (local.get $one) (local.get $f))) (local.get $n))
        (call $storeLanes4 ${gatePtr("$dGates", 2)} (f32x4.mul (f32x4.mul (local.get $dcT) (local.get $i)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))) (local.get $n))
        (call $storeLanes4 ${gatePtr("$dGates", 3)} (f32x4.mul (f32x4.mul (f32x4.mul (local.get $dhv) (local.get $tc)) (local.get $o)) (f32x4.sub (local.get $one) (local.get $o))) (local.get $n))`)}
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $rows)))
  )
  `;
}
