// Small helpers for writing kernels as WAT text in TypeScript: the loops here unroll at build time
// what a C compiler would unroll, so the generated text stays plain WebAssembly.

/** [0, 1, …, n−1]. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Joins generated lines. */
export function lines(parts: readonly string[]): string {
  return parts.join("\n");
}

/** `(local $name type)` for each name. */
export function locals(type: string, names: readonly string[]): string {
  return names.map((n) => `(local ${n} ${type})`).join(" ");
}

/** `(param $name type)` for each name. */
export function params(type: string, names: readonly string[]): string {
  return names.map((n) => `(param ${n} ${type})`).join(" ");
}

/** A number as a WAT literal that round-trips exactly (finite values only). */
export function num(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`num: ${v} is not finite`);
  return String(v);
}

/** `(v128.const f32x4 v v v v)`: a splatted f32 constant. */
export function splat(v: number): string {
  const s = num(v);
  return `(v128.const f32x4 ${s} ${s} ${s} ${s})`;
}

/** `(v128.const i32x4 v v v v)`: a splatted i32 constant. */
export function splatI32(v: number): string {
  return `(v128.const i32x4 ${v} ${v} ${v} ${v})`;
}
