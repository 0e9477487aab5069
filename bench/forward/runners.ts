// The systems behind one interface: load from the benchmark's model folder, then run last_hidden_state
// on a batch. Ours goes through the public loadModel(dir, options) only; the peer through onnxruntime-node.
// Legend: B batch, T tokens, H hidden.
import * as library from "../../src/node.js";
import { loadOrt } from "../peers/ort.js";
import { onnxModelPath } from "./model.js";
import type { BenchInputs } from "./inputs.js";
import type { OursSpec, PeerSpec, SystemSpec } from "./systems.js";

export interface Runner {
  /** last_hidden_state [B,T,H] of one batch. */
  forward(inputs: BenchInputs): Promise<Float32Array>;
  /** The peer's version, when it has one to report. */
  version?: string;
}

/** Thrown when a configuration does not exist on this branch (reported as "not available", never timed). */
export class NotAvailable extends Error {}

async function loadOurs(dir: string, spec: OursSpec): Promise<Runner> {
  const options: library.LoadOptions = { backend: spec.backend, threads: spec.threads, dtype: spec.dtype };
  if (spec.quantize !== undefined) options.quantize = spec.quantize;
  let model: library.EncoderModel;
  try {
    model = await library.loadModel(dir, options);
  } catch (err) {
    if (err instanceof library.NotSupportedError) throw new NotAvailable(err.message);
    throw err;
  }
  // a backend that quietly ignores an option (threads on "js", or no threads where SharedArrayBuffer is
  // missing) is not the configuration asked for
  const { name, threads } = model.encoder.backend;
  if (name !== spec.backend || threads !== spec.threads) {
    throw new NotAvailable(`loadModel(dir, { backend: "${spec.backend}", threads: ${spec.threads} }) runs on ${name} with ${threads} thread(s)`);
  }
  return {
    // last_hidden_state only, as onnxruntime returns: the other 12 hidden states are not copied out (41 MB
    // per 8 × 128 forward of host garbage, which decided whether f16 stayed under 0.8 × the weights)
    forward: async (inputs) => (await model.encoder.forward(inputs, { outputHiddenStates: false })).lastHiddenState.data,
  };
}

async function loadPeer(dir: string, spec: PeerSpec): Promise<Runner> {
  let ort;
  try {
    ort = await loadOrt();
  } catch (err) {
    throw new NotAvailable((err as Error).message);
  }
  const session = await ort.InferenceSession.create(onnxModelPath(dir), {
    intraOpNumThreads: spec.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const int64 = (a: Int32Array, B: number, T: number) => new ort.Tensor("int64", BigInt64Array.from(a, (v) => BigInt(v)), [B, T]);
  return {
    version: ort.version,
    forward: async ({ inputIds, attentionMask, batchSize: B, seqLen: T }) => {
      const feeds = { input_ids: int64(inputIds, B, T), attention_mask: int64(attentionMask, B, T) };
      const out = (await session.run(feeds))["last_hidden_state"];
      if (out === undefined || !(out.data instanceof Float32Array)) throw new Error("onnxruntime-node: no float last_hidden_state output");
      return out.data;
    },
  };
}

/** Loads one system from the model folder; throws NotAvailable for a configuration that does not exist. */
export function loadRunner(dir: string, spec: SystemSpec): Promise<Runner> {
  return spec.system === "ours" ? loadOurs(dir, spec) : loadPeer(dir, spec);
}
