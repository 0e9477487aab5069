// The core API (src/index.ts, published as "encoder-pooling/core") must run in browsers and workers:
// nothing it reaches may import node:* modules or any package.
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { reachable } from "./import-graph.js";

const ROOT = resolve(import.meta.dirname, "..");

function importGraph(entry: string): { files: Set<string>; external: string[] } {
  const { files, external } = reachable(entry);
  return { files, external: external.map((e) => `${relative(ROOT, e.file)} imports ${e.specifier}`) };
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
