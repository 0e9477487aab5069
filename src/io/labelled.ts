// Node-only: reading a labelled .jsonl or .csv file into texts, raw labels and their lines.
import { resolve } from "node:path";
import type { LabelledData } from "../train/labelled.js";
import { labelledFromRecords } from "../train/labelled.js";
import type { Task } from "../train/task.js";
import { readRecords } from "./readers.js";

export interface ReadLabelledOptions {
  task: Task;
  /** JSONL field or CSV column of the label. */
  labelField: string;
  /** JSONL field or CSV column of the text. */
  textField: string;
  /** Which split this is, for errors: "training", "validation", "test", … */
  split: string;
  /** Directory a relative path is resolved against (default the process's). */
  cwd?: string;
  /** Receives each non-fatal problem (`file:line: what`) before the examples are checked. */
  onWarning?: (warning: string) => void;
}

/**
 * Reads a labelled .jsonl or .csv file. Missing labels, non-numeric regression targets and an empty
 * file are errors naming the file (as given) and the line; a .txt file is refused (it cannot carry labels).
 * @example const train = await readLabelled("train.jsonl", { task: "classification", labelField: "label", textField: "text", split: "training" });
 */
export async function readLabelled(path: string, options: ReadLabelledOptions): Promise<LabelledData> {
  const file = options.cwd === undefined ? path : resolve(options.cwd, path);
  const { records, warnings } = await readRecords(file, { labelField: options.labelField, textField: options.textField });
  for (const warning of warnings) options.onWarning?.(warning);
  return labelledFromRecords(records, path, options.task, options.split);
}
