// Exact (erf) GELU as torch.nn.functional.gelu(approximate="none"), with its own erf/erfc accurate to
// ~1e-11 relative everywhere (far below float32's rounding), built for speed since GELU runs on every
// intermediate activation of the encoder:
//   |x| < 0.75        erf(x)  = x · Σₖ cₖ x²ᵏ, the Taylor series, 11 terms (error < 3e-12)
//   0.75 ≤ |x| < 6    erfc(x) = e^(−x²) · erfcx(x), erfcx by degree-10 polynomials on four intervals,
//                     fitted by test/fixtures/fit_erfcx.py (error < 1e-11)
//   |x| ≥ 6           erfc(x) = e^(−x²)/√π · a continued fraction (rare: GELU inputs beyond ±8.5)
// Legend: n elements, elementwise.
import type { FloatArray } from "../tensor.js";
import { checkSize } from "./check.js";

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const SERIES_LIMIT = 0.75;
export const POLYNOMIAL_LIMIT = 6;
/** Depth of the erfc continued fraction: 40 terms reach double precision for every x ≥ 6. */
export const CF_DEPTH = 40;

/** Taylor coefficients of erf(x)/x in powers of x²: cₖ = (2/√π) · (−1)ᵏ / (k! · (2k+1)). */
export const ERF_SERIES = Array.from({ length: 11 }, (_, k) => {
  let factorial = 1;
  for (let i = 2; i <= k; i++) factorial *= i;
  return ((2 / Math.sqrt(Math.PI)) * (k % 2 === 0 ? 1 : -1)) / (factorial * (2 * k + 1));
});

/** erfcx(x) = e^(x²) · erfc(x) ≈ Σᵢ aᵢ (x − center)ⁱ on [previous `to`, `to`). */
export const ERFCX_PIECES: readonly { to: number; center: number; coefficients: number[] }[] = [
{ to: 1.5, center: 1.125, coefficients: [0.3956980795530905, -0.2380584881178991, 0.12788228041042937, -0.06279394602084575, 0.02861954542047334, -0.012238879821166415, 0.004950295580806224, -0.0019040745549419133, 0.0007014395918380823, -0.0002590583986682194, 8.711044867058855e-05] },
  { to: 2.5, center: 2.0, coefficients: [0.2553956763105956, -0.10679646186727326, 0.041802752589230885, -0.015460636654347786, 0.005440738816940778, -0.0018316892143449186, 0.0005924702142984222, -0.00018455048948493583, 5.569672714163395e-05, -1.7199021748635278e-05, 4.824215337537982e-06] },
  { to: 4.0, center: 3.25, coefficients: [0.16633534842701975, -0.04719940234295594, 0.0129372908700447, -0.0034354705215606605, 0.0008860046617245581, -0.0002223903438884644, 5.4420826176841686e-05, -1.2973133657685288e-05, 3.0346012205866198e-06, -7.505868245796972e-07, 1.6600075302330639e-07] },
  { to: 6.0, center: 5.0, coefficients: [0.11070463773314368, -0.021332789772253828, 0.004040688906394033, -0.000752896664221004, 0.00013810242653431587, -2.4954719677959362e-05, 4.444387337754034e-06, -7.787282118340393e-07, 1.3507697116301592e-07, -2.5027175985705558e-08, 4.182223515419858e-09] },
];

// The same numbers as flat typed arrays, for the hot loops.
const SERIES = Float64Array.from(ERF_SERIES);
const DEGREE = ERFCX_PIECES[0]!.coefficients.length - 1;
const PIECE_ENDS = Float64Array.from(ERFCX_PIECES, (p) => p.to);
const PIECE_CENTERS = Float64Array.from(ERFCX_PIECES, (p) => p.center);
const PIECE_COEFFICIENTS = Float64Array.from(ERFCX_PIECES.flatMap((p) => p.coefficients));

/** erf(x) for |x| < 0.75 by Horner's rule on the Taylor series. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let sum = 0;
  for (let k = SERIES.length - 1; k >= 0; k--) sum = sum * x2 + SERIES[k]!;
  return x * sum;
}

/** erfc(x) for x ≥ 0.75: e^(−x²) times erfcx from its polynomial piece, or the continued fraction past 6. */
function erfcTail(x: number): number {
  if (x >= POLYNOMIAL_LIMIT) {
    // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail
    let t = x;
    for (let n = CF_DEPTH; n > 0; n--) t = x + n / 2 / t;
    return (INV_SQRT_PI * Math.exp(-x * x)) / t;
  }
  let piece = 0;
  while (x >= PIECE_ENDS[piece]!) piece++;
  const t = x - PIECE_CENTERS[piece]!;
  const first = piece * (DEGREE + 1);
  let r = 0;
  for (let i = first + DEGREE; i >= first; i--) r = r * t + PIECE_COEFFICIENTS[i]!;
  return Math.exp(-x * x) * r;
}

/** Error function, accurate to ~1e-11 relative everywhere (also for tiny x, where erf(x) ≈ 2x/√π). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < SERIES_LIMIT) return erfSeries(x);
  if (Number.isNaN(x)) return NaN;
  const r = 1 - erfcTail(ax);
  return x < 0 ? -r : r;
}

/** Complementary error function 1 − erf(x), without the cancellation of `1 - erf(x)` for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= SERIES_LIMIT) return erfcTail(x);
  if (x > -SERIES_LIMIT) return 1 - erfSeries(x);
  return 2 - erfcTail(-x);
}

/** Exact GELU: y = 0.5 · x · (1 + erf(x/√2)) = 0.5 · x · erfc(−x/√2); gelu(300) = 300, gelu(−300) = −0. */
export function geluForward(out: FloatArray, x: FloatArray, n: number): void {
  checkSize("geluForward", "x", x, [n], "[n]");
  checkSize("geluForward", "out", out, [n], "[n]");
  // y = 0.5 · x · erfc(−x/√2): the erfc form keeps full relative accuracy in the tail x ≪ 0
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    out[i] = 0.5 * v * erfc(-v * INV_SQRT2);
  }
}

/** Backward of geluForward: dx += dOut · (Φ(x) + x · φ(x)), Φ(x) = 0.5 · erfc(−x/√2), φ(x) = e^(−x²/2)/√(2π). */
export function geluBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number): void {
  checkSize("geluBackward", "dx", dx, [n], "[n]");
  checkSize("geluBackward", "dOut", dOut, [n], "[n]");
  checkSize("geluBackward", "x", x, [n], "[n]");
  // dx += dOut · (Φ(x) + x · φ(x))
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const cdf = 0.5 * erfc(-v * INV_SQRT2);
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    dx[i]! += dOut[i]! * (cdf + v * pdf);
  }
}
