// Reader of WebAssembly text (WAT) into S-expressions: the first half of our assembler. The kernels are
// written in a subset of the standard text format, so a reader who knows WAT reads them as they are, and
// `wat2wasm` would accept them too. Comments: `;; to the end of the line` and `(; block ;)`.

/** An atom (keyword, $name, number, "string") or a parenthesised list, with where it starts in the text. */
export type Sexp = Atom | List;
export interface Atom { readonly kind: "atom"; readonly text: string; readonly at: number; readonly quoted: boolean }
export interface List { readonly kind: "list"; readonly items: Sexp[]; readonly at: number }

/** An error in the kernel text, naming line and column and showing the line. */
export class WatError extends Error {
  constructor(message: string, source: string, at: number) {
    const before = source.slice(0, at);
    const line = before.split("\n").length;
    const column = at - before.lastIndexOf("\n");
    const text = source.split("\n")[line - 1] ?? "";
    super(`wat: ${message} at line ${line}, column ${column}: ${text.trim()}`);
    this.name = "WatError";
  }
}

const DELIMITER = /[\s()";]/;

/** Parses the whole text into its top-level S-expressions. */
export function readSexps(source: string): Sexp[] {
  let i = 0;
  const stack: List[] = [{ kind: "list", items: [], at: 0 }];
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (source.startsWith(";;", i)) {
      const end = source.indexOf("\n", i);
      i = end < 0 ? source.length : end + 1;
    } else if (source.startsWith("(;", i)) {
      const end = source.indexOf(";)", i);
      if (end < 0) throw new WatError("unterminated block comment", source, i);
      i = end + 2;
    } else if (ch === "(") {
      const list: List = { kind: "list", items: [], at: i };
      stack[stack.length - 1]!.items.push(list);
      stack.push(list);
      i++;
    } else if (ch === ")") {
      if (stack.length === 1) throw new WatError("unbalanced ')'", source, i);
      stack.pop();
      i++;
    } else if (ch === '"') {
      const end = source.indexOf('"', i + 1);
      if (end < 0) throw new WatError("unterminated string", source, i);
      stack[stack.length - 1]!.items.push({ kind: "atom", text: source.slice(i + 1, end), at: i, quoted: true });
      i = end + 1;
    } else {
      const start = i;
      while (i < source.length && !DELIMITER.test(source[i]!)) i++;
      stack[stack.length - 1]!.items.push({ kind: "atom", text: source.slice(start, i), at: start, quoted: false });
    }
  }
  if (stack.length !== 1) throw new WatError("unclosed '('", source, stack[stack.length - 1]!.at);
  return stack[0]!.items;
}

/** A numeric literal of the text format: decimal or 0x hex, `_` separators, optional sign, inf / nan. */
export function parseNumber(text: string): number {
  const t = text.replace(/_/g, "");
  if (/^[+-]?inf$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return t.startsWith("-") ? -Number(t.slice(1)) : Number(t.replace(/^\+/, ""));
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  return NaN;
}
