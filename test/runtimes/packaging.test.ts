// The package as users get it: `npm pack` (which runs the build, as publishing does) on a copy of the
// checkout, then `npm install` of the tarball into an empty project. There, the core and Node entries
// load, the shipped model is reached through `exports` (encoder-pooling/weights/default/*), internal
// paths stay closed, a bundler tree-shakes the core within budget, and every sourcemap points at a
// file the package ships.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { build } from "esbuild";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOAD_AND_EMBED_GZIP_BUDGET, sizeOf } from "../../scripts/bundle.js";
import { removeSite, ROOT, run } from "./harness.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let work = "";
/** The installed package: <app>/node_modules/encoder-pooling. */
let installed = "";
let app = "";
let packedFiles: string[] = [];

/** A copy of what the build and the package need: package.json's `files` and the build's inputs. */
function stageCheckout(stage: string): void {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
  const buildConfig = ts.readConfigFile(join(ROOT, "tsconfig.build.json"), ts.sys.readFile).config as { include: string[] };
  const entries = new Set(["package.json", "tsconfig.json", "tsconfig.build.json", ...manifest.files, ...buildConfig.include]);
  for (const entry of entries) {
    if (entry.startsWith("dist") || !existsSync(join(ROOT, entry))) continue;
    cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
  }
  // The build's compiler and @types/node, without a second install.
  symlinkSync(join(ROOT, "node_modules"), join(stage, "node_modules"), "dir");
}

/** Every file under `dir`, as paths relative to it. */
function walk(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    return entry.isDirectory() ? walk(dir, path) : [path];
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "encoder-pooling-pack-"));
  const stage = join(work, "stage");
  mkdirSync(stage);
  stageCheckout(stage);
  const packJson = await run(npm, ["pack", "--json", "--loglevel=error", "--pack-destination", work], { cwd: stage, timeoutMs: 240_000 });
  // `prepare` (the build) prints its banner before npm's JSON.
  const packed = JSON.parse(packJson.slice(packJson.indexOf("\n[") + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed[0]!.files.map((f) => f.path);
  app = join(work, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  const install = ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"];
  await run(npm, [...install, join(work, packed[0]!.filename)], { cwd: app, timeoutMs: 120_000 });
  installed = join(app, "node_modules", "encoder-pooling");
}, 300_000);

afterAll(() => {
  if (work) removeSite(work);
});

/** A consumer's script, run by Node in the app folder: what it prints, parsed. */
const CONSUMER = `
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as core from "encoder-pooling/core";
import { loadModel } from "encoder-pooling";

const file = (name) => fileURLToPath(import.meta.resolve("encoder-pooling/weights/default/" + name));
const model = await core.loadModelFromBuffers({
  config: await readFile(file("config.json"), "utf8"),
  weights: new Uint8Array(await readFile(file("model.safetensors"))),
  vocab: await readFile(file("vocab.json"), "utf8"),
  merges: await readFile(file("merges.txt"), "utf8"),
});
const texts = ["Hello world", "naïve café"];
const fromExports = await model.embed(texts, { pooling: "mean-max" });
const loaded = await loadModel(undefined, { backend: "wasm", threads: 2 });
const fromLoadModel = await loaded.embed(texts, { pooling: "mean-max" });
const closed = (specifier) => { try { import.meta.resolve(specifier); return "resolved"; } catch (err) { return err.code; } };
console.log(JSON.stringify({
  weights: file("model.safetensors"),
  dim: fromExports.dim,
  same: fromExports.data.every((x, i) => Math.abs(x - fromLoadModel.data[i]) <= 1e-4),
  threads: loaded.encoder.backend.threads,
  errorName: new core.ConfigError("x").name,
  internal: closed("encoder-pooling/src/pipeline/model.ts"),
  internalDist: closed("encoder-pooling/dist/src/pipeline/model.js"),
}));
`;

describe("the packed and installed package", () => {
  it("serves the core, the Node entry and the shipped model through its exports", async () => {
    writeFileSync(join(app, "consumer.mjs"), CONSUMER);
    const out = JSON.parse(execFileSync(process.execPath, ["consumer.mjs"], { cwd: app, encoding: "utf8" })) as Record<string, unknown>;
    expect(out).toEqual({
      weights: join(installed, "weights", "default", "model.safetensors"),
      dim: 128,
      same: true,
      // the Node entry starts the wasm backend's threads as worker_threads (Node has no Web Workers)
      threads: 2,
      errorName: "ConfigError",
      internal: "ERR_PACKAGE_PATH_NOT_EXPORTED",
      internalDist: "ERR_PACKAGE_PATH_NOT_EXPORTED",
    });
  });

  it('says "sideEffects": false, and a bundler tree-shakes encoder-pooling/core within the budget', async () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { sideEffects?: unknown };
    expect(manifest.sideEffects).toBe(false);
    const result = await build({
      stdin: { contents: `export { loadModelFromBuffers, loadModelFromUrl } from "encoder-pooling/core";`, resolveDir: app },
      bundle: true, format: "esm", platform: "browser", minify: true, write: false, logLevel: "silent",
    });
    const { gzip } = sizeOf(result.outputFiles[0]!.text);
    expect(gzip).toBeLessThanOrEqual(LOAD_AND_EMBED_GZIP_BUDGET);
  });

  it("ships every file its sourcemaps name (the TypeScript sources are in the package)", () => {
    const files = walk(installed);
    const maps = files.filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(30);
    expect(maps.some((f) => f.endsWith(".d.ts.map"))).toBe(true);
    const dangling: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = "" } = JSON.parse(readFileSync(join(installed, map), "utf8")) as { sources: string[]; sourceRoot?: string };
      for (const source of sources) {
        const target = resolve(dirname(join(installed, map)), sourceRoot, source);
        if (!target.startsWith(installed + "/") || !existsSync(target)) dangling.push(`${map} -> ${source}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it("holds the built code, the sources, the shipped model and the README, and no tests", () => {
    for (const path of ["dist/src/index.js", "dist/src/index.d.ts", "src/index.ts", "weights/default/model.safetensors", "weights/default/vocab.json", "README.md"]) {
      expect(packedFiles, path).toContain(path);
    }
    expect(packedFiles.filter((f) => f.startsWith("test/") || f.startsWith("dist/test/") || f.startsWith("node_modules/"))).toEqual([]);
  });
});
