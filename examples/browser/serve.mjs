#!/usr/bin/env node
// A tiny static server for the pooling explorer (index.html), with nothing to install:
//
//   npm run build                                  # once: the library as ES modules in dist/src/
//   node examples/browser/serve.mjs [--model DIR] [--port 8080] [--lib DIR]
//
// then open the address it prints. It serves this folder at /, the library at /lib/ (default: the
// package's dist/src/, which the page's import map names "encoder-pooling") and a Hugging Face model
// folder at /model/ (default: the shipped weights/default/). Only GET, only files inside those folders.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".png": "image/png",
};

/** --name value pairs of the command line. */
function flags(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    if (!name?.startsWith("--") || argv[i + 1] === undefined) throw new Error(`usage: serve.mjs [--model DIR] [--port N] [--lib DIR] (at ${name})`);
    out[name.slice(2)] = argv[i + 1];
  }
  return out;
}

const options = flags(process.argv.slice(2));
const mounts = [
  ["/lib/", resolve(options.lib ?? join(ROOT, "dist", "src"))],
  ["/model/", resolve(options.model ?? join(ROOT, "weights", "default"))],
  ["/", HERE],
];
for (const [prefix, dir] of mounts) {
  if (!existsSync(dir)) throw new Error(`${dir} (for ${prefix}) does not exist${prefix === "/lib/" ? ": run npm run build first, or pass --lib" : ""}`);
}

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const [prefix, dir] = mounts.find(([p]) => path.startsWith(p));
  const file = join(dir, path === "/" ? "index.html" : path.slice(prefix.length));
  const inside = !relative(dir, file).startsWith("..");
  if (req.method !== "GET" || !inside || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
    return;
  }
  // cross-origin isolation: lets the wasm backend start threads (SharedArrayBuffer) in the page
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
  });
  res.end(readFileSync(file));
});

server.listen(Number(options.port ?? 8080), "127.0.0.1", () => {
  console.log(`pooling explorer: http://127.0.0.1:${server.address().port}/  (model: ${mounts[1][1]})`);
});
