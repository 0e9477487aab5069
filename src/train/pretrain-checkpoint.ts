// A pre-training checkpoint as files, and back: everything a stopped run needs to continue exactly
// where it stopped (the same batches, masks, dropout and updates as if it had never stopped).
//   model.safetensors      every parameter, F32, as RobertaForMaskedLM's state_dict ("roberta." + the
//                          encoder's names, lm_head.*; the tied lm_head.decoder.weight is not stored)
//   optimizer.safetensors  AdamW's exp_avg.<name> and exp_avg_sq.<name>, F64 (the optimizer's own precision)
//   trainer_state.json     the options, the position (epoch, row), the generator states, the log
import { parseJson } from "../encoder/json.js";
import { parseSafetensors, serializeSafetensors, type SafeTensor } from "../encoder/safetensors.js";
import { TrainingError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Moments } from "./optim.js";
import type { MlmEvaluation, PretrainOptions, PretrainState, StepRecord } from "./pretrain.js";

export const CHECKPOINT_FORMAT = "encoder-pooling pretrain 1";

/** What the run has printed so far, kept so that a resumed run draws the whole loss curve. */
export interface PretrainLog {
  /** Every `logEvery` steps: the mean training loss and accuracy since the last record. */
  history: (Omit<StepRecord, "gradNorm" | "tokens"> & { tokensSeen: number })[];
  /** Held-out evaluations. */
  evals: (MlmEvaluation & { step: number; tokensSeen: number })[];
  /** Wall-clock seconds spent in steps and evaluations over all sessions of the run. */
  seconds: number;
  /** Sessions (starts and resumes) and the steps each ended at. */
  sessions: { startedAt: string; fromStep: number; toStep: number; seconds: number }[];
}

/** trainer_state.json. */
export interface TrainerStateFile {
  format: typeof CHECKPOINT_FORMAT;
  options: PretrainOptions;
  dropout: number;
  state: PretrainState;
  log: PretrainLog;
  /** What the run reads (files, token counts): resuming checks it is the same. */
  data: Record<string, unknown>;
}

export interface Checkpoint {
  params: Map<string, Tensor>;
  optimizer: { stepCount: number; moments: Map<string, Moments> };
  trainer: TrainerStateFile;
}

const ENCODER_PREFIX = "roberta.";

/** The HF name of a parameter in a RobertaForMaskedLM state_dict. */
export function maskedLmName(name: string): string {
  return name.startsWith("lm_head.") ? name : ENCODER_PREFIX + name;
}

/** params as a RobertaForMaskedLM model.safetensors, in F32 or F16. */
export function serializeMaskedLm(params: Map<string, Tensor>, dtype: "F32" | "F16", metadata: Record<string, string> = {}): Uint8Array {
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of params) tensors.set(maskedLmName(name), { dtype, shape: [...t.shape], data: t.data });
  return serializeSafetensors(tensors, { format: "pt", ...metadata });
}

/** The files of a checkpoint, by name. */
export function checkpointFiles(c: Checkpoint): Map<string, Uint8Array | string> {
  const moments = new Map<string, SafeTensor>();
  for (const [name, m] of c.optimizer.moments) {
    moments.set(`exp_avg.${name}`, { dtype: "F64", shape: [m.expAvg.length], data: m.expAvg });
    moments.set(`exp_avg_sq.${name}`, { dtype: "F64", shape: [m.expAvgSq.length], data: m.expAvgSq });
  }
  return new Map<string, Uint8Array | string>([
    ["model.safetensors", serializeMaskedLm(c.params, "F32", { step: String(c.trainer.state.step) })],
    ["optimizer.safetensors", serializeSafetensors(moments, { step_count: String(c.optimizer.stepCount) })],
    ["trainer_state.json", `${JSON.stringify(c.trainer, null, 1)}\n`],
  ]);
}

/** Reads the three files of a checkpoint (`source` names the folder in errors). */
export function parseCheckpoint(files: { model: Uint8Array; optimizer: Uint8Array; trainer: string }, source: string): Checkpoint {
  const trainer = parseJson(files.trainer, `${source}/trainer_state.json`, TrainingError) as TrainerStateFile;
  if (trainer === null || typeof trainer !== "object" || trainer.format !== CHECKPOINT_FORMAT) {
    throw new TrainingError(`${source}/trainer_state.json: not a checkpoint of this program (expected format "${CHECKPOINT_FORMAT}")`);
  }
  const params = new Map<string, Tensor>();
  const model = parseSafetensors(files.model, `${source}/model.safetensors`);
  // the files are renamed into place one by one: a run killed in between leaves them from different steps
  if (model.metadata["step"] !== String(trainer.state.step)) {
    throw new TrainingError(`${source}: model.safetensors is from step ${model.metadata["step"]}, trainer_state.json from step ${trainer.state.step}`);
  }
  for (const [key, t] of model.tensors) {
    if (!(t.data instanceof Float32Array)) throw new TrainingError(`${source}/model.safetensors: ${key} is ${t.dtype}, expected F32`);
    params.set(key.startsWith(ENCODER_PREFIX) ? key.slice(ENCODER_PREFIX.length) : key, { data: t.data, shape: t.shape });
  }
  const opt = parseSafetensors(files.optimizer, `${source}/optimizer.safetensors`);
  const moments = new Map<string, Moments>();
  for (const [key, t] of opt.tensors) {
    if (!key.startsWith("exp_avg.")) continue;
    const name = key.slice("exp_avg.".length);
    const sq = opt.tensors.get(`exp_avg_sq.${name}`);
    if (!(t.data instanceof Float64Array) || sq === undefined || !(sq.data instanceof Float64Array)) {
      throw new TrainingError(`${source}/optimizer.safetensors: ${name}: expected F64 exp_avg and exp_avg_sq`);
    }
    moments.set(name, { expAvg: t.data, expAvgSq: sq.data });
  }
  const stepCount = Number(opt.metadata["step_count"]);
  if (!Number.isInteger(stepCount) || stepCount !== trainer.state.step) {
    throw new TrainingError(`${source}: optimizer step ${opt.metadata["step_count"]} does not match trainer_state step ${trainer.state.step}`);
  }
  return { params, optimizer: { stepCount, moments }, trainer };
}
