// The core as applications ship it: esbuild bundles it for the browser (where a node:* import would
// fail the build), the load-and-embed bundle holds its gzip budget, and the errors of a minified
// bundle keep their names (minifiers rename classes; the names are literals in src/errors.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { bundle, ENTRIES, LOAD_AND_EMBED_GZIP_BUDGET, sizeOf } from "../../scripts/bundle.js";

describe("the core bundled by esbuild for platform: browser", () => {
  it("builds, and the build would fail on a node:* import", async () => {
    const code = await bundle({ contents: ENTRIES["whole core"] });
    expect(code).toContain("loadModelFromBuffers");
    await expect(bundle({ contents: `import { readFileSync } from "node:fs"; export const f = readFileSync;` })).rejects.toThrow(/node:fs/);
  });

  it(`load-and-embed stays within its budget of ${LOAD_AND_EMBED_GZIP_BUDGET} bytes gzip (npm run size prints the figures)`, async () => {
    const loadAndEmbed = sizeOf(await bundle({ contents: ENTRIES["load-and-embed"] }, { minify: true }));
    const wholeCore = sizeOf(await bundle({ contents: ENTRIES["whole core"] }, { minify: true }));
    console.log(`bundle sizes (minified): load-and-embed ${loadAndEmbed.raw} B raw, ${loadAndEmbed.gzip} B gzip; whole core ${wholeCore.raw} B raw, ${wholeCore.gzip} B gzip`);
    expect(loadAndEmbed.gzip, `load-and-embed: ${loadAndEmbed.gzip} B gzip`).toBeLessThanOrEqual(LOAD_AND_EMBED_GZIP_BUDGET);
    // Tree-shaking works ("sideEffects": false): training code and the other exports fall away.
    expect(loadAndEmbed.raw).toBeLessThan(wholeCore.raw * 0.8);
  });
});

describe("a minified bundle of the core", () => {
  it("keeps every error class's name, on `new` and on a real failure", async () => {
    const dir = mkdtempSync(join(tmpdir(), "encoder-pooling-minified-"));
    try {
      const file = join(dir, "core.min.js");
      writeFileSync(file, await bundle({ contents: ENTRIES["whole core"] }, { minify: true }));
      const core = (await import(pathToFileURL(file).href)) as Record<string, unknown> & typeof import("../../src/index.js");
      const errorClasses = Object.entries(core).filter(
        ([, value]) => typeof value === "function" && (value === core.EncoderPoolingError || value.prototype instanceof core.EncoderPoolingError),
      ) as Array<[string, new (message: string) => Error]>;
      expect(errorClasses.map(([name]) => name).sort()).toEqual([
        "AbortError", "ConfigError", "EncoderPoolingError", "InputError", "NotSupportedError", "PoolingError", "SafetensorsError",
        "TokenizerError", "TrainingError", "UsageError", "WeightsError",
      ]);
      // The minifier did rename the classes, so a name taken from the class would be lost.
      expect(errorClasses.filter(([name, cls]) => cls.name !== name).length).toBeGreaterThan(0);
      for (const [name, cls] of errorClasses) {
        const err = new cls("x");
        expect(err.name, `${name} in a minified bundle`).toBe(name);
        expect(String(err).startsWith(`${name}: `)).toBe(true);
      }
      const failure = core.loadModelFromBuffers({ config: "{", weights: new Uint8Array(8), vocab: "{}", merges: "" });
      await expect(failure).rejects.toMatchObject({ name: "ConfigError" });
      await expect(failure).rejects.toThrow(/^<buffers>\/config\.json: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
