// The heavy kernels of the trainable poolers and the heads — linear forward/backward and the LSTM cell —
// with the signatures of their reference in src/tensor/ops/, run either by that reference (the readable
// pure-TS path: a js backend, no backend, or Float64 modules for gradient checks) or on a Backend's memory
// (the wasm backend's SIMD kernels on its threads), so that pooling and training get the encoder's speed.
// On a backend, each call uploads its inputs and downloads its outputs; within one `scope` (a module's
// forward or backward, opened by wrapPooler / wrapHead), each weight and bias is uploaded once, and each
// parameter gradient lives in backend memory from its first use to the end of the scope, when it is
// downloaded (the LSTM's L steps thus copy its weights and gradients once, not L times).
// Legend: N rows, in/out features of a linear layer, B batch, hid LSTM hidden size.
import type { Backend, DeviceArray, DeviceWeight } from "../tensor/backend.js";
import { JsBackend } from "../tensor/js-backend.js";
import { linearBackward, linearForward } from "../tensor/ops/linear.js";
import { lstmCellBackward, lstmCellForward } from "../tensor/ops/lstm-cell.js";
import type { FloatArray } from "../tensor/tensor.js";
import type { DType } from "./module.js";

/**
 * The kernels a module calls, same arguments and (+=) semantics as ops/linear.ts and ops/lstm-cell.ts.
 * Inside one scope, the `weight*` and `bias*` arguments must not change, and the parameter-gradient
 * arguments (`dWeight*`, `dBias*`) must be touched by these kernels only (their host values are written
 * back when the scope ends).
 */
export interface ModuleKernels {
  /** The backend the kernels run on; null for the pure-TS reference. */
  readonly backend: Backend | null;
  linearForward: typeof linearForward;
  linearBackward: typeof linearBackward;
  lstmCellForward: typeof lstmCellForward;
  lstmCellBackward: typeof lstmCellBackward;
  /** Runs `body` as one scope (nested scopes join the outer one). */
  scope<T>(body: () => T): T;
}

/** The pure-TypeScript reference kernels of ops/: what every backend is tested against. */
export const referenceKernels: ModuleKernels = {
  backend: null,
  linearForward,
  linearBackward,
  lstmCellForward,
  lstmCellBackward,
  scope: (body) => body(),
};

/**
 * The kernels of a module of element type `dtype` on `backend`: the reference for no backend, a js
 * backend (the same kernels, without copies) or Float64 (backends are Float32 only); else the backend's.
 */
export function moduleKernels(backend: Backend | null | undefined, dtype: DType): ModuleKernels {
  if (backend === null || backend === undefined || backend instanceof JsBackend || dtype === "float64") return referenceKernels;
  return new BackendKernels(backend);
}

/** What one scope holds in backend memory: weights uploaded once, gradients written back at its end. */
class Scope {
  private readonly constants = new Map<FloatArray, DeviceArray>();
  private readonly packed = new Map<FloatArray, DeviceWeight>();
  private readonly gradients = new Map<FloatArray, DeviceArray>();

  constructor(private readonly backend: Backend) {}

  /** A weight or bias [n] as a device array, uploaded on first use. */
  constant(a: FloatArray): DeviceArray {
    return this.uploadOnce(this.constants, a);
  }

  /** A weight [rows = out, cols = in] packed for the backend's product kernel (Float32), on first use. */
  weight(a: FloatArray, rows: number, cols: number): DeviceWeight {
    let w = this.packed.get(a);
    if (w === undefined) {
      w = this.backend.weight(a as Float32Array, rows, cols, "f32");
      this.packed.set(a, w);
    }
    return w;
  }

  /** A parameter gradient as a device array, uploaded on first use and downloaded by `flush`. */
  gradient(a: FloatArray): DeviceArray {
    return this.uploadOnce(this.gradients, a);
  }

  /** Writes every gradient back to its host array. */
  flush(): void {
    for (const [host, d] of this.gradients) this.backend.download(d, host as Float32Array);
  }

  release(): void {
    for (const d of [...this.constants.values(), ...this.gradients.values()]) this.backend.free(d);
    for (const w of this.packed.values()) this.backend.freeWeight(w);
  }

  /** `a` uploaded into `held` on first use; its device array after. */
  private uploadOnce(held: Map<FloatArray, DeviceArray>, a: FloatArray): DeviceArray {
    let d = held.get(a);
    if (d === undefined) {
      d = this.backend.upload(a as Float32Array);
      held.set(a, d);
    }
    return d;
  }
}

/** The kernels on a (non-js) backend, Float32 modules only. */
class BackendKernels implements ModuleKernels {
  private current: Scope | null = null;

  constructor(readonly backend: Backend) {}

  scope<T>(body: () => T): T {
    if (this.current !== null) return body();
    const s = new Scope(this.backend);
    this.current = s;
    try {
      const result = body();
      s.flush();
      return result;
    } finally {
      s.release();
      this.current = null;
    }
  }

  /**
   * Runs `body` with the open scope (a scope of its own when called outside one) and arrays for this call
   * only: `temp(a)` uploads host array a, `out(a)` is a zero-filled device array of a's size for a result
   * the kernel overwrites whole.
   */
  private call(body: (s: Scope, temp: (a: FloatArray) => DeviceArray, out: (a: FloatArray) => DeviceArray) => void): void {
    this.scope(() => {
      const temps: DeviceArray[] = [];
      const keep = (d: DeviceArray): DeviceArray => {
        temps.push(d);
        return d;
      };
      try {
        body(this.current!, (a) => keep(this.backend.upload(a as Float32Array)), (a) => keep(this.backend.alloc(a.length)));
      } finally {
        for (const d of temps) this.backend.free(d);
      }
    });
  }

  /** Host array `a` ← device array `d`. */
  private result(a: FloatArray, d: DeviceArray): void {
    this.backend.download(d, a as Float32Array);
  }

  linearForward = (out: FloatArray, x: FloatArray, weight: FloatArray, bias: FloatArray | null, N: number, inFeatures: number, outFeatures: number): void => {
    this.call((s, temp, fresh) => {
      // y[N,out] = x[N,in] · Wᵀ + bias on the backend
      const y = fresh(out);
      this.backend.linear(y, temp(x), s.weight(weight, outFeatures, inFeatures), bias === null ? null : s.constant(bias), N);
      this.result(out, y);
    });
  };

  linearBackward = (
    dx: FloatArray | null, dWeight: FloatArray | null, dBias: FloatArray | null, dOut: FloatArray, x: FloatArray, weight: FloatArray,
    N: number, inFeatures: number, outFeatures: number,
  ): void => {
    this.call((s, temp) => {
      // dx += dOut·W, dWeight += dOutᵀ·x, dBias += Σ_n dOut
      const ddx = dx === null ? null : temp(dx);
      this.backend.linearBackward(ddx, dWeight === null ? null : s.gradient(dWeight), dBias === null ? null : s.gradient(dBias),
        temp(dOut), temp(x), s.constant(weight), N, inFeatures, outFeatures);
      if (ddx !== null) this.result(dx!, ddx);
    });
  };

  lstmCellForward = (
    h: FloatArray, c: FloatArray, gates: FloatArray, x: FloatArray, hPrev: FloatArray, cPrev: FloatArray,
    weightIh: FloatArray, weightHh: FloatArray, biasIh: FloatArray, biasHh: FloatArray, B: number, inputSize: number, hiddenSize: number,
  ): void => {
    this.call((s, temp, fresh) => {
      const [dh, dc, dg] = [fresh(h), fresh(c), fresh(gates)];
      this.backend.lstmCellForward(dh, dc, dg, temp(x), temp(hPrev), temp(cPrev),
        s.constant(weightIh), s.constant(weightHh), s.constant(biasIh), s.constant(biasHh), B, inputSize, hiddenSize);
      this.result(h, dh);
      this.result(c, dc);
      this.result(gates, dg);
    });
  };

  lstmCellBackward = (
    dx: FloatArray | null, dhPrev: FloatArray, dcPrev: FloatArray, dWeightIh: FloatArray, dWeightHh: FloatArray, dBiasIh: FloatArray,
    dBiasHh: FloatArray, dh: FloatArray, dc: FloatArray, gates: FloatArray, c: FloatArray, cPrev: FloatArray, x: FloatArray, hPrev: FloatArray,
    weightIh: FloatArray, weightHh: FloatArray, B: number, inputSize: number, hiddenSize: number,
  ): void => {
    this.call((s, temp) => {
      const [ddx, ddhPrev, ddcPrev] = [dx === null ? null : temp(dx), temp(dhPrev), temp(dcPrev)];
      this.backend.lstmCellBackward(ddx, ddhPrev, ddcPrev, s.gradient(dWeightIh), s.gradient(dWeightHh), s.gradient(dBiasIh), s.gradient(dBiasHh),
        temp(dh), temp(dc), temp(gates), temp(c), temp(cPrev), temp(x), temp(hPrev), s.constant(weightIh), s.constant(weightHh),
        B, inputSize, hiddenSize);
      if (ddx !== null) this.result(dx!, ddx);
      this.result(dhPrev, ddhPrev);
      this.result(dcPrev, ddcPrev);
    });
  };
}
