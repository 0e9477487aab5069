// Cosine similarity between embeddings, and top-k search: what a user does with the vectors next.
// Plain loops over Float32Arrays; the sums are kept in float64.
// Legend: D vector size, N rows of A, M rows of B.
import { InputError } from "../errors.js";

/** Rows as `embed` returns them (`{ vectors }`), or a list of vectors. */
export type VectorRows = { vectors: ArrayLike<number>[] } | ArrayLike<number>[];

function rowsOf(rows: VectorRows, what: string): ArrayLike<number>[] {
  const list = Array.isArray(rows) ? rows : (rows as { vectors?: ArrayLike<number>[] }).vectors;
  if (!Array.isArray(list)) throw new InputError(`${what}: expected { vectors } or a list of vectors`);
  return list;
}

/**
 * cos(a, b) = a·b / (‖a‖ ‖b‖), in [-1, 1]; 0 when either vector is all zeros.
 * @example cosineSimilarity(vectors[0], vectors[1]) // 0.83
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InputError(`cosineSimilarity: vectors of sizes ${a.length} and ${b.length}`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  // dot = Σ a_i b_i, aa = Σ a_i², bb = Σ b_i²
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

/** An N×M matrix of similarities, row-major: `data[i * cols + j]` = cos(A_i, B_j). */
export interface SimilarityMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Cosine similarity of every row of `a` with every row of `b` (default: `a` itself).
 * @example const { data, cols } = similarityMatrix(await model.embed(texts)); // data[i * cols + j]
 */
export function similarityMatrix(a: VectorRows, b: VectorRows = a): SimilarityMatrix {
  const A = rowsOf(a, "similarityMatrix");
  const B = rowsOf(b, "similarityMatrix");
  const D = A[0]?.length ?? B[0]?.length ?? 0;
  for (const [name, list] of [["a", A], ["b", B]] as const) {
    list.forEach((v, i) => {
      if (v.length !== D) throw new InputError(`similarityMatrix: ${name}[${i}] has ${v.length} values, expected ${D}`);
    });
  }
  const norm = (v: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < D; i++) s += v[i]! * v[i]!;
    return Math.sqrt(s);
  };
  const normA = A.map(norm);
  const normB = B === A ? normA : B.map(norm);
  const data = new Float32Array(A.length * B.length);
  // S[i,j] = A_i·B_j / (‖A_i‖ ‖B_j‖)
  for (let i = 0; i < A.length; i++) {
    for (let j = 0; j < B.length; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += A[i]![d]! * B[j]![d]!;
      const denominator = normA[i]! * normB[j]!;
      data[i * B.length + j] = denominator === 0 ? 0 : dot / denominator;
    }
  }
  return { data, rows: A.length, cols: B.length };
}

/** One hit of a search: the row's position in the stream and its score. */
export interface Neighbour<T = undefined> {
  index: number;
  score: number;
  item: T;
}

/**
 * Keeps the k highest-scoring rows of a stream, best first; ties keep the earlier row. Memory is O(k)
 * whatever the stream's length (a binary min-heap on the score).
 * @example const top = new TopK(5); top.push(0, 0.9, "a"); top.sorted() // [{ index: 0, score: 0.9, item: "a" }]
 */
export class TopK<T = undefined> {
  private readonly heap: Neighbour<T>[] = [];

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new InputError(`TopK: k must be a positive integer, got ${k}`);
  }

  /** Offers a row; kept when among the best k so far. */
  push(index: number, score: number, item: T): void {
    const heap = this.heap;
    const entry = { index, score, item };
    if (heap.length < this.k) {
      heap.push(entry);
      this.siftUp(heap.length - 1);
    } else if (worse(heap[0]!, entry)) {
      heap[0] = entry;
      this.siftDown(0);
    }
  }

  /** The kept rows, best first. */
  sorted(): Neighbour<T>[] {
    return [...this.heap].sort((a, b) => (worse(a, b) ? 1 : -1));
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && worse(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && worse(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

/** x ranks below y: a lower score, or the same score and a later row. */
function worse<T>(x: Neighbour<T>, y: Neighbour<T>): boolean {
  return x.score < y.score || (x.score === y.score && x.index > y.index);
}
