// Labelled examples as training reads them from a .jsonl or .csv file: the texts, their raw labels and
// the file line of each, checked so that every error names the file and the line.
import { TrainingError } from "../errors.js";
import type { TextRecord } from "../formats/records.js";
import type { Task } from "./task.js";

/** Texts and raw labels of one file, with the line each came from. */
export interface LabelledData {
  /** The file, as the user named it (or a description such as "… (held out by --valid-split 0.1)"). */
  source: string;
  texts: string[];
  labels: unknown[];
  lines: number[];
}

/** A label from a CSV cell for multi-label: a JSON list (`["a","b"]`) or names separated by `|`. */
function multilabelFromCell(cell: string): unknown {
  const trimmed = cell.trim();
  if (trimmed.startsWith("[")) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return trimmed;
    }
  }
  return trimmed.split("|").map((s) => s.trim()).filter((s) => s !== "");
}

function isNumeric(x: unknown): boolean {
  if (typeof x === "number") return Number.isFinite(x);
  return typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x));
}

/**
 * The labelled examples of parsed records (each with its label). An empty file and a non-numeric
 * regression target are errors naming `source` and the line; multi-label CSV cells become lists.
 * @example labelledFromRecords(parseRecords(bytes, { source, format: "jsonl", labelField: "label" }).records, source, "classification", "training")
 */
export function labelledFromRecords(records: readonly TextRecord[], source: string, task: Task, split: string): LabelledData {
  if (records.length === 0) throw new TrainingError(`${source}: no examples: the ${split} split is empty`);
  const labels = records.map((r) => (task === "multilabel" && typeof r.label === "string" ? multilabelFromCell(r.label) : r.label));
  if (task === "regression") {
    records.forEach((r, i) => {
      const label = labels[i];
      const items = Array.isArray(label) ? label : [label];
      if (items.length === 0 || items.some((x) => !isNumeric(x))) {
        throw new TrainingError(`${source}:${r.line}: regression label ${JSON.stringify(label)} is not a number`);
      }
    });
  }
  return { source, texts: records.map((r) => r.text), labels, lines: records.map((r) => r.line) };
}

/** The examples at `indices` of a labelled file, under a new `source` name. */
export function subsetLabelled(data: LabelledData, indices: readonly number[], source: string): LabelledData {
  return {
    source,
    texts: indices.map((i) => data.texts[i]!),
    labels: indices.map((i) => data.labels[i]),
    lines: indices.map((i) => data.lines[i]!),
  };
}
