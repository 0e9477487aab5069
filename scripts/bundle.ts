// Bundles of the core entry point made with esbuild the way an application would make them: ESM for
// `platform: "browser"` (so a node:* import anywhere in the closure fails the build), tree-shaken, and
// minified where asked. Used by `npm run size` (scripts/size.ts) and by the tests in test/runtimes/.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/**
 * Gzip budget of the load-and-embed bundle, in bytes: issue 11's "≤ 60 KB with the wasm kernels", read as
 * 60 KiB. Measured: 51.1 KB with the kernels embedded as deflated bytes (src/tensor/wasm/module.ts); it was
 * 61.8 KB when the bundle carried their WAT text and the assembler.
 */
export const LOAD_AND_EMBED_GZIP_BUDGET = 61_440;

/** The checkout's root (the folder of encoder-pooling's package.json), found from this file's location. */
export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  const manifest = join(dir, "package.json");
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "encoder-pooling") return dir;
  const parent = dirname(dir);
  if (parent === dir) throw new Error(`no encoder-pooling package.json above ${fileURLToPath(import.meta.url)}`);
  return findRoot(parent);
}

/** What an application imports, per measured bundle: source text resolved from the checkout's root. */
export const ENTRIES = {
  /** A page or worker that loads a model (from bytes or a URL) and embeds: the budgeted bundle. */
  "load-and-embed": `export { loadModelFromBuffers, loadModelFromUrl } from "./src/index.js";`,
  /** Everything the core entry exports: tensors, encoder, tokenizer, poolers, training. */
  "whole core": `export * from "./src/index.js";`,
} as const;

export interface BundleOptions {
  minify?: boolean;
  /** "browser" (default): a node:* import fails the build. "node" leaves node:* imports to Node. */
  platform?: "browser" | "node";
}

/**
 * One ESM bundle of `entry`: a file path (relative to the root) or `{ contents }`, a
 * module's source text whose imports resolve from the root. Throws with esbuild's messages on failure.
 */
export async function bundle(entry: string | { contents: string }, options: BundleOptions = {}): Promise<string> {
  const result = await build({
    ...(typeof entry === "string" ? { entryPoints: [join(ROOT, entry)] } : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: "ts" } }),
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    platform: options.platform ?? "browser",
    target: "es2022",
    minify: options.minify ?? false,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** Raw and gzip (level 9) byte counts of a bundle's text. */
export function sizeOf(code: string): { raw: number; gzip: number } {
  const bytes = new TextEncoder().encode(code);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}
