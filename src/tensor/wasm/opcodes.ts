// The WebAssembly instructions our kernels use, with their binary encoding (core spec §5.4 and the
// fixed-width SIMD proposal's binary table). One entry per mnemonic: the opcode bytes and the kind of
// immediate that follows in the text format. An instruction missing here is a clear assembler error.

/** What follows an opcode in the text format, and so in the binary. */
export type Immediate =
  | "none"
  | "block" // block type: optional label and (result t)
  | "label" // br, br_if: a label name or depth
  | "local" // local.get/set/tee: a local name or index
  | "func" // call: a function name or index
  | "memarg" // loads and stores: offset=N align=N
  | "memlane" // v128.loadN_lane / storeN_lane: memarg, then a lane index
  | "lane" // extract_lane / replace_lane: a lane index
  | "i32" | "i64" | "f32" | "f64"
  | "v128" // v128.const: a shape (i8x16 … f64x2) and its lanes
  | "shuffle" // i8x16.shuffle: 16 lane indices
  | "memory"; // memory.size / memory.grow: the memory index byte 0

export interface Op {
  readonly bytes: readonly number[];
  readonly immediate: Immediate;
  /** log2 of the natural alignment, for memory instructions. */
  readonly align?: number;
}

const table = new Map<string, Op>();

function add(names: string, first: number, immediate: Immediate = "none", prefix?: number, align?: number): void {
  names.split(/\s+/).filter((n) => n !== "").forEach((name, i) => {
    if (name === "_") return; // a hole in the numbering
    const code = first + i;
    const bytes = prefix === undefined ? [code] : [prefix, ...uleb(code)];
    table.set(name, align === undefined ? { bytes, immediate } : { bytes, immediate, align });
  });
}

/** Unsigned LEB128, as SIMD sub-opcodes (≥ 128) are written. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

// control and variables
add("unreachable nop", 0x00);
add("block loop if", 0x02, "block");
add("else", 0x05);
add("end", 0x0b);
add("br br_if", 0x0c, "label");
add("return", 0x0f);
add("call", 0x10, "func");
add("drop select", 0x1a);
add("local.get local.set local.tee", 0x20, "local");

// scalar memory: [names, first opcode, natural alignment (log2) of each]
const loads: [string, number][] = [
  ["i32.load", 2], ["i64.load", 3], ["f32.load", 2], ["f64.load", 3],
  ["i32.load8_s", 0], ["i32.load8_u", 0], ["i32.load16_s", 1], ["i32.load16_u", 1],
  ["i64.load8_s", 0], ["i64.load8_u", 0], ["i64.load16_s", 1], ["i64.load16_u", 1], ["i64.load32_s", 2], ["i64.load32_u", 2],
  ["i32.store", 2], ["i64.store", 3], ["f32.store", 2], ["f64.store", 3],
  ["i32.store8", 0], ["i32.store16", 1], ["i64.store8", 0], ["i64.store16", 1], ["i64.store32", 2],
];
loads.forEach(([name, align], i) => add(name, 0x28 + i, "memarg", undefined, align));
add("memory.size memory.grow", 0x3f, "memory");
add("i32.const", 0x41, "i32");
add("i64.const", 0x42, "i64");
add("f32.const", 0x43, "f32");
add("f64.const", 0x44, "f64");

// scalar numeric, in opcode order from 0x45
add(`i32.eqz i32.eq i32.ne i32.lt_s i32.lt_u i32.gt_s i32.gt_u i32.le_s i32.le_u i32.ge_s i32.ge_u
     i64.eqz i64.eq i64.ne i64.lt_s i64.lt_u i64.gt_s i64.gt_u i64.le_s i64.le_u i64.ge_s i64.ge_u
     f32.eq f32.ne f32.lt f32.gt f32.le f32.ge f64.eq f64.ne f64.lt f64.gt f64.le f64.ge
     i32.clz i32.ctz i32.popcnt i32.add i32.sub i32.mul i32.div_s i32.div_u i32.rem_s i32.rem_u
     i32.and i32.or i32.xor i32.shl i32.shr_s i32.shr_u i32.rotl i32.rotr
     i64.clz i64.ctz i64.popcnt i64.add i64.sub i64.mul i64.div_s i64.div_u i64.rem_s i64.rem_u
     i64.and i64.or i64.xor i64.shl i64.shr_s i64.shr_u i64.rotl i64.rotr
     f32.abs f32.neg f32.ceil f32.floor f32.trunc f32.nearest f32.sqrt
     f32.add f32.sub f32.mul f32.div f32.min f32.max f32.copysign
     f64.abs f64.neg f64.ceil f64.floor f64.trunc f64.nearest f64.sqrt
     f64.add f64.sub f64.mul f64.div f64.min f64.max f64.copysign
     i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u
     i64.extend_i32_s i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s i64.trunc_f64_u
     f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s f32.convert_i64_u f32.demote_f64
     f64.convert_i32_s f64.convert_i32_u f64.convert_i64_s f64.convert_i64_u f64.promote_f32
     i32.reinterpret_f32 i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64
     i32.extend8_s i32.extend16_s`, 0x45);

// 128-bit SIMD: prefix 0xfd, then the sub-opcode as LEB128
const SIMD = 0xfd;
add("v128.load", 0, "memarg", SIMD, 4);
add("v128.load8x8_s v128.load8x8_u v128.load16x4_s v128.load16x4_u v128.load32x2_s v128.load32x2_u", 1, "memarg", SIMD, 3);
add("v128.load8_splat", 7, "memarg", SIMD, 0);
add("v128.load16_splat", 8, "memarg", SIMD, 1);
add("v128.load32_splat", 9, "memarg", SIMD, 2);
add("v128.load64_splat", 10, "memarg", SIMD, 3);
add("v128.store", 11, "memarg", SIMD, 4);
add("v128.const", 12, "v128", SIMD);
add("i8x16.shuffle", 13, "shuffle", SIMD);
add("i8x16.swizzle i8x16.splat i16x8.splat i32x4.splat i64x2.splat f32x4.splat f64x2.splat", 14, "none", SIMD);
add(`i8x16.extract_lane_s i8x16.extract_lane_u i8x16.replace_lane i16x8.extract_lane_s i16x8.extract_lane_u
     i16x8.replace_lane i32x4.extract_lane i32x4.replace_lane i64x2.extract_lane i64x2.replace_lane
     f32x4.extract_lane f32x4.replace_lane f64x2.extract_lane f64x2.replace_lane`, 21, "lane", SIMD);
add(`i8x16.eq i8x16.ne i8x16.lt_s i8x16.lt_u i8x16.gt_s i8x16.gt_u i8x16.le_s i8x16.le_u i8x16.ge_s i8x16.ge_u
     i16x8.eq i16x8.ne i16x8.lt_s i16x8.lt_u i16x8.gt_s i16x8.gt_u i16x8.le_s i16x8.le_u i16x8.ge_s i16x8.ge_u
     i32x4.eq i32x4.ne i32x4.lt_s i32x4.lt_u i32x4.gt_s i32x4.gt_u i32x4.le_s i32x4.le_u i32x4.ge_s i32x4.ge_u
     f32x4.eq f32x4.ne f32x4.lt f32x4.gt f32x4.le f32x4.ge f64x2.eq f64x2.ne f64x2.lt f64x2.gt f64x2.le f64x2.ge
     v128.not v128.and v128.andnot v128.or v128.xor v128.bitselect v128.any_true`, 35, "none", SIMD);
add("v128.load32_lane", 86, "memlane", SIMD, 2);
add("v128.store32_lane", 90, "memlane", SIMD, 2);
add("v128.load32_zero", 92, "memarg", SIMD, 2);
add("v128.load64_zero", 93, "memarg", SIMD, 3);
add(`f32x4.demote_f64x2_zero f64x2.promote_low_f32x4 i8x16.abs i8x16.neg i8x16.popcnt i8x16.all_true i8x16.bitmask
     i8x16.narrow_i16x8_s i8x16.narrow_i16x8_u f32x4.ceil f32x4.floor f32x4.trunc f32x4.nearest`, 94, "none", SIMD);
add(`i16x8.narrow_i32x4_s i16x8.narrow_i32x4_u i16x8.extend_low_i8x16_s i16x8.extend_high_i8x16_s
     i16x8.extend_low_i8x16_u i16x8.extend_high_i8x16_u i16x8.shl i16x8.shr_s i16x8.shr_u i16x8.add`, 133, "none", SIMD);
add("i32x4.abs i32x4.neg _ i32x4.all_true i32x4.bitmask", 160, "none", SIMD);
add(`i32x4.extend_low_i16x8_s i32x4.extend_high_i16x8_s i32x4.extend_low_i16x8_u i32x4.extend_high_i16x8_u
     i32x4.shl i32x4.shr_s i32x4.shr_u i32x4.add`, 167, "none", SIMD);
add("i32x4.sub", 177, "none", SIMD);
add("i32x4.mul i32x4.min_s i32x4.min_u i32x4.max_s i32x4.max_u i32x4.dot_i16x8_s", 181, "none", SIMD);
add("f32x4.abs f32x4.neg _ f32x4.sqrt f32x4.add f32x4.sub f32x4.mul f32x4.div f32x4.min f32x4.max f32x4.pmin f32x4.pmax", 224, "none", SIMD);
add("f64x2.abs f64x2.neg _ f64x2.sqrt f64x2.add f64x2.sub f64x2.mul f64x2.div f64x2.min f64x2.max f64x2.pmin f64x2.pmax", 236, "none", SIMD);
add(`i32x4.trunc_sat_f32x4_s i32x4.trunc_sat_f32x4_u f32x4.convert_i32x4_s f32x4.convert_i32x4_u
     i32x4.trunc_sat_f64x2_s_zero i32x4.trunc_sat_f64x2_u_zero f64x2.convert_low_i32x4_s f64x2.convert_low_i32x4_u`, 248, "none", SIMD);

// saturating truncation (prefix 0xfc)
add("i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u", 0, "none", 0xfc);

// bulk memory (prefix 0xfc): memory.copy dst src n, with its two memory indices (0 0)
table.set("memory.copy", { bytes: [0xfc, 10, 0, 0], immediate: "none" });
table.set("memory.fill", { bytes: [0xfc, 11, 0], immediate: "none" });

/** The encoding of `name`, or undefined when the assembler does not know it. */
export function opcode(name: string): Op | undefined {
  return table.get(name);
}
