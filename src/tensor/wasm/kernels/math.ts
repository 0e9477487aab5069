// Vector math on f32x4 (4 lanes, each computed on its own, so a result never depends on its neighbours):
// exp, the exact-GELU erfc, tanh and sigmoid, as WAT functions that the other kernels call.
// WebAssembly has no exp instruction, so exp is ours: range reduction to r ∈ [−ln2/2, ln2/2] and a
// degree-7 Taylor polynomial (error < 5e-9 before rounding). Results below float32's smallest normal
// number (x < −87.34) are flushed to 0: subnormals would be 1e-38 of a sum and cost microcode on x86.
import { CF_DEPTH, ERF_SERIES, ERFCX_PIECES, POLYNOMIAL_LIMIT, SERIES_LIMIT } from "../../ops/gelu.js";
import { lines, range, splat, splatI32 } from "./wat-util.js";

const LN2_HI = 0.693359375; // 355/512: n·LN2_HI is exact for |n| < 2^15
const LN2_LO = Math.LN2 - LN2_HI;
/** ln(2^−126): below it exp(x) is not a normal float32. */
const EXP_FLUSH = -87.33654475;

/** Horner's rule over `coefficients` (lowest power first) in the v128 local `t`, as one WAT expression. */
function horner(coefficients: readonly string[], t: string): string {
  let expr = coefficients[coefficients.length - 1]!;
  for (let i = coefficients.length - 2; i >= 0; i--) expr = `(f32x4.add ${coefficients[i]} (f32x4.mul ${expr} (local.get ${t})))`;
  return expr;
}

/** A v128 constant whose lane i is values[i] (4 values). */
function lanes4(values: readonly number[]): string {
  return `(v128.const f32x4 ${values.map((v) => String(Math.fround(v))).join(" ")})`;
}

/** The WAT functions $exp4, $expsum4, $erfc_gelu4, $gelu4, $tanh4, $sigmoid4. */
export function mathFunctions(): string {
  const taylor = range(8).map((k) => {
    let f = 1;
    for (let i = 2; i <= k; i++) f *= i;
    return splat(Math.fround(1 / f));
  });
  // erfcx piece i holds the coefficients of (x − centerᵢ)^k; lane i of COEFF[k] is piece i's k-th coefficient
  const degree = ERFCX_PIECES[0]!.coefficients.length;
  const coefficient = range(degree).map((k) => `(i8x16.swizzle ${lanes4(ERFCX_PIECES.map((p) => p.coefficients[k]!))} (local.get $sel))`);
  const tanhSeries = [1, -1 / 3, 2 / 15, -17 / 315, 62 / 2835, -1382 / 155925, 21844 / 6081075, -929569 / 638512875];
  return `
  ;; exp(a + b) for a small correction b (|b| ≪ 1): n = round((a+b)/ln2), r = a − n·ln2 + b, exp = 2^n · P(r)
  (func $expsum4 (param $a v128) (param $b v128) (result v128) (local $n v128) (local $r v128) (local $half v128) (local $x v128)
    (local.set $x (f32x4.add (local.get $a) (local.get $b)))
    (local.set $a (f32x4.max (f32x4.min (local.get $a) ${splat(89)}) ${splat(-104)}))
    (local.set $n (f32x4.nearest (f32x4.mul (f32x4.add (local.get $a) (local.get $b)) ${splat(Math.LOG2E)})))
    ;; r = ((a − n·ln2_hi) − n·ln2_lo) + b
    (local.set $r (f32x4.add (f32x4.sub (f32x4.sub (local.get $a) (f32x4.mul (local.get $n) ${splat(LN2_HI)}))
                                        (f32x4.mul (local.get $n) ${splat(LN2_LO)})) (local.get $b)))
    ;; P(r) = Σ r^k / k!, k ≤ 7
    (local.set $r ${horner(taylor, "$r")})
    ;; 2^n as two factors 2^⌊n/2⌋ · 2^(n−⌊n/2⌋), each built in the exponent bits, so n up to 254 stays finite
    (local.set $n (i32x4.trunc_sat_f32x4_s (local.get $n)))
    (local.set $half (i32x4.shr_s (local.get $n) (i32.const 1)))
    (local.set $r (f32x4.mul (local.get $r) (i32x4.shl (i32x4.add (local.get $half) ${splatI32(127)}) (i32.const 23))))
    (local.set $r (f32x4.mul (local.get $r) (i32x4.shl (i32x4.add (i32x4.sub (local.get $n) (local.get $half)) ${splatI32(127)}) (i32.const 23))))
    ;; flush to 0 below the smallest normal float32 (and for −inf); NaN stays NaN
    (v128.andnot (local.get $r) (f32x4.lt (local.get $x) ${splat(EXP_FLUSH)})))

  (func $exp4 (param $x v128) (result v128)
    (call $expsum4 (local.get $x) (v128.const i32x4 0 0 0 0)))

  ;; erfc(−x/√2) for the exact GELU, with ops/gelu.ts's erf: with z = −x/√2,
  ;;   |z| < ${SERIES_LIMIT}:  1 − erf(z), erf by its Taylor series in z² (11 terms)
  ;;   |z| < ${POLYNOMIAL_LIMIT}:  e^(−z²) · erfcx(|z|), erfcx by the fitted polynomial of |z|'s piece
  ;;   |z| ≥ ${POLYNOMIAL_LIMIT}:  e^(−z²)/√π / (continued fraction, ${CF_DEPTH} terms), only when a lane needs it
  ;;   and erfc(z) = 2 − erfc(|z|) for z < 0.
  ;; e^(−z²) = e^(−x²/2) is taken as e^(a+b) with x = hi + lo (hi: 12 bits, so a = −hi²/2 is exact) and
  ;; b = −lo·(x + hi)/2: the f32 rounding of x² would otherwise cost 4e-6 relative at |z| = 6.
  (func $erfc_gelu4 (param $x v128) (result v128)
    (local $z v128) (local $az v128) (local $z2 v128) (local $s v128) (local $sel v128) (local $t v128)
    (local $hi v128) (local $e v128) (local $tail v128) (local $cf v128)
    (local.set $z (f32x4.mul (local.get $x) ${splat(-Math.SQRT1_2)}))
    (local.set $az (f32x4.abs (local.get $z)))
    ;; series: 1 − z · Σ c_k z^(2k)
    (local.set $z2 (f32x4.mul (local.get $z) (local.get $z)))
    (local.set $s (f32x4.sub ${splat(1)} (f32x4.mul (local.get $z) ${horner(ERF_SERIES.map(splat), "$z2")})))
    ;; piece index 0..3 per lane (the masks are −1 where true), as byte selectors 4·i + 0..3 for swizzle
    (local.set $sel (i32x4.neg (i32x4.add (i32x4.add
      (f32x4.ge (local.get $az) ${splat(ERFCX_PIECES[0]!.to)}) (f32x4.ge (local.get $az) ${splat(ERFCX_PIECES[1]!.to)}))
      (f32x4.ge (local.get $az) ${splat(ERFCX_PIECES[2]!.to)}))))
    (local.set $sel (i32x4.add (i32x4.mul (local.get $sel) ${splatI32(0x04040404)}) ${splatI32(0x03020100)}))
    (local.set $t (f32x4.sub (local.get $az) (i8x16.swizzle ${lanes4(ERFCX_PIECES.map((p) => p.center))} (local.get $sel))))
    ;; e^(−x²/2) with x split in hi + lo
    (local.set $hi (v128.and (local.get $x) ${splatI32(0xfffff000 | 0)}))
    (local.set $e (call $expsum4
      (f32x4.mul (f32x4.mul (local.get $hi) (local.get $hi)) ${splat(-0.5)})
      (f32x4.mul (f32x4.mul (f32x4.sub (local.get $x) (local.get $hi)) (f32x4.add (local.get $x) (local.get $hi))) ${splat(-0.5)})))
    (local.set $tail (f32x4.mul (local.get $e) ${horner(coefficient, "$t")}))
    (if (v128.any_true (f32x4.ge (local.get $az) ${splat(POLYNOMIAL_LIMIT)})) (then
      ;; t = |z| + (n/2)/t from n = ${CF_DEPTH} down to 1; erfc = e^(−z²)/√π / t
      (local.set $cf (local.get $az))
      ${lines(range(CF_DEPTH).map((i) => `(local.set $cf (f32x4.add (local.get $az) (f32x4.div ${splat((CF_DEPTH - i) / 2)} (local.get $cf))))`))}
      (local.set $tail (v128.bitselect
        (f32x4.div (f32x4.mul (local.get $e) ${splat(1 / Math.sqrt(Math.PI))}) (local.get $cf))
        (local.get $tail)
        (f32x4.ge (local.get $az) ${splat(POLYNOMIAL_LIMIT)})))))
    ;; erfc(z) = 2 − erfc(|z|) for z < 0
    (local.set $tail (v128.bitselect (f32x4.sub ${splat(2)} (local.get $tail)) (local.get $tail) (f32x4.lt (local.get $z) ${splat(0)})))
    (v128.bitselect (local.get $s) (local.get $tail) (f32x4.lt (local.get $az) ${splat(SERIES_LIMIT)})))

  ;; gelu(x) = 0.5 · x · erfc(−x/√2)
  (func $gelu4 (param $x v128) (result v128)
    (f32x4.mul (f32x4.mul (local.get $x) ${splat(0.5)}) (call $erfc_gelu4 (local.get $x))))

  ;; gelu'(x) = Φ(x) + x · φ(x), Φ(x) = erfc(−x/√2)/2, φ(x) = e^(−x²/2)/√(2π)
  (func $gelu_grad4 (param $x v128) (result v128)
    (f32x4.add (f32x4.mul (call $erfc_gelu4 (local.get $x)) ${splat(0.5)})
      (f32x4.mul (local.get $x) (f32x4.mul (call $exp4 (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) ${splat(-0.5)})) ${splat(1 / Math.sqrt(2 * Math.PI))}))))

  ;; tanh(x): the odd Taylor series below |x| = 0.55 (error < 5e-8 relative), else sign · (1 − 2/(e^(2|x|) + 1))
  (func $tanh4 (param $x v128) (result v128) (local $ax v128) (local $x2 v128) (local $big v128)
    (local.set $ax (f32x4.abs (local.get $x)))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $big (f32x4.sub ${splat(1)} (f32x4.div ${splat(2)} (f32x4.add (call $exp4 (f32x4.add (local.get $ax) (local.get $ax))) ${splat(1)}))))
    ;; copy the sign of x onto the large-|x| branch
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) ${splatI32(0x80000000 | 0)})))
    (v128.bitselect
      (f32x4.mul (local.get $x) ${horner(tanhSeries.map(splat), "$x2")})
      (local.get $big)
      (f32x4.lt (local.get $ax) ${splat(0.55)})))

  ;; σ(x) = 1 / (1 + e^(−x))
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div ${splat(1)} (f32x4.add ${splat(1)} (call $exp4 (f32x4.neg (local.get $x))))))
  `;
}
