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

/**
 * The loop nest both linear kernels share: blocks of `$rowBlock` rows over [$rowStart, $rowEnd) (the block is
 * [$r0, $r1)), and inside each block the panels [$panelStart, $panelEnd) of NR output columns ($p is the
 * panel, $col its first column). `perBlock` runs once per row block, `perPanel` once per (block, panel).
 * The kernel declares the locals $r0 $r1 $p $col.
 */
export function rowBlocksByPanels(nr: number, perBlock: string, perPanel: string): string {
  return `(local.set $r0 (local.get $rowStart))
    (block $rowsDone (loop $rows
      (br_if $rowsDone (i32.ge_u (local.get $r0) (local.get $rowEnd)))
      (local.set $r1 (i32.add (local.get $r0) (local.get $rowBlock)))
      (if (i32.gt_u (local.get $r1) (local.get $rowEnd)) (then (local.set $r1 (local.get $rowEnd))))
      ${perBlock}
      (local.set $p (local.get $panelStart))
      (block $panelsDone (loop $panels
        (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $panelEnd)))
        (local.set $col (i32.mul (local.get $p) (i32.const ${nr})))
        ${perPanel}
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $panels)))
      (local.set $r0 (local.get $r1))
      (br $rows)))`;
}
