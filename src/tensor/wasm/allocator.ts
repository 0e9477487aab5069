// A first-fit allocator over the engine's linear memory, kept on the JS side (the memory holds only data).
// Blocks are 64-byte aligned (a cache line, and v128 alignment) and carry 64 bytes of slack past the request,
// so a kernel that reads a last partial vector (4 lanes of a 1–3 element tail, a 16-bit table's last
// values) stays inside its own block. Freed blocks merge with free neighbours. Bytes above the high-water
// mark were never handed out and are still zero from memory.grow, so malloc only clears reused bytes.

const ALIGN = 64;
const SLACK = 64;

export class Allocator {
  /** Free blocks [start, end), sorted by start, never adjacent. */
  private readonly holes: { start: number; end: number }[] = [];
  private readonly sizes = new Map<number, number>();
  private highWater: number;
  /** End of the highest block handed out so far. */
  private top: number;

  /**
   * @param base first usable byte (0 stays the null pointer)
   * @param grow makes the memory at least `bytes` long, or throws
   * @param clear zero-fills [ptr, ptr + bytes)
   */
  constructor(base: number, private readonly grow: (bytes: number) => void, private readonly clear: (ptr: number, bytes: number) => void) {
    this.highWater = align(base);
    this.top = this.highWater;
  }

  /** A zero-filled block of at least `bytes` bytes, 64-byte aligned. */
  malloc(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`malloc: ${bytes} is not a byte count`);
    const size = align(bytes) + SLACK;
    let ptr = -1;
    for (let i = 0; i < this.holes.length; i++) {
      const b = this.holes[i]!;
      if (b.end - b.start < size) continue;
      ptr = b.start;
      b.start += size;
      if (b.start === b.end) this.holes.splice(i, 1);
      break;
    }
    if (ptr < 0) {
      // extend the top, taking over a free block that ends there
      const last = this.holes[this.holes.length - 1];
      if (last !== undefined && last.end === this.top) {
        ptr = last.start;
        this.holes.pop();
      } else {
        ptr = this.top;
      }
      this.grow(ptr + size);
      this.top = ptr + size;
    }
    this.sizes.set(ptr, size);
    const reused = Math.min(ptr + size, this.highWater) - ptr;
    if (reused > 0) this.clear(ptr, reused);
    this.highWater = Math.max(this.highWater, ptr + size);
    return ptr;
  }

  /** Returns a block from malloc; freeing anything else throws. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new RangeError(`free: ${ptr} is not a block from malloc (or was freed already)`);
    this.sizes.delete(ptr);
    let start = ptr;
    let end = ptr + size;
    // insert sorted, merging with the neighbours it touches
    let i = 0;
    while (i < this.holes.length && this.holes[i]!.start < start) i++;
    const before = this.holes[i - 1];
    const after = this.holes[i];
    if (after !== undefined && after.start === end) {
      end = after.end;
      this.holes.splice(i, 1);
    }
    if (before !== undefined && before.end === start) {
      start = before.start;
      this.holes.splice(i - 1, 1);
      i--;
    }
    this.holes.splice(i, 0, { start, end });
  }

  /** Bytes currently handed out (with alignment and slack). */
  get used(): number {
    let n = 0;
    for (const s of this.sizes.values()) n += s;
    return n;
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
