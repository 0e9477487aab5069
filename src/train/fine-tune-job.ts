// Fine-tuning as a JobRunner, so that comparePoolers compares poolers under fine-tuning with the same
// split, budget and seeds: each job starts from a fresh copy of the encoder's weights, fine-tunes it
// with the job's pooler and head (fine-tune.ts), and is scored on validation and test with the encoder
// it ended with. The token ids of each split come from the caller (captured when comparePoolers
// encodes the splits), looked up by the split names the job carries.
// Legend: N examples.
import type { Backend } from "../tensor/backend.js";
import type { TrainableScope } from "../encoder/training.js";
import { TrainableRoberta } from "../encoder/trainable.js";
import { TrainingError } from "../errors.js";
import { createPooler } from "../pooling/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TrainData } from "./data.js";
import { evaluateFineTuned, fineTune, type FineTuneData } from "./fine-tune.js";
import { createHead } from "./heads/index.js";
import { countParameters, type JobRunner, type PoolerJob, type PoolerJobResult } from "./job.js";
import { trainableParameters } from "./step.js";

export interface FineTuneJobSettings {
  /** The encoder every job starts from: config.json text and model.safetensors bytes. */
  configJson: string;
  weights: Uint8Array;
  backend?: Backend;
  scope: TrainableScope;
  encoderLr: number;
  layerLrDecay: number;
  gradAccum: number;
}

/**
 * A JobRunner that fine-tunes (one job at a time, on this thread). `ids(split)` gives the token ids of
 * a split by the name the job carries in `job.splits` ("training", "validation", "test").
 */
export function fineTuneJobRunner(
  settings: FineTuneJobSettings, ids: (split: string) => number[][], hooks: { shouldStop?: () => boolean; yieldBetweenSteps?: () => Promise<void> } = {},
): JobRunner {
  const data = (job: PoolerJob, which: "train" | "valid" | "test", split: TrainData | null): FineTuneData | null => {
    const name = job.splits?.[which];
    if (split === null || name === undefined || name === null) return null;
    const inputIds = ids(name);
    if (inputIds.length !== split.features.examples.length) throw new TrainingError(`fine-tune job: the ${name} split has ${inputIds.length} texts, its labels ${split.features.examples.length}`);
    return { inputIds, labels: split.labels };
  };
  return {
    parallel: 1,
    async run(job, runHooks = {}): Promise<PoolerJobResult> {
      const train = data(job, "train", job.train);
      if (train === null) throw new TrainingError("fine-tune job: the job does not name its training split");
      const valid = data(job, "valid", job.valid);
      const test = data(job, "test", job.test);
      const encoder = TrainableRoberta.load(settings.configJson, settings.weights, { scope: settings.scope, ...(settings.backend === undefined ? {} : { backend: settings.backend }) });
      try {
        const pooler = createPooler(job.pooling, job.dims, { seed: job.seed });
        const head = createHead(job.head.kind, pooler.outputSize, train.labels.numOutputs, { seed: job.seed, dropout: job.head.dropout });
        const start = Date.now();
        const outcome = await fineTune(encoder, pooler, head, train, valid, {
          ...job.options, seed: job.seed, encoderLr: settings.encoderLr, layerLrDecay: settings.layerLrDecay, gradAccum: settings.gradAccum,
          onProgress: runHooks.onProgress, onEpoch: runHooks.onEpoch, shouldStop: hooks.shouldStop, yieldBetweenSteps: hooks.yieldBetweenSteps,
        });
        const trainSeconds = (Date.now() - start) / 1000;
        const state = new Map<string, Tensor>();
        for (const [name, t] of trainableParameters(pooler, head)) state.set(name, { data: Float32Array.from(t.data), shape: [...t.shape] });
        return {
          ...outcome, spec: pooler.spec, outputSize: pooler.outputSize, state, trainSeconds,
          poolerParameters: countParameters(pooler.parameters), headParameters: countParameters(head.parameters),
          validMetrics: valid === null ? null : evaluateFineTuned(encoder, pooler, head, valid).metrics,
          testMetrics: test === null ? null : evaluateFineTuned(encoder, pooler, head, test).metrics,
        };
      } finally {
        encoder.dispose();
      }
    },
    close: async () => {},
  };
}
