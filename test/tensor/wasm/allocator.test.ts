// The engine's allocator: 64-byte alignment, zero-filled blocks (also when reused), merging of freed
// neighbours, growth of the memory, and clear errors for bad frees.
import { describe, expect, it } from "vitest";
import { Allocator } from "../../../src/tensor/wasm/allocator.js";
import { WasmEngine } from "../../../src/tensor/wasm/engine.js";

describe("Allocator", () => {
  it("aligns, merges freed neighbours and reuses them first", () => {
    let size = 0;
    const a = new Allocator(64, (bytes) => (size = Math.max(size, bytes)), () => {});
    const p1 = a.malloc(10), p2 = a.malloc(100), p3 = a.malloc(1);
    for (const p of [p1, p2, p3]) expect(p % 64).toBe(0);
    expect(p1).toBe(64);
    expect(p2).toBeGreaterThanOrEqual(p1 + 10);
    a.free(p1);
    a.free(p2);
    // the two freed blocks merged: a request of their joint size fits at p1
    expect(a.malloc(100 + 64 + 64)).toBe(p1);
    expect(() => a.free(12345)).toThrow(/not a block from malloc/);
    expect(() => a.malloc(-1)).toThrow(/not a byte count/);
    expect(size).toBeGreaterThan(p3);
  });

  it("engine blocks are zero-filled, also when a dirty block is reused, and memory grows", async () => {
    const e = await WasmEngine.create();
    try {
      const p = e.malloc(1000);
      e.u8(p, 1000).fill(7);
      e.free(p);
      const q = e.malloc(1000);
      expect(q).toBe(p);
      expect(e.u8(q, 1000).every((v) => v === 0)).toBe(true);
      const before = e.memory.buffer.byteLength;
      const big = e.malloc(before * 2);
      expect(e.memory.buffer.byteLength).toBeGreaterThan(before);
      expect(e.f32(big, 4)[3]).toBe(0);
      e.free(big);
      e.free(q);
    } finally {
      e.dispose();
    }
  });

  it("an engine with a small maximum refuses a larger block plainly", async () => {
    const e = await WasmEngine.create({ maximumBytes: 4 << 20 });
    try {
      expect(() => e.malloc(8 << 20)).toThrow(/out of memory/);
    } finally {
      e.dispose();
    }
  });
});
