// Size checks of the Backend ops, shared by every backend so that a wrong call fails the same way on all
// of them: one O(1) test per argument (O(N) for ids), an InputError naming the op and the argument.
// Legend as in backend.ts.
import { InputError } from "../errors.js";
import type { DeviceArray, DeviceTable, DeviceWeight, LayerNormCache } from "./backend.js";
import { checkSize } from "./ops/check.js";

export function checkLinear(y: DeviceArray, x: DeviceArray, w: DeviceWeight, bias: DeviceArray | null, N: number, pre: DeviceArray | null): void {
  const fn = "backend.linear";
  checkSize(fn, "x", x, [N, w.cols], "[N,in]");
  checkSize(fn, "y", y, [N, w.rows], "[N,out]");
  if (bias !== null) checkSize(fn, "bias", bias, [w.rows], "[out]");
  if (pre !== null) checkSize(fn, "pre", pre, [N, w.rows], "[N,out]");
}

export function checkAttention(
  fn: string, ctx: DeviceArray, qkv: DeviceArray, maskAdd: DeviceArray | null, probs: DeviceArray | null,
  B: number, T: number, nh: number, hd: number, dropMask: DeviceArray | null = null,
): void {
  checkSize(fn, "qkv", qkv, [B, T, 3 * nh * hd], "[B,T,3H]");
  checkSize(fn, "ctx", ctx, [B, T, nh * hd], "[B,T,H]");
  if (maskAdd !== null) checkSize(fn, "maskAdd", maskAdd, [B, T], "[B,T]");
  if (probs !== null) checkSize(fn, "probs", probs, [B, nh, T, T], "[B,nh,T,T]");
  if (dropMask !== null) checkSize(fn, "dropMask", dropMask, [B, nh, T, T], "[B,nh,T,T]");
}

export function checkLayerNorm(
  fn: string, rows: [string, DeviceArray | null][], weight: DeviceArray, vectors: [string, DeviceArray | null][],
  cache: LayerNormCache | null, N: number, H: number,
): void {
  for (const [name, a] of rows) if (a !== null) checkSize(fn, name, a, [N, H], "[N,H]");
  for (const [name, a] of [["weight", weight] as const, ...vectors]) if (a !== null) checkSize(fn, name, a, [H], "[H]");
  if (cache !== null) {
    checkSize(fn, "cache.sum", cache.sum, [N, H], "[N,H]");
    checkSize(fn, "cache.mean", cache.mean, [N], "[N]");
    checkSize(fn, "cache.rstd", cache.rstd, [N], "[N]");
  }
}

export function checkEmbeddingSum(
  out: DeviceArray, ids: Int32Array, positionIds: Int32Array, word: DeviceTable, position: DeviceTable, tokenType: DeviceTable, N: number,
): void {
  const fn = "backend.embeddingSum";
  const H = word.cols;
  checkSize(fn, "ids", ids, [N], "[N]");
  checkSize(fn, "positionIds", positionIds, [N], "[N]");
  checkSize(fn, "out", out, [N, H], "[N,H]");
  if (position.cols !== H || tokenType.cols !== H || tokenType.rows < 1) {
    throw new InputError(`${fn}: tables must share H = ${H} columns (position has ${position.cols}, tokenType ${tokenType.cols} with ${tokenType.rows} rows)`);
  }
  for (let n = 0; n < N; n++) {
    if (ids[n]! < 0 || ids[n]! >= word.rows) throw new InputError(`${fn}: ids[${n}] = ${ids[n]} is outside the word table [${word.rows},${H}]`);
    const p = positionIds[n]!;
    if (p < 0 || p >= position.rows) throw new InputError(`${fn}: positionIds[${n}] = ${p} is outside the position table [${position.rows},${H}]`);
  }
}

export function checkElementwise(fn: string, n: number, arrays: [string, DeviceArray][]): void {
  for (const [name, a] of arrays) checkSize(fn, name, a, [n], "[n]");
}

export function checkMatmul(c: DeviceArray, a: DeviceArray, b: DeviceArray, M: number, N: number, K: number, transA: boolean, transB: boolean): void {
  const fn = "backend.matmul";
  checkSize(fn, "a", a, transA ? [K, M] : [M, K], transA ? "[K,M]" : "[M,K]");
  checkSize(fn, "b", b, transB ? [N, K] : [K, N], transB ? "[N,K]" : "[K,N]");
  checkSize(fn, "c", c, [M, N], "[M,N]");
}

export function checkLinearBackward(
  dx: DeviceArray | null, dWeight: DeviceArray | null, dBias: DeviceArray | null, dy: DeviceArray, x: DeviceArray, weight: DeviceArray,
  N: number, inFeatures: number, outFeatures: number,
): void {
  const fn = "backend.linearBackward";
  checkSize(fn, "dy", dy, [N, outFeatures], "[N,out]");
  checkSize(fn, "x", x, [N, inFeatures], "[N,in]");
  checkSize(fn, "weight", weight, [outFeatures, inFeatures], "[out,in]");
  if (dx !== null) checkSize(fn, "dx", dx, [N, inFeatures], "[N,in]");
  if (dWeight !== null) checkSize(fn, "dWeight", dWeight, [outFeatures, inFeatures], "[out,in]");
  if (dBias !== null) checkSize(fn, "dBias", dBias, [outFeatures], "[out]");
}

/** The arrays of one LSTM step by their role: [B,in], [B,hid], [B,4·hid], [4·hid,in], [4·hid,hid], [4·hid]. */
function checkLstmCell(
  fn: string, B: number, inputSize: number, hiddenSize: number,
  groups: { input: [string, DeviceArray | null][]; hidden: [string, DeviceArray][]; gates: DeviceArray;
    ih: [string, DeviceArray][]; hh: [string, DeviceArray][]; bias: [string, DeviceArray][] },
): void {
  const hid = hiddenSize;
  for (const [name, a] of groups.input) if (a !== null) checkSize(fn, name, a, [B, inputSize], "[B,in]");
  for (const [name, a] of groups.hidden) checkSize(fn, name, a, [B, hid], "[B,hid]");
  checkSize(fn, "gates", groups.gates, [B, 4 * hid], "[B,4·hid]");
  for (const [name, a] of groups.ih) checkSize(fn, name, a, [4 * hid, inputSize], "[4·hid,in]");
  for (const [name, a] of groups.hh) checkSize(fn, name, a, [4 * hid, hid], "[4·hid,hid]");
  for (const [name, a] of groups.bias) checkSize(fn, name, a, [4 * hid], "[4·hid]");
}

/** Arguments of Backend.lstmCellForward, in its order. */
export function checkLstmCellForward(
  h: DeviceArray, c: DeviceArray, gates: DeviceArray, x: DeviceArray, hPrev: DeviceArray, cPrev: DeviceArray,
  weightIh: DeviceArray, weightHh: DeviceArray, biasIh: DeviceArray, biasHh: DeviceArray, B: number, inputSize: number, hiddenSize: number,
): void {
  checkLstmCell("backend.lstmCellForward", B, inputSize, hiddenSize, {
    input: [["x", x]], hidden: [["h", h], ["c", c], ["hPrev", hPrev], ["cPrev", cPrev]], gates,
    ih: [["weightIh", weightIh]], hh: [["weightHh", weightHh]], bias: [["biasIh", biasIh], ["biasHh", biasHh]],
  });
}

/** Arguments of Backend.lstmCellBackward, in its order. */
export function checkLstmCellBackward(
  dx: DeviceArray | null, dhPrev: DeviceArray, dcPrev: DeviceArray, dWeightIh: DeviceArray, dWeightHh: DeviceArray,
  dBiasIh: DeviceArray, dBiasHh: DeviceArray, dh: DeviceArray, dc: DeviceArray, gates: DeviceArray, c: DeviceArray, cPrev: DeviceArray,
  x: DeviceArray, hPrev: DeviceArray, weightIh: DeviceArray, weightHh: DeviceArray, B: number, inputSize: number, hiddenSize: number,
): void {
  checkLstmCell("backend.lstmCellBackward", B, inputSize, hiddenSize, {
    input: [["x", x], ["dx", dx]], hidden: [["dhPrev", dhPrev], ["dcPrev", dcPrev], ["dh", dh], ["dc", dc], ["c", c], ["cPrev", cPrev], ["hPrev", hPrev]],
    gates, ih: [["weightIh", weightIh], ["dWeightIh", dWeightIh]], hh: [["weightHh", weightHh], ["dWeightHh", dWeightHh]],
    bias: [["dBiasIh", dBiasIh], ["dBiasHh", dBiasHh]],
  });
}

/** Checks the shape and source of a weight or a table's rows. */
export function checkHostValues(fn: string, values: { length: number } | { bits: Uint16Array }, rows: number, cols: number): void {
  const n = "bits" in values ? values.bits.length : values.length;
  if (!Number.isSafeInteger(rows) || rows < 0 || !Number.isSafeInteger(cols) || cols < 0 || n !== rows * cols) {
    throw new InputError(`${fn}: values: expected [rows,cols] = [${rows},${cols}] (${rows * cols} elements), got ${n} elements`);
  }
}

/** A view [offset, offset + n) must lie inside the array. */
export function checkView(a: DeviceArray, offset: number, n: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(n) || offset < 0 || n < 0 || offset + n > a.length) {
    throw new InputError(`backend.view: elements [${offset},${offset + n}) are not inside an array of ${a.length}`);
  }
}
