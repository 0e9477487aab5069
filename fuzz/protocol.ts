// What the fuzzing threads and the main thread say to each other, and the layout of the buffer they
// share: a control block (is an execution running, how long is its input), the time it started, and
// the input's bytes.
import type { Outcome, OutcomeKind } from "./classify.js";

/**
 * Int32 slots of the control block: `state` 1 while an execution runs, `inputLength` of its input
 * (negative when the input was cut to fit). `bytes` is the block's size; the start time (a Float64,
 * Date.now()) follows it.
 */
export const CONTROL = { state: 0, inputLength: 1, slots: 2, bytes: 8 } as const;

/** Where the input bytes start in the shared buffer. */
export const SHARED_INPUT_OFFSET = 16;

/** Room for the input of one execution (a model case is four files of up to 2 MB). */
export const SHARED_INPUT_BYTES = 12 * 1024 * 1024;

export interface WorkerSetup {
  shared: SharedArrayBuffer;
  seed: number;
  /** Target names, run in turn, one slice each. */
  targets: string[];
  firstTurn: number;
  sliceMs: number;
  /** Date.now() at which the worker stops. */
  deadline: number;
  /** Growth of heap + ArrayBuffers in one execution that counts as a memory blowup. */
  memoryMb: number;
}

export type FromWorker =
  | { type: "stats"; target: string; execs: number; counts: Record<OutcomeKind, number>; ms: number; slowestMs: number }
  | { type: "finding"; target: string; outcome: Outcome; input: Uint8Array }
  | { type: "key"; target: string; kind: OutcomeKind; key: string }
  | { type: "turn"; turn: number }
  | { type: "done" }
  | { type: "crash"; message: string };
