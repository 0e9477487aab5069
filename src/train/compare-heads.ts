// Keeping what a comparison trained (`compare --save-heads DIR`): every run becomes a head folder
// DIR/<pooling>-seed<N>/, and DIR/heads.json lists them with their metrics and names the best on
// validation, so that `embed --head DIR` or `loadHead(DIR)` uses the winner without training it again.
// In memory here (pure); src/io writes the folders.
import { parseJson } from "../encoder/json.js";
import { TrainingError } from "../errors.js";
import { headFiles, makeHeadConfig, type HeadFolder, type HeadSettings } from "./head-folder.js";
import type { PoolerJobResult } from "./job.js";
import type { Metrics } from "./metrics.js";
import { poolingLabel } from "./compare-report.js";
import { higherIsBetter } from "./task.js";

export const HEADS_INDEX = "heads.json";
export const HEADS_FORMAT = "encoder-pooling heads 1";

/** The contents of heads.json. */
export interface HeadsIndex {
  format: typeof HEADS_FORMAT;
  /** The selection metric, and the split it was read on. */
  metric: string;
  split: "validation";
  /** Folder name of the best run. */
  best: string;
  heads: { name: string; pooling: string; seed: number; bestEpoch: number; valid: Metrics | null; test: Metrics | null }[];
}

/** A folder name for a pooling: its name, or "pooling<k>" for an inline spec (its k in the list). */
function folderName(pooling: string | object, listed: string[], seed: number): string {
  const label = poolingLabel(pooling);
  const base = /^[a-z0-9-]+$/.test(label) ? label : `pooling${listed.indexOf(label) + 1}`;
  return `${base}-seed${seed}`;
}

/**
 * The head folder of every run, and the index that names the best: the highest validation `metric`
 * (the lowest for rmse, mae, logLoss and loss); on a tie the pooling listed first, then the lower seed.
 * @example const { folders, index } = compareHeadFolders(outcome.runs, settings, "macroF1", poolings);
 */
export function compareHeadFolders(
  runs: readonly { pooling: string | object; seed: number; result: PoolerJobResult }[],
  settings: HeadSettings,
  metric: string,
  poolings: readonly (string | object)[],
): { folders: Map<string, Required<HeadFolder>>; index: HeadsIndex } {
  if (runs.length === 0) throw new TrainingError("compare: no run finished, so there is no head to save");
  const listed = poolings.map(poolingLabel);
  const order = [...runs].sort((a, b) => listed.indexOf(poolingLabel(a.pooling)) - listed.indexOf(poolingLabel(b.pooling)) || a.seed - b.seed);
  const folders = new Map<string, Required<HeadFolder>>();
  const heads: HeadsIndex["heads"] = [];
  const score = (m: Metrics | null): number => {
    const v = m?.[metric];
    if (v === undefined || Number.isNaN(v)) return -Infinity;
    return higherIsBetter(metric) ? v : -v;
  };
  let best = 0;
  order.forEach(({ pooling, seed, result }, i) => {
    const name = folderName(pooling, listed, seed);
    const config = makeHeadConfig(result, settings);
    const training = {
      compare: { pooling: poolingLabel(pooling), seed },
      metric: result.metric, bestEpoch: result.bestEpoch, trainSeconds: result.trainSeconds,
      validMetrics: result.validMetrics, testMetrics: result.testMetrics,
      parameters: { pooler: result.poolerParameters, head: result.headParameters },
      history: result.history,
    };
    folders.set(name, headFiles(config, result.state, training));
    heads.push({ name, pooling: poolingLabel(pooling), seed, bestEpoch: result.bestEpoch, valid: result.validMetrics, test: result.testMetrics });
    if (score(result.validMetrics) > score(order[best]!.result.validMetrics)) best = i;
  });
  return { folders, index: { format: HEADS_FORMAT, metric, split: "validation", best: heads[best]!.name, heads } };
}

/** Reads heads.json's text: the name of the best head's folder; errors name `source`. */
export function bestHeadOf(text: string, source: string): string {
  const index = parseJson(text, source, TrainingError) as Partial<HeadsIndex> | null;
  if (index === null || index.format !== HEADS_FORMAT || typeof index.best !== "string" || !/^[a-z0-9-]+$/.test(index.best)) {
    throw new TrainingError(`${source}: not a heads index written by \`compare --save-heads\` (format "${HEADS_FORMAT}" with a "best" folder name)`);
  }
  return index.best;
}
