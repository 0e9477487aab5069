// Our WAT assembler: small modules run as the text says, and mistakes name their line.
import { describe, expect, it } from "vitest";
import { assemble } from "../../../src/tensor/wasm/assembler.js";
import { moduleText } from "../../../src/tensor/wasm/module-text.js";
import { WatError } from "../../../src/tensor/wasm/wat.js";

type Fn = (...args: number[]) => number;
const W = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: object) => { exports: Record<string, Fn> }; Module: new (b: Uint8Array) => unknown; validate(b: Uint8Array): boolean } }).WebAssembly;

function run(text: string): Record<string, Fn> {
  return new W.Instance(new W.Module(assemble(text)), {}).exports;
}

describe("assembler", () => {
  it("flat and folded instructions, blocks, loops, if/else, calls", () => {
    const e = run(`(module
      (func $twice (param $x i32) (result i32) (i32.add (local.get $x) (local.get $x)))
      (func (export "sum") (param $n i32) (result i32) (local $s i32)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            local.get $s
            local.get $n
            i32.add
            local.set $s
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (if (result i32) (i32.gt_s (local.get $s) (i32.const 100))
          (then (i32.const -5))
          (else (call $twice (local.get $s))))))`);
    expect(e.sum!(10)).toBe(110);
    expect(e.sum!(20)).toBe(-5);
  });

  it("SIMD constants, lanes, shuffles and float literals", () => {
    const e = run(`(module
      (func (export "lane") (param $i i32) (result f32) (local $v v128)
        (local.set $v (f32x4.mul (v128.const f32x4 1.5 -2 3e2 0x10) (f32x4.splat (f32.const 2))))
        (local.set $v (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3 (local.get $v) (local.get $v)))
        (f32x4.extract_lane 1 (local.get $v)))
      (func (export "dot") (result i32)
        (i32x4.extract_lane 0 (i32x4.dot_i16x8_s (v128.const i16x8 -3 4 0 0 0 0 0 0) (v128.const i16x8 5 -6 0 0 0 0 0 0)))))`);
    expect(e.lane!(0)).toBe(600);
    expect(e.dot!()).toBe(-39);
  });

  it("assembles the whole kernel module, shared and not", () => {
    expect(W.validate(assemble(moduleText(true)))).toBe(true);
    expect(W.validate(assemble(moduleText(false)))).toBe(true);
  });

  it("names the line of an unknown instruction, label or local", () => {
    expect(() => assemble("(module\n (func\n  (f32x4.fma)))")).toThrow(/unknown instruction f32x4.fma at line 3/);
    expect(() => assemble("(module (func (br $nowhere)))")).toThrow(WatError);
    expect(() => assemble("(module (func (local.get $x)))")).toThrow(/unknown local \$x/);
    expect(() => assemble("(module (func (i32.const 1))")).toThrow(/unclosed/);
  });
});
