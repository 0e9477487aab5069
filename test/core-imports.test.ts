// The core API (src/index.ts, published as "encoder-pooling/core") must run in browsers and workers:
// nothing it reaches may import node:* modules or any package.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** Every module reachable from `entry` through relative imports, and every non-relative import met. */
function importGraph(entry: string): { files: Set<string>; external: string[] } {
  const files = new Set<string>();
  const external: string[] = [];
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)) {
      const specifier = match[1]!;
      if (!specifier.startsWith(".")) external.push(`${relative(ROOT, file)} imports ${specifier}`);
      else visit(join(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
  };
  visit(entry);
  return { files, external };
}

describe("the core entry point", () => {
  it("reaches no node:* module and no package", () => {
    const { files, external } = importGraph(join(ROOT, "src", "index.ts"));
    expect(files.size).toBeGreaterThan(30);
    expect(external).toEqual([]);
  });

  it("the scan sees a node:* import where there is one (src/node.ts)", () => {
    const { external } = importGraph(join(ROOT, "src", "node.ts"));
    expect(external.some((e) => e.includes("node:"))).toBe(true);
  });
});
