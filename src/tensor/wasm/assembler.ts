// Our WebAssembly assembler: WAT text (the subset the kernels use) in, module bytes out. Together with
// wat.ts (the reader) and opcodes.ts (the instruction table) it is all the toolchain the kernels need, so
// the module is built from readable source at run time: nothing is fetched and no binary is committed.
//
// Supported: one imported memory (`(import "env" "memory" (memory MIN MAX shared))`), functions with
// named params, results, locals and an inline `(export "name")`; instructions in flat form
// (`local.get $x`) and folded form (`(f32x4.add (local.get $a) (local.get $b))`), `block` / `loop` /
// `if … (then …) (else …)` with labels, `call $f`. Binary layout: core spec §5 (sections 1 type,
// 2 import, 3 function, 7 export, 10 code).
import { opcode, uleb, type Op } from "./opcodes.js";
import { parseNumber, readSexps, WatError, type Atom, type List, type Sexp } from "./wat.js";

const VALTYPE: Record<string, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
const LANES: Record<string, { count: number; bytes: number; float: boolean }> = {
  i8x16: { count: 16, bytes: 1, float: false }, i16x8: { count: 8, bytes: 2, float: false },
  i32x4: { count: 4, bytes: 4, float: false }, i64x2: { count: 2, bytes: 8, float: false },
  f32x4: { count: 4, bytes: 4, float: true }, f64x2: { count: 2, bytes: 8, float: true },
};

interface FuncDecl {
  name: string | null;
  exportName: string | null;
  params: { name: string | null; type: string }[];
  results: string[];
  locals: { name: string | null; type: string }[];
  body: Sexp[];
}

/** Assembles a `(module …)` text into WebAssembly bytes; throws a WatError naming the line on any mistake. */
export function assemble(source: string): Uint8Array {
  const top = readSexps(source);
  const module = top[0];
  if (top.length !== 1 || module?.kind !== "list" || head(module) !== "module") {
    throw new WatError("expected one (module …)", source, module?.at ?? 0);
  }
  let memory: { min: number; max: number | null; shared: boolean } | null = null;
  const funcs: FuncDecl[] = [];
  for (const field of module.items.slice(1)) {
    if (field.kind !== "list") throw new WatError("expected a module field", source, field.at);
    if (head(field) === "import") memory = readMemoryImport(field, source);
    else if (head(field) === "func") funcs.push(readFunc(field, source));
    else throw new WatError(`unsupported module field (${head(field)})`, source, field.at);
  }
  const funcIndex = new Map<string, number>();
  funcs.forEach((f, i) => f.name !== null && funcIndex.set(f.name, i));

  // types: one per distinct signature
  const typeKeys: string[] = [];
  const typeOf = funcs.map((f) => {
    const key = `${f.params.map((p) => p.type).join(",")}->${f.results.join(",")}`;
    if (!typeKeys.includes(key)) typeKeys.push(key);
    return typeKeys.indexOf(key);
  });
  const types = typeKeys.map((key) => {
    const [params, results] = key.split("->").map((s) => (s === "" ? [] : s!.split(",")));
    return [0x60, ...vec(params!.map((t) => [VALTYPE[t]!])), ...vec(results!.map((t) => [VALTYPE[t]!]))];
  });

  const sections: number[][] = [section(1, vec(types))];
  if (memory !== null) {
    const flags = (memory.max === null ? 0 : 1) | (memory.shared ? 2 : 0);
    const limits = [flags, ...uleb(memory.min), ...(memory.max === null ? [] : uleb(memory.max))];
    sections.push(section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]])));
  }
  sections.push(section(3, vec(typeOf.map((t) => uleb(t)))));
  const exports = funcs.flatMap((f, i) => (f.exportName === null ? [] : [[...name(f.exportName), 0x00, ...uleb(i)]]));
  sections.push(section(7, vec(exports)));
  sections.push(section(10, vec(funcs.map((f) => sized(encodeBody(f, funcIndex, source))))));
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

function head(list: List): string | undefined {
  const first = list.items[0];
  return first?.kind === "atom" ? first.text : undefined;
}

function atomText(s: Sexp | undefined, what: string, source: string, at: number): string {
  if (s?.kind !== "atom") throw new WatError(`expected ${what}`, source, s?.at ?? at);
  return s.text;
}

function readMemoryImport(field: List, source: string): { min: number; max: number | null; shared: boolean } {
  const desc = field.items[3];
  if (desc?.kind !== "list" || head(desc) !== "memory") throw new WatError("only a memory import is supported", source, field.at);
  const words = desc.items.slice(1).map((s) => atomText(s, "memory limits", source, desc.at));
  const numbers = words.filter((w) => w !== "shared").map(parseNumber);
  return { min: numbers[0] ?? 0, max: numbers[1] ?? null, shared: words.includes("shared") };
}

function readFunc(field: List, source: string): FuncDecl {
  const f: FuncDecl = { name: null, exportName: null, params: [], results: [], locals: [], body: [] };
  let i = 1;
  const first = field.items[1];
  if (first?.kind === "atom" && first.text.startsWith("$")) {
    f.name = first.text;
    i++;
  }
  for (; i < field.items.length; i++) {
    const item = field.items[i]!;
    const kind = item.kind === "list" ? head(item) : undefined;
    if (item.kind !== "list" || (kind !== "export" && kind !== "param" && kind !== "result" && kind !== "local")) break;
    const words = item.items.slice(1).map((s) => atomText(s, "a name or type", source, item.at));
    if (kind === "export") f.exportName = words[0] ?? null;
    else if (kind === "result") f.results.push(...words);
    else {
      const named = words[0]?.startsWith("$") === true;
      const list = kind === "param" ? f.params : f.locals;
      if (named) list.push({ name: words[0]!, type: words[1]! });
      else for (const type of words) list.push({ name: null, type });
    }
  }
  for (const v of [...f.params, ...f.locals]) {
    if (VALTYPE[v.type] === undefined) throw new WatError(`unknown type ${v.type}`, source, field.at);
  }
  f.body = field.items.slice(i);
  return f;
}

/** Encodes a function's locals and instructions (the code-section entry without its size). */
function encodeBody(f: FuncDecl, funcIndex: Map<string, number>, source: string): number[] {
  const localIndex = new Map<string, number>();
  [...f.params, ...f.locals].forEach((v, i) => v.name !== null && localIndex.set(v.name, i));
  // locals: runs of equal types as (count, type)
  const runs: number[][] = [];
  for (let i = 0; i < f.locals.length; ) {
    let j = i;
    while (j < f.locals.length && f.locals[j]!.type === f.locals[i]!.type) j++;
    runs.push([...uleb(j - i), VALTYPE[f.locals[i]!.type]!]);
    i = j;
  }
  const out: number[] = [...vec(runs)];
  new BodyWriter(out, localIndex, funcIndex, source).sequence(f.body);
  out.push(0x0b);
  return out;
}

/** Writes instructions, keeping the stack of enclosing labels that `br $label` is resolved against. */
class BodyWriter {
  private readonly labels: (string | null)[] = [];

  constructor(
    private readonly out: number[],
    private readonly localIndex: Map<string, number>,
    private readonly funcIndex: Map<string, number>,
    private readonly source: string,
  ) {}

  /** A run of instructions, each flat (`op imm…`) or folded (`(op imm… operand…)`). */
  sequence(items: readonly Sexp[]): void {
    let i = 0;
    while (i < items.length) {
      const item = items[i]!;
      if (item.kind === "list") {
        this.folded(item);
        i++;
        continue;
      }
      const op = this.lookup(item);
      i++;
      if (item.text === "end") this.labels.pop();
      if (op.immediate === "block") {
        i = this.blockType(items, i);
        continue;
      }
      this.out.push(...op.bytes);
      const atoms: Atom[] = [];
      while (i < items.length && items[i]!.kind === "atom" && isImmediate(op, items[i] as Atom, atoms)) {
        atoms.push(items[i++] as Atom);
      }
      this.immediates(op, atoms, item);
    }
  }

  private folded(list: List): void {
    const first = list.items[0];
    if (first?.kind !== "atom") throw new WatError("expected an instruction name", this.source, list.at);
    const op = this.lookup(first);
    if (first.text === "block" || first.text === "loop") {
      const i = this.blockTypeFrom(op, list.items, 1);
      this.sequence(list.items.slice(i));
      this.out.push(0x0b);
      this.labels.pop();
      return;
    }
    if (first.text === "if") {
      let i = 1;
      const label = list.items[i]?.kind === "atom" && (list.items[i] as Atom).text.startsWith("$") ? (list.items[i++] as Atom).text : null;
      const result = list.items[i]?.kind === "list" && head(list.items[i] as List) === "result" ? (list.items[i++] as List) : null;
      const arms = list.items.slice(i);
      const thenAt = arms.findIndex((s) => s.kind === "list" && head(s) === "then");
      if (thenAt < 0) throw new WatError("(if …) needs a (then …)", this.source, list.at);
      this.sequence(arms.slice(0, thenAt)); // the condition
      this.out.push(0x04, ...this.resultType(result));
      this.labels.push(label);
      this.sequence((arms[thenAt] as List).items.slice(1));
      const elseArm = arms[thenAt + 1];
      if (elseArm !== undefined) {
        this.out.push(0x05);
        this.sequence((elseArm as List).items.slice(1));
      }
      this.out.push(0x0b);
      this.labels.pop();
      return;
    }
    let i = 1;
    const atoms: Atom[] = [];
    while (i < list.items.length && list.items[i]!.kind === "atom") atoms.push(list.items[i++] as Atom);
    this.sequence(list.items.slice(i)); // operands first
    this.out.push(...op.bytes);
    this.immediates(op, atoms, first);
  }

  /** Flat block / loop / if: `block $label? (result t)?` — returns the index after what it consumed. */
  private blockType(items: readonly Sexp[], i: number): number {
    const op = this.lookup(items[i - 1] as Atom);
    return this.blockTypeFrom(op, items, i);
  }

  private blockTypeFrom(op: Op, items: readonly Sexp[], i: number): number {
    let label: string | null = null;
    if (items[i]?.kind === "atom" && (items[i] as Atom).text.startsWith("$")) label = (items[i++] as Atom).text;
    let result: List | null = null;
    if (items[i]?.kind === "list" && head(items[i] as List) === "result") result = items[i++] as List;
    this.out.push(...op.bytes, ...this.resultType(result));
    this.labels.push(label);
    return i;
  }

  private resultType(result: List | null): number[] {
    if (result === null || result.items.length === 1) return [0x40];
    const t = atomText(result.items[1], "a result type", this.source, result.at);
    return [VALTYPE[t]!];
  }

  private lookup(atom: Atom): Op {
    const op = opcode(atom.text);
    if (op === undefined) throw new WatError(`unknown instruction ${atom.text}`, this.source, atom.at);
    return op;
  }

  private immediates(op: Op, atoms: Atom[], at: Atom): void {
    const src = this.source;
    const number = (a: Atom | undefined): number => {
      const v = parseNumber(atomText(a, "a number", src, at.at));
      if (Number.isNaN(v) && !/nan/.test(a!.text)) throw new WatError(`bad number ${a!.text}`, src, a!.at);
      return v;
    };
    const o = this.out;
    switch (op.immediate) {
      case "none": break;
      case "memory": o.push(0x00); break;
      case "local": o.push(...uleb(this.resolve(atoms[0], this.localIndex, "local"))); break;
      case "func": o.push(...uleb(this.resolve(atoms[0], this.funcIndex, "function"))); break;
      case "label": o.push(...uleb(this.labelDepth(atoms[0], at))); break;
      case "lane": o.push(number(atoms[0])); break;
      case "memarg": case "memlane": {
        let offset = 0;
        let align = op.align ?? 0;
        const lanes: number[] = [];
        for (const a of atoms) {
          if (a.text.startsWith("offset=")) offset = parseNumber(a.text.slice(7));
          else if (a.text.startsWith("align=")) align = Math.log2(parseNumber(a.text.slice(6)));
          else lanes.push(number(a));
        }
        o.push(...uleb(align), ...uleb(offset), ...lanes);
        break;
      }
      case "i32": o.push(...sleb(BigInt(number(atoms[0]) | 0))); break;
      case "i64": o.push(...sleb(BigInt.asIntN(64, BigInt(atomText(atoms[0], "an integer", src, at.at))))); break;
      case "f32": o.push(...new Uint8Array(Float32Array.of(number(atoms[0])).buffer)); break;
      case "f64": o.push(...new Uint8Array(Float64Array.of(number(atoms[0])).buffer)); break;
      case "shuffle": {
        if (atoms.length !== 16) throw new WatError("i8x16.shuffle needs 16 lane indices", src, at.at);
        o.push(...atoms.map(number));
        break;
      }
      case "v128": {
        const shape = LANES[atomText(atoms[0], "a lane shape (i32x4, f32x4, …)", src, at.at)];
        if (shape === undefined || atoms.length !== shape.count + 1) {
          throw new WatError("v128.const needs a shape and one value per lane", src, at.at);
        }
        const bytes = new Uint8Array(16);
        const view = new DataView(bytes.buffer);
        atoms.slice(1).forEach((a, lane) => {
          const v = number(a);
          const p = lane * shape.bytes;
          if (shape.float && shape.bytes === 4) view.setFloat32(p, v, true);
          else if (shape.float) view.setFloat64(p, v, true);
          else if (shape.bytes === 1) view.setUint8(p, v & 0xff);
          else if (shape.bytes === 2) view.setUint16(p, v & 0xffff, true);
          else if (shape.bytes === 4) view.setUint32(p, v >>> 0, true);
          else view.setBigUint64(p, BigInt.asUintN(64, BigInt(a.text)), true);
        });
        o.push(...bytes);
        break;
      }
      case "block": break;
    }
  }

  private resolve(a: Atom | undefined, names: Map<string, number>, what: string): number {
    if (a === undefined) throw new WatError(`expected a ${what}`, this.source, 0);
    if (!a.text.startsWith("$")) return parseNumber(a.text);
    const index = names.get(a.text);
    if (index === undefined) throw new WatError(`unknown ${what} ${a.text}`, this.source, a.at);
    return index;
  }

  private labelDepth(a: Atom | undefined, at: Atom): number {
    if (a === undefined) throw new WatError("expected a label", this.source, at.at);
    if (!a.text.startsWith("$")) return parseNumber(a.text);
    const depth = this.labels.length - 1 - this.labels.lastIndexOf(a.text);
    if (depth >= this.labels.length) throw new WatError(`unknown label ${a.text}`, this.source, a.at);
    return depth;
  }
}

/** Whether the next atom of a flat instruction is one of its immediates (rather than the next instruction). */
function isImmediate(op: Op, atom: Atom, before: readonly Atom[]): boolean {
  const memarg = /^(offset|align)=/.test(atom.text);
  switch (op.immediate) {
    case "none": case "memory": case "block": return false;
    case "memarg": return memarg;
    case "memlane": return memarg || (/^\d+$/.test(atom.text) && before.every((a) => /^(offset|align)=/.test(a.text)));
    case "v128": return before.length < 17 && (before.length === 0 || opcode(atom.text) === undefined);
    case "shuffle": return before.length < 16;
    default: return before.length < 1;
  }
}

/** Signed LEB128 (i32.const, i64.const). */
function sleb(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function sized(bytes: readonly number[]): number[] {
  return [...uleb(bytes.length), ...bytes];
}

function section(id: number, payload: readonly number[]): number[] {
  return [id, ...sized(payload)];
}

function name(text: string): number[] {
  return sized([...new TextEncoder().encode(text)]);
}
