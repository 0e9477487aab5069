// Elementwise kernels over [start, end) of flat f32 arrays: gelu, gelu backward, tanh. Four elements per
// step; the 1–3 left at the end go through the same 4-lane functions (loaded lane by lane), so every
// element gets the same arithmetic wherever a thread's range starts and ends.
import { lines, params, range } from "./wat-util.js";

/** `(local.set $v …)` filling lanes 0..n−1 of $v from f32 at ptr + 4·lane, for the tail of n elements. */
function loadTail(v: string, ptr: string): string {
  return lines(range(3).map((lane) =>
    `(if (i32.gt_u (local.get $n) (i32.const ${lane})) (then (local.set ${v} (f32x4.replace_lane ${lane} (local.get ${v}) (f32.load offset=${4 * lane} (local.get ${ptr}))))))`));
}

function storeTail(v: string, ptr: string): string {
  return lines(range(3).map((lane) =>
    `(if (i32.gt_u (local.get $n) (i32.const ${lane})) (then (f32.store offset=${4 * lane} (local.get ${ptr}) (f32x4.extract_lane ${lane} (local.get ${v})))))`));
}

/**
 * An exported kernel `name(out, in…, start, end)`: out[i] = f(in₀[i], …) for i in [start, end), or
 * out[i] += f(…) when `accumulate`. `body` is a WAT expression over the v128 locals $v0, $v1, ….
 */
function elementwise(name: string, inputs: number, body: string, accumulate: boolean): string {
  const ins = range(inputs).map((i) => `$in${i}`);
  const vs = range(inputs).map((i) => `$v${i}`);
  const at = (p: string): string => `(i32.add (local.get ${p}) (local.get $off))`;
  const result = accumulate ? `(f32x4.add (local.get $o) ${body})` : body;
  return `
  (func $${name} (export "${name}") ${params("i32", ["$out", ...ins, "$start", "$end"])}
    (local $off i32) (local $stop i32) (local $n i32) (local $p i32) (local $o v128) ${vs.map((v) => `(local ${v} v128)`).join(" ")}
    (local.set $off (i32.shl (local.get $start) (i32.const 2)))
    (local.set $stop (i32.shl (local.get $end) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.gt_u (i32.add (local.get $off) (i32.const 16)) (local.get $stop)))
      ${lines(range(inputs).map((i) => `(local.set ${vs[i]} (v128.load ${at(ins[i]!)}))`))}
      ${accumulate ? `(local.set $o (v128.load ${at("$out")}))` : ""}
      (v128.store ${at("$out")} ${result})
      (local.set $off (i32.add (local.get $off) (i32.const 16)))
      (br $next)))
    ;; the last 1–3 elements
    (local.set $n (i32.shr_u (i32.sub (local.get $stop) (local.get $off)) (i32.const 2)))
    (if (local.get $n) (then
      ${lines(range(inputs).map((i) => `(local.set $p ${at(ins[i]!)}) ${loadTail(vs[i]!, "$p")}`))}
      (local.set $p ${at("$out")})
      ${accumulate ? loadTail("$o", "$p") : ""}
      (local.set $o ${result})
      ${storeTail("$o", "$p")}))
  )`;
}

/** gelu(y, x, start, end); gelu_backward(dx, dy, x, start, end) with dx += dy · gelu'(x); tanh(y, x, start, end). */
export function elementwiseKernels(): string {
  return [
    elementwise("gelu", 1, "(call $gelu4 (local.get $v0))", false),
    elementwise("gelu_backward", 2, "(f32x4.mul (local.get $v0) (call $gelu_grad4 (local.get $v1)))", true),
    elementwise("tanh", 1, "(call $tanh4 (local.get $v0))", false),
  ].join("\n");
}
