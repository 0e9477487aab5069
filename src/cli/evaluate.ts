// `encoder-pooling evaluate`: scores a trained head (HEAD_DIR) on labelled data and prints the
// task's metrics, as a table or (--json) as one JSON object on standard output.
import { resolve } from "node:path";
import { evaluateSplit, loadHead, StopFlag } from "../node.js";
import { parseFlags, requireFlag, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { engineFlags, engineOptions, engineUsage } from "./engine-flags.js";
import { readLabelledFlag } from "./training-flags.js";
import { encodeWithProgress } from "./training-output.js";

const usage = `Usage: encoder-pooling evaluate --head HEAD_DIR --data TEST [--model DIR] [--json]

Runs a trained head on labelled examples and prints its metrics: accuracy, macroF1 and logLoss
(classification), rmse, mae and pearson (regression), microF1 and macroF1 (multilabel).

  --head DIR           a folder written by \`encoder-pooling train\` (or by compare --save-heads: its best)
  --data FILE          labelled examples, .jsonl or .csv (label and text fields as in training unless given)
  --label-field NAME   JSONL field or CSV column of the label (default: the one used in training)
  --text-field NAME    JSONL field or CSV column of the text (default: the one used in training)
  --model DIR          the encoder (default: the model the head was trained with); it must have the
                       same hidden size and layer count
${engineUsage()}
  --json               print one JSON object, e.g. {"accuracy": 0.91, "macroF1": 0.88, "logLoss": 0.25}
`;

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "print the metrics of a trained head on labelled data",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("evaluate", argv, {
      head: { type: "string" },
      data: { type: "string" },
      model: { type: "string" },
      ...engineFlags,
      "label-field": { type: "string" },
      "text-field": { type: "string" },
      json: { type: "boolean" },
    });
    const dir = requirePathFlag("evaluate", values, "head", ctx.cwd);
    const dataPath = requireFlag("evaluate", "data", stringFlag(values, "data"));
    const modelFlag = stringFlag(values, "model");
    const { config, pooler, head, labels, model } = await loadHead(dir, {
      ...(modelFlag === undefined ? {} : { model: resolve(ctx.cwd, modelFlag) }),
      ...engineOptions("evaluate", values),
      onNote: (message) => void ctx.stderr.write(`note: ${message}\n`),
      load: { onWarning: (message) => void ctx.stderr.write(`warning: ${message}\n`) },
    });
    const data = await readLabelledFlag(dataPath, ctx, {
      task: config.task,
      labelField: stringFlag(values, "label-field") ?? config.labelField,
      textField: stringFlag(values, "text-field") ?? config.textField,
      split: "evaluation",
    });
    const encoded = labels.encode(data.labels, `evaluation (${dataPath})`, data.lines);
    const maxLength = Math.min(config.maxLength, model.maxLength);
    const [features] = await encodeWithProgress(model, data, maxLength, [pooler.reads], "evaluation", ctx, new StopFlag());
    const { metrics } = evaluateSplit(pooler, head, { features: features!, labels: encoded });
    if (values["json"] === true) {
      ctx.stdout.write(`${JSON.stringify(metrics)}\n`);
      return;
    }
    const width = Math.max(...Object.keys(metrics).map((k) => k.length));
    const rows = Object.entries(metrics).map(([k, v]) => `${k.padEnd(width)}  ${v.toFixed(4)}`);
    ctx.stdout.write(`${dataPath}: ${data.texts.length} examples, ${config.task}\n${rows.join("\n")}\n`);
  },
};
