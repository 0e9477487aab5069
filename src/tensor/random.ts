// A small seeded random generator, so that every "random" initialisation, shuffle and split repeats
// exactly from its seed. No hidden global state: whoever needs randomness owns an Rng.

/** Mulberry32: 32-bit state, fast, good enough for initialisation and shuffling (not cryptography). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The whole generator state, one 32-bit integer: save it to resume a run exactly where it stopped. */
  getState(): number {
    return this.state;
  }

  /** A generator that continues from a state saved by getState. */
  static fromState(state: number): Rng {
    return new Rng(state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal by Box–Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle of `items` in place; returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** Fills `out` with N(0, std²) samples; returns it. */
  fillNormal<A extends Float32Array | Float64Array>(out: A, std: number): A {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }

  /**
   * Fills `out` with an inverted-dropout mask, as torch.nn.Dropout in training mode: each element 0 with
   * probability p, else 1/(1−p); returns it. mask_i = [u_i >= p] / (1 − p)
   */
  fillDropoutMask(out: Float32Array, p: number): Float32Array {
    const keep = 1 / (1 - p);
    for (let i = 0; i < out.length; i++) out[i] = this.next() < p ? 0 : keep;
    return out;
  }

  /** Fills `out` with U(-bound, bound) samples; returns it. */
  fillUniform<A extends Float32Array | Float64Array>(out: A, bound: number): A {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(-bound, bound);
    return out;
  }
}
