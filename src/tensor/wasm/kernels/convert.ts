// Half-size floats widened to f32, exactly. Each lane holds one 16-bit value (from v128.load16x4_u).
//   bf16: the top half of an f32: bits << 16.
//   f16 (IEEE binary16: 1 sign, 5 exponent, 10 mantissa bits): the magnitude bits shifted into an f32's
//   place (<< 13) and multiplied by 2^112 (the exponent bias 127 − 15): exact for normal and subnormal
//   halves alike; exponent 31 (inf / NaN) gets the f32 exponent 255 instead; then the sign is put back.
import { splat, splatI32 } from "./wat-util.js";

export function convertFunctions(): string {
  return `
  (func $f16x4 (param $h v128) (result v128) (local $m v128)
    (local.set $m (v128.and (local.get $h) ${splatI32(0x7fff)}))
    (v128.or
      (v128.bitselect
        (v128.or (i32x4.shl (local.get $m) (i32.const 13)) ${splatI32(0x7f800000)})
        (f32x4.mul (i32x4.shl (local.get $m) (i32.const 13)) ${splat(2 ** 112)})
        (i32x4.ge_u (local.get $m) ${splatI32(0x7c00)}))
      (i32x4.shl (v128.and (local.get $h) ${splatI32(0x8000)}) (i32.const 16))))

  ;; 4 values of a table of dtype 0 (f32), 1 (f16) or 2 (bf16) from element index $i
  (func $load4 (param $base i32) (param $i i32) (param $dtype i32) (result v128)
    (if (result v128) (i32.eqz (local.get $dtype))
      (then (v128.load (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
      (else (if (result v128) (i32.eq (local.get $dtype) (i32.const 1))
        (then (call $f16x4 (v128.load16x4_u (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 1))))))
        (else (i32x4.shl (v128.load16x4_u (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16)))))))

  ;; one value of such a table
  (func $load1 (param $base i32) (param $i i32) (param $dtype i32) (result f32)
    (f32x4.extract_lane 0 (if (result v128) (i32.eqz (local.get $dtype))
      (then (v128.load32_zero (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
      (else (call $load4 (local.get $base) (local.get $i) (local.get $dtype))))))

  ;; widen(dst, src, n, dtype): dst[0..n) = f32 of the n half-size values at src (n a multiple of 4)
  (func $widen (param $dst i32) (param $src i32) (param $n i32) (param $dtype i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (call $load4 (local.get $src) (local.get $i) (local.get $dtype)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))
  `;
}
