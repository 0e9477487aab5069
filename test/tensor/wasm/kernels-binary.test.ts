// The kernel bytes the engine compiles are embedded (src/tensor/wasm/kernels-binary.ts); the source of
// truth is the WAT in module-text.ts and kernels/. These tests fail when the two drift apart: after
// changing a kernel, `npm run kernels` writes the embedded bytes again.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kernelsBinarySource } from "../../../scripts/kernels-source.js";
import { ROOT } from "../../../scripts/bundle.js";
import { assemble } from "../../../src/tensor/wasm/assembler.js";
import { kernelBytes, SIMD_PROBE, SIMD_PROBE_TEXT } from "../../../src/tensor/wasm/module.js";
import { moduleText } from "../../../src/tensor/wasm/module-text.js";

describe("the embedded kernel module", () => {
  it("is what `npm run kernels` writes from the WAT source today", () => {
    const committed = readFileSync(join(ROOT, "src/tensor/wasm/kernels-binary.ts"), "utf8");
    expect(committed === kernelsBinarySource(), "src/tensor/wasm/kernels-binary.ts is stale: run `npm run kernels`").toBe(true);
  });

  it("gives, byte for byte, the assembly of the source with a plain and with a shared memory", async () => {
    for (const shared of [false, true]) {
      const expected = assemble(moduleText(shared));
      const got = await kernelBytes(shared);
      expect(got.length).toBe(expected.length);
      let firstDiff = -1;
      for (let i = 0; i < got.length && firstDiff < 0; i++) if (got[i] !== expected[i]) firstDiff = i;
      expect(firstDiff, `shared=${shared}: first differing byte`).toBe(-1);
    }
  });

  it("has the SIMD probe's bytes as the assembler makes them", () => {
    expect(Array.from(SIMD_PROBE)).toEqual(Array.from(assemble(SIMD_PROBE_TEXT)));
  });
});
