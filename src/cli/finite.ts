// The last check before a command writes numbers: every element finite, unless --allow-nonfinite.
import { EncoderPoolingError, firstNonFinite, type SafeTensor } from "../node.js";

/** `--allow-nonfinite`, which the commands that load weights and write numbers take. */
export const allowNonFiniteFlag = { "allow-nonfinite": { type: "boolean" } } as const;

/** Refuses to write `output` when a tensor holds NaN or ±Infinity (code EP_NONFINITE), naming it. */
export function checkFiniteOutputs(command: string, tensors: Map<string, SafeTensor>, output: string): void {
  for (const [name, t] of tensors) {
    if (!(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const bad = firstNonFinite(t.data);
    if (bad >= 0) {
      throw new EncoderPoolingError(
        `${command}: ${name}[${bad}] is ${t.data[bad]}: not finite, so ${output} was not written (--allow-nonfinite writes it anyway)`,
        { code: "EP_NONFINITE" },
      );
    }
  }
}
