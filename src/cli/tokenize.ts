// `encoder-pooling tokenize`: one JSON line per text with its ids, tokens and character offsets.
import { resolve } from "node:path";
import { assertWritable, defaultModelDir, loadTokenizerFolder, UsageError, writeFileAtomic } from "../node.js";
import { outputFlags, parseFlags, positiveIntFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { inputFlags, readInputTexts, warnAt } from "./inputs.js";

const usage = `Usage: encoder-pooling tokenize [--model DIR] (--input FILE | --text "…") [--max-length N] [--output FILE]

Writes one JSON line per text: {"input_ids": [...], "tokens": [...], "offsets": [[start,end], ...]}.
Offsets are [start, end) indices into the text as JavaScript counts them (UTF-16 code units), so
text.slice(start, end) is the token's text; <s> and </s> get [0, 0].

  --model DIR          a folder with tokenizer.json or vocab.json + merges.txt (config.json and
                       tokenizer_config.json only set the limit), default: the shipped tiny model
  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field holding the text (default "text")
  --text-column NAME   CSV column holding the text (default "text")
  --max-length N       token limit per text, <s> and </s> included (default: the folder's limit, if any)
  --no-truncate        refuse over-long texts instead of truncating them with a warning
  --output FILE        where to write the JSON lines (default: standard output)
  --force              overwrite an existing output file
`;

export const tokenizeCommand: Command = {
  name: "tokenize",
  summary: "tokenize texts: ids, tokens and character offsets as JSON lines",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("tokenize", argv, {
      ...inputFlags,
      model: { type: "string" },
      "max-length": { type: "string" },
      "no-truncate": { type: "boolean" },
      ...outputFlags,
    });
    const outputFlag = stringFlag(values, "output");
    const output = outputFlag === undefined || outputFlag === "-" ? undefined : resolve(ctx.cwd, outputFlag);
    const force = values["force"] === true;
    if (output !== undefined) assertWritable(output, force);
    const maxLengthFlag = stringFlag(values, "max-length");

    const { records, source } = await readInputTexts("tokenize", values, ctx);
    const modelFlag = stringFlag(values, "model");
    const tokenizer = await loadTokenizerFolder(modelFlag === undefined ? defaultModelDir() : resolve(ctx.cwd, modelFlag), {
      onWarning: (message) => void ctx.stderr.write(`warning: ${message}\n`),
    });
    const maxLength = maxLengthFlag === undefined ? undefined : positiveIntFlag("tokenize", "max-length", maxLengthFlag, 0);
    if (maxLength !== undefined && (maxLength < 2 || maxLength > (tokenizer.maxLength ?? Infinity))) {
      const top = tokenizer.maxLength === null ? "" : ` to ${tokenizer.maxLength} (the model's position table)`;
      throw new UsageError(`tokenize: --max-length must be from 2 (<s> and </s>)${top}, got ${maxLength}`);
    }
    const encodings = tokenizer.tokenize(
      records.map((r) => r.text),
      {
        ...(maxLength === undefined ? {} : { maxLength }),
        truncation: values["no-truncate"] !== true,
        describeText: (i) => `${source}:${records[i]?.line ?? i + 1}`,
        onWarning: (message, i) => warnAt(ctx, source, records, i, message),
      },
    );
    const lines = encodings.map((e) => JSON.stringify({ input_ids: e.inputIds, tokens: e.tokens, offsets: e.offsets }) + "\n");
    if (output === undefined) {
      for (const line of lines) ctx.stdout.write(line);
    } else {
      await writeFileAtomic(output, lines.join(""), force);
      ctx.stderr.write(`tokenize: wrote ${lines.length} lines to ${output}\n`);
    }
  },
};
