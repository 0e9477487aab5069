// A fuzz case is the set of files one parser reads (a model folder is four files, a config one), each
// as bytes. Cases travel between threads and to disk in one flat encoding, and a seeded generator
// makes every run repeatable.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** File name -> bytes, e.g. { "config.json": …, "model.safetensors": … }. */
export type Case = Map<string, Uint8Array>;

/** The repository root, found from this file (works from fuzz/ and from the bundle in dist/fuzz/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "fuzz"))) {
    const parent = resolve(dir, "..");
    if (parent === dir) throw new Error("fuzz: cannot find the repository root");
    dir = parent;
  }
  return dir;
}

// Encoding: u32 count, then per file u32 name length, name (UTF-8), u32 data length, data. Little-endian.

/** Bytes of a case, for the watchdog's shared buffer and for files on disk. */
export function encodeCase(c: Case): Uint8Array {
  const names = [...c.keys()].map((n) => new TextEncoder().encode(n));
  let size = 4;
  for (const [i, data] of [...c.values()].entries()) size += 8 + names[i]!.length + data.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, c.size, true);
  let at = 4;
  for (const [i, data] of [...c.values()].entries()) {
    const name = names[i]!;
    view.setUint32(at, name.length, true);
    out.set(name, at + 4);
    at += 4 + name.length;
    view.setUint32(at, data.length, true);
    out.set(data, at + 4);
    at += 4 + data.length;
  }
  return out;
}

export function decodeCase(bytes: Uint8Array): Case {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const c: Case = new Map();
  const count = view.getUint32(0, true);
  let at = 4;
  for (let i = 0; i < count; i++) {
    const nameLength = view.getUint32(at, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + nameLength));
    at += 4 + nameLength;
    const length = view.getUint32(at, true);
    c.set(name, bytes.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return c;
}

/** xorshift32: small, fast and repeatable; next() is uniform in [0, 2^32). */
export class FuzzRng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
}
