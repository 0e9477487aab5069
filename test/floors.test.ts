// The folders of src/ draw the pipeline, and nothing imports upward (docs/ARCHITECTURE.md):
//   errors → tensor → encoder → formats, pooling → pipeline → train → index.ts → io → node.ts → cli
// This test builds the import graph of every file under src/ and fails on an import that the table
// below does not allow, on a cycle between files, and on a command that reaches past the public API.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { findCycle, importSpecifiers, resolveRelative } from "./import-graph.js";

const SRC = resolve(import.meta.dirname, "..", "src");

/** What each floor may import besides itself: only floors below it. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  errors: [],
  tensor: ["errors"],
  encoder: ["tensor", "errors"],
  formats: ["encoder", "tensor", "errors"],
  pooling: ["encoder", "tensor", "errors"],
  pipeline: ["pooling", "encoder", "tensor", "errors"],
  train: ["pipeline", "pooling", "formats", "encoder", "tensor", "errors"],
  index: ["train", "pipeline", "pooling", "formats", "encoder", "tensor", "errors"],
  io: ["train", "pipeline", "pooling", "formats", "encoder", "tensor", "errors"],
  node: ["index", "io"],
  cli: ["node", "index"],
};

/** The floor of a file: its top folder under src/, or the name of a top-level file (errors, index, node). */
function floorOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!.replace(/\.ts$/, "");
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

/** file -> the files it imports (relative imports only). */
function graphOf(files: readonly string[], read: (file: string) => string): Map<string, string[]> {
  return new Map(files.map((file) => [file, importSpecifiers(read(file)).filter((s) => s.startsWith(".")).map((s) => resolveRelative(file, s))]));
}

/** Every import that goes to a floor the importer may not use, as "from -> to". */
function upwardImports(graph: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [file, targets] of graph) {
    const floor = floorOf(file);
    for (const target of targets) {
      const to = floorOf(target);
      if (to !== floor && !(MAY_IMPORT[floor] ?? []).includes(to)) bad.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return bad;
}

const files = sourceFiles(SRC);
const graph = graphOf(files, (file) => readFileSync(file, "utf8"));

describe("the import graph of src/", () => {
  it("sees every file and every import (static, re-export, dynamic, worker script)", () => {
    expect(files.length).toBeGreaterThan(80);
    expect(Object.keys(MAY_IMPORT).sort()).toEqual([...new Set(files.map(floorOf))].sort());
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((t) => !files.includes(t)).map((t) => `${relative(SRC, file)} -> ${t}`));
    expect(missing).toEqual([]);
    expect(importSpecifiers(`import type { A } from "./a.js";\nexport * from "../b.js";\nconst c = await import("./c.js");\nnew URL("./d.js", import.meta.url);`))
      .toEqual(["./a.js", "../b.js", "./c.js", "./d.js"]);
  });

  it("has no upward import: each floor imports only the floors below it", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("has no cycle between files", () => {
    expect(findCycle(graph)).toBeNull();
  });

  it("gives every command only the public API (src/index.ts, src/node.ts) and its own folder", () => {
    const reaching = [...graph].filter(([file]) => floorOf(file) === "cli")
      .flatMap(([file, targets]) => targets.filter((t) => floorOf(t) !== "cli" && !/src[\\/](index|node)\.ts$/.test(t)).map((t) => `${relative(SRC, file)} -> ${relative(SRC, t)}`));
    expect(reaching).toEqual([]);
  });

  it("keeps every command file under 200 lines", () => {
    const long = files.filter((f) => floorOf(f) === "cli").map((f) => [relative(SRC, f), readFileSync(f, "utf8").split("\n").length - 1] as const)
      .filter(([, lines]) => lines > 200);
    expect(long).toEqual([]);
  });

  it("would catch an upward import and a cycle (the checks themselves can fail)", () => {
    const fake = new Map([
      [join(SRC, "pooling", "a.ts"), [join(SRC, "train", "b.ts")]],
      [join(SRC, "train", "b.ts"), [join(SRC, "train", "c.ts")]],
      [join(SRC, "train", "c.ts"), [join(SRC, "train", "b.ts")]],
    ]);
    expect(upwardImports(fake)).toEqual([`${join("pooling", "a.ts")} -> ${join("train", "b.ts")}`]);
    expect(findCycle(fake)).toEqual([join(SRC, "train", "b.ts"), join(SRC, "train", "c.ts"), join(SRC, "train", "b.ts")]);
  });
});
