// The import graph of our TypeScript sources, read from the text of each file: static `import … from`,
// `export … from`, side-effect `import "…"`, dynamic `import("…")` and worker scripts
// (`new URL("./x.js", import.meta.url)`). Type-only imports count too: a floor that needs another's
// types depends on it as much as on its code.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The specifiers a source text imports, in order of appearance. */
export function importSpecifiers(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bnew\s+URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g,
  ];
  const found: { at: number; specifier: string }[] = [];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push({ at: match.index, specifier: match[1]! });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.specifier);
}

/** The .ts file a relative specifier of `file` names (`./x.js` -> `<dir>/x.ts`). */
export function resolveRelative(file: string, specifier: string): string {
  return join(dirname(file), specifier.replace(/\.js$/, ".ts"));
}

/** Every module reachable from `entry` through relative imports, and every non-relative import met. */
export function reachable(entry: string): { files: Set<string>; external: { file: string; specifier: string }[] } {
  const files = new Set<string>();
  const external: { file: string; specifier: string }[] = [];
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of importSpecifiers(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) visit(resolveRelative(file, specifier));
      else external.push({ file, specifier });
    }
  };
  visit(entry);
  return { files, external };
}

/** A cycle of `graph` (file -> files it imports) as a path a -> b -> … -> a, or null when there is none. */
export function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === "done") return null;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== null) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle !== null) return cycle;
  }
  return null;
}
