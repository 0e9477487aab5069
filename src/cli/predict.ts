// `encoder-pooling predict`: runs a trained head (HEAD_DIR) on texts and writes one prediction per
// text as JSONL: {"text", "label", "probabilities"} (classification), {"text", "value"} (regression)
// or {"text", "labels", "probabilities"} (multilabel), in input order.
import { extname, resolve } from "node:path";
import { assertWritable, loadHead, predictLogits, StopFlag, UsageError, writeFileAtomic } from "../node.js";
import { outputFlags, parseFlags, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { engineFlags, engineOptions, engineUsage } from "./engine-flags.js";
import { inputFlags, readInputTexts } from "./inputs.js";
import { encodeWithProgress } from "./training-output.js";

const usage = `Usage: encoder-pooling predict --head HEAD_DIR (--input FILE | --text "…") --output FILE.jsonl [--model DIR]

Runs a trained head on texts and writes one JSON line per text, in input order:
  classification  {"text": …, "label": "spam", "probabilities": {"ham": 0.1, "spam": 0.9}}
  regression      {"text": …, "value": 3.2}            (a list for several targets)
  multilabel      {"text": …, "labels": ["a"], "probabilities": {"a": 0.8, "b": 0.3}}

  --head DIR           a folder written by \`encoder-pooling train\` (or by compare --save-heads: its best)
  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field or CSV column of the text (default: the one used in training)
  --model DIR          the encoder (default: the model the head was trained with)
${engineUsage()}
  --output FILE        .jsonl file to write
  --force              overwrite an existing output file
`;

export const predictCommand: Command = {
  name: "predict",
  summary: "predict labels or values for texts with a trained head",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("predict", argv, {
      ...inputFlags,
      head: { type: "string" },
      model: { type: "string" },
      ...engineFlags,
      ...outputFlags,
    });
    const dir = requirePathFlag("predict", values, "head", ctx.cwd);
    const output = requirePathFlag("predict", values, "output", ctx.cwd);
    if (extname(output).toLowerCase() !== ".jsonl") throw new UsageError(`predict: --output must be a .jsonl file, got ${output}`);
    const force = values["force"] === true;
    assertWritable(output, force);
    const modelFlag = stringFlag(values, "model");
    const { config, pooler, head, labels, model } = await loadHead(dir, {
      ...(modelFlag === undefined ? {} : { model: resolve(ctx.cwd, modelFlag) }),
      ...engineOptions("predict", values),
      onNote: (message) => void ctx.stderr.write(`note: ${message}\n`),
      load: { onWarning: (message) => void ctx.stderr.write(`warning: ${message}\n`) },
    });
    const textField = stringFlag(values, "text-field") ?? stringFlag(values, "text-column") ?? config.textField;
    const { records, source } = await readInputTexts("predict", { ...values, "text-field": textField }, ctx);
    const texts = records.map((r) => r.text);
    const data = { source, texts, lines: records.map((r) => r.line) };
    const [features] = await encodeWithProgress(model, data, Math.min(config.maxLength, model.maxLength), [pooler.reads], "input", ctx, new StopFlag());
    const predictions = labels.decode(predictLogits(pooler, head, features!));
    const lines = predictions.map((p, i) => `${JSON.stringify({ text: texts[i], ...p })}\n`);
    await writeFileAtomic(output, lines.join(""), force);
    ctx.stderr.write(`predict: wrote ${predictions.length} predictions to ${output}\n`);
  },
};
