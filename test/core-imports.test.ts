// The core API (src/index.ts, published as "encoder-pooling/core") must run unchanged in browsers,
// workers, Deno, Bun and workerd: nothing it reaches may load a node:* module or a package — through
// a static import or export, a side-effect import, a dynamic import(), a type import or require — nor
// name a Node global (Buffer, process, __dirname, …). The files are read with TypeScript's parser, so
// comments, strings and property names (`options.process`) do not count. tsconfig.core.json checks
// the same closure's types without @types/node; this test checks its syntax.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

/** Globals that exist in Node (and in Deno or Bun only for Node compatibility), not on the web. */
const NODE_GLOBALS = new Set(["Buffer", "process", "__dirname", "__filename", "require", "module", "exports", "global", "setImmediate", "clearImmediate"]);
/** Names under which a global object is reached: `globalThis.process`, `self["Buffer"]`. */
const GLOBAL_OBJECTS = new Set(["globalThis", "global", "self", "window"]);

/** What one file imports (specifiers as written) and what it does that the core may not. */
interface FileScan {
  specifiers: string[];
  problems: string[];
}

/** Reads one module's syntax: every module it loads, and each use of a Node global or a computed import. */
function scanSource(fileName: string, source: string): FileScan {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  const problems: string[] = [];
  const at = (node: ts.Node): string => `${fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const specifier = (node: ts.Node, expression: ts.Node | undefined, how: string): void => {
    if (expression !== undefined && ts.isStringLiteralLike(expression)) specifiers.push(expression.text);
    else problems.push(`${at(node)}: ${how} of a computed specifier`);
  };
  // names the file declares itself (`const module = …`, a parameter `exports`) shadow the Node globals
  const declared = declaredNames(file);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined)) {
      specifier(node, node.moduleSpecifier, "import");
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      specifier(node, node.moduleReference.expression, "import = require");
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      specifier(node, node.arguments[0], "dynamic import()");
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "require") {
      specifier(node, node.arguments[0], "require()");
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifier(node, node.argument.literal, "type import()");
    } else if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && !isPropertyName(node) && !declared.has(node.text)) {
      problems.push(`${at(node)}: uses the Node global ${node.text}`);
    } else if (isGlobalObjectMember(node)) {
      problems.push(`${at(node)}: uses the Node global ${node.getText()}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { specifiers, problems };
}

/**
 * `x.process`, `{ process: 1 }`, `class { process() {} }`: a name that is a property, not a variable
 * (`globalThis.process` is caught as a whole by isGlobalObjectMember).
 */
function isPropertyName(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent)) return parent.name === node;
  if (ts.isQualifiedName(parent)) return parent.right === node;
  const named = parent as ts.Node & { name?: ts.Node };
  const keyed = ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isPropertySignature(parent) ||
    ts.isMethodDeclaration(parent) || ts.isMethodSignature(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent) ||
    ts.isEnumMember(parent);
  return keyed && named.name === node;
}

/** Every name a file binds: variables, parameters, destructured bindings, functions, classes, imports. */
function declaredNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    const named = node as ts.Node & { name?: ts.Node };
    const binds = ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node) ||
      ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isImportSpecifier(node) || ts.isImportClause(node);
    if (binds && named.name !== undefined && ts.isIdentifier(named.name)) names.add(named.name.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

/** `globalThis.process`, `self.Buffer`, `globalThis["require"]`. */
function isGlobalObjectMember(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node)) {
    return ts.isIdentifier(node.expression) && GLOBAL_OBJECTS.has(node.expression.text) && NODE_GLOBALS.has(node.name.text);
  }
  if (ts.isElementAccessExpression(node)) {
    const key = node.argumentExpression;
    return ts.isIdentifier(node.expression) && GLOBAL_OBJECTS.has(node.expression.text) && ts.isStringLiteralLike(key) && NODE_GLOBALS.has(key.text);
  }
  return false;
}

/** The module `specifier` names from `from` ("./x.js" is the TypeScript file x.ts), or undefined. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier);
  return [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, join(base, "index.ts")].find((f) => existsSync(f) && f.endsWith(".ts"));
}

/** Every module reachable from `entry` through relative specifiers, and all that the core may not do. */
function importGraph(entry: string): { files: Set<string>; problems: string[] } {
  const files = new Set<string>();
  const problems: string[] = [];
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const scan = scanSource(relative(ROOT, file), readFileSync(file, "utf8"));
    problems.push(...scan.problems);
    for (const specifier of scan.specifiers) {
      if (!specifier.startsWith(".")) {
        problems.push(`${relative(ROOT, file)} imports ${specifier}`);
        continue;
      }
      const target = resolveRelative(file, specifier);
      if (target === undefined) problems.push(`${relative(ROOT, file)}: cannot resolve ${specifier}`);
      else visit(target);
    }
  };
  visit(entry);
  return { files, problems };
}

describe("the core entry point", () => {
  it("reaches no node:* module, no package and no Node global", () => {
    const { files, problems } = importGraph(join(ROOT, "src", "index.ts"));
    expect(files.size).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it("the scan sees the node:* imports of src/node.ts", () => {
    const { problems } = importGraph(join(ROOT, "src", "node.ts"));
    expect(problems.some((p) => p.includes("imports node:"))).toBe(true);
  });
});

describe("the scan", () => {
  it("catches every way of loading a module or reaching Node", () => {
    const source = [
      `import { a } from "./a.js";`,
      `import "node:stream";`,
      `export * from "node:path";`,
      `import type { Worker } from "node:worker_threads";`,
      `import fs = require("node:fs");`,
      `const os = await import("node:os");`,
      `const name = "x"; const m = await import(name);`,
      `type U = typeof import("node:url");`,
      `const b = Buffer.from("x");`,
      `const env = process.env.HOME;`,
      `const here = __dirname + __filename;`,
      `const r = require("fs");`,
      `setImmediate(() => {});`,
      `const p = globalThis.process; const q = globalThis["Buffer"];`,
    ].join("\n");
    const { specifiers, problems } = scanSource("probe.ts", source);
    expect(specifiers).toEqual(["./a.js", "node:stream", "node:path", "node:worker_threads", "node:fs", "node:os", "node:url", "fs"]);
    const lines = (word: string): number[] => problems.filter((p) => p.includes(word)).map((p) => Number(/probe\.ts:(\d+)/.exec(p)![1]));
    expect(lines("computed specifier")).toEqual([7]);
    expect(lines("global Buffer")).toEqual([9]);
    expect(lines("global process")).toEqual([10]);
    expect(lines("global __dirname")).toEqual([11]);
    expect(lines("global __filename")).toEqual([11]);
    expect(lines("global require")).toEqual([12]);
    expect(lines("global setImmediate")).toEqual([13]);
    expect(lines("global globalThis.process")).toEqual([14]);
    expect(lines('global globalThis["Buffer"]')).toEqual([14]);
  });

  it("ignores comments, strings and property names", () => {
    const source = [
      `// process the Buffer, require nothing`,
      `const s = "process.env and Buffer and require('fs')";`,
      `const o = { process: 1, Buffer: 2 }; o.process += o.Buffer;`,
      `interface I { process(): void; module: string }`,
      "const t = `import(\"node:fs\")`;",
      `const module = new WebAssembly.Module(bytes); function run(exports: object) { return [module, exports]; }`,
    ].join("\n");
    expect(scanSource("clean.ts", source)).toEqual({ specifiers: [], problems: [] });
  });
});
