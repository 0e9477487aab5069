// A head folder written as a unit (issue 10: a `train --force` that failed on a full disk left a new
// head.safetensors beside the old pooling.json and training.json).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EncoderPoolingError } from "../../src/errors.js";
import { readHeadFolder, writeHeadFolder } from "../../src/io/head-folder.js";
import { createPooler } from "../../src/pooling/index.js";
import { headFiles, loadHeadFiles, type HeadConfig } from "../../src/train/head-folder.js";
import { createHead } from "../../src/train/heads/index.js";
import { trainableParameters } from "../../src/train/step.js";

const root = mkdtempSync(join(tmpdir(), "head-folder-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const dims = { numLayers: 2, hiddenSize: 4 };
function folderFor(seed: number) {
  const pooler = createPooler("mean", dims);
  const head = createHead("linear", 4, 2, { seed });
  const config: HeadConfig = {
    format: "encoder-pooling head 1", pooling: pooler.spec, head: { kind: "linear", inputSize: 4, outputSize: 2, dropout: 0 },
    task: "classification", labels: { task: "classification", numOutputs: 2, classes: ["a", "b"] }, encoder: dims, model: "default",
    maxLength: 16, textField: "text", labelField: "label",
  };
  return headFiles(config, trainableParameters(pooler, head), { seed });
}

describe("writeHeadFolder", () => {
  it("a failure while writing leaves the old head whole and no temporary file", async () => {
    const dir = join(root, "head");
    await writeHeadFolder(dir, folderFor(1), false);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    const failing = { ...folderFor(2), "training.json": 42 as unknown as string }; // writing it throws, like ENOSPC
    await expect(writeHeadFolder(dir, failing, true)).rejects.toThrow(EncoderPoolingError);
    await expect(writeHeadFolder(dir, failing, true)).rejects.toMatchObject({ code: "EP_IO" });
    expect(readdirSync(dir).sort()).toEqual(["head.safetensors", "pooling.json", "training.json"]);
    for (const [f, bytes] of Object.entries(before)) expect(readFileSync(join(dir, f)).equals(bytes)).toBe(true);
    const old = await readHeadFolder(dir);
    expect(() => loadHeadFiles(old, dims, { dir, model: "m" })).not.toThrow();
  });

  it("a complete rewrite loads; a folder mixed by hand is refused", async () => {
    const dir = join(root, "head2");
    await writeHeadFolder(dir, folderFor(1), false);
    await writeHeadFolder(dir, folderFor(3), true);
    const folder = await readHeadFolder(dir);
    expect(() => loadHeadFiles(folder, dims, { dir, model: "m" })).not.toThrow();
    const mixed = { ...folder, "head.safetensors": folderFor(4)["head.safetensors"] };
    expect(() => loadHeadFiles(mixed, dims, { dir, model: "m" })).toThrow(/a mixed folder/);
  });
});
