// Writing embeddings to files: the format from the extension, atomic writes, no overwrite without force.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { encodeNpyFloat32 } from "../../src/formats/npy.js";
import { formatFromOutputPath, writeEmbeddings } from "../../src/io/writers.js";
import { readNpy } from "../formats/npy-reader.js";

const values = new Float32Array([0.1, -2.5, 3.0, 1e-8, 65504.0, -0.0]);

describe("formatFromOutputPath / writeEmbeddings", () => {
  const dir = mkdtempSync(join(tmpdir(), "ep-writers-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("picks the format from the extension; anything else is a UsageError listing the three", () => {
    expect(formatFromOutputPath("out/x.safetensors")).toBe("safetensors");
    expect(formatFromOutputPath("X.NPY")).toBe("npy");
    expect(formatFromOutputPath("a.b/x.jsonl")).toBe("jsonl");
    expect(() => formatFromOutputPath("x.csv")).toThrow(UsageError);
    expect(() => formatFromOutputPath("a.npy/out")).toThrow(/use one of \.safetensors, \.jsonl, \.npy/);
  });

  it("writes atomically, relative to cwd, and refuses to overwrite without force", async () => {
    expect(await writeEmbeddings("e.npy", values, 2, 3, { force: false, cwd: dir })).toBe("npy");
    const path = join(dir, "e.npy");
    expect(new Uint8Array(readFileSync(path))).toEqual(encodeNpyFloat32(values, 2, 3));
    await expect(writeEmbeddings(path, values, 2, 3, { force: false })).rejects.toThrow(/already exists; pass --force/);
    await writeEmbeddings(path, values, 3, 2, { force: true });
    expect(readNpy(new Uint8Array(readFileSync(path))).shape).toEqual([3, 2]);
  });
});
