// `encoder-pooling tokenize`: one JSON line per text with its ids, tokens and character offsets,
// streamed: lines go out as the texts come in, so it sits in a pipe (`… | head -2` ends it quietly).
import { resolve } from "node:path";
import { defaultModelDir, InputError, loadTokenizerFolder, openByteOutput, UsageError, type TextRecord } from "../node.js";
import { outputFlags, parseFlags, positiveIntFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { openInputRecords, streamInputFlags } from "./inputs.js";
import { logFlags, warningLog } from "./warnings.js";

const usage = `Usage: encoder-pooling tokenize [--model DIR] (--input FILE|- | --text "…") [--max-length N] [--output FILE]

Writes one JSON line per text: {"input_ids": [...], "tokens": [...], "offsets": [[start,end], ...]}.
Offsets are [start, end) indices into the text as JavaScript counts them (UTF-16 code units), so
text.slice(start, end) is the token's text; <s> and </s> get [0, 0].

  --model DIR          a folder with tokenizer.json or vocab.json + merges.txt (config.json and
                       tokenizer_config.json only set the limit), default: the shipped tiny model
  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --input-format F     txt, jsonl or csv: the format of standard input (default txt)
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field holding the text (default "text")
  --text-column NAME   CSV column holding the text (default "text")
  --id-field NAME      JSONL field or CSV column copied into every line, under its name
  --max-length N       token limit per text, <s> and </s> included (default: the folder's limit, if any)
  --no-truncate        refuse over-long texts instead of truncating them with a warning
  --output FILE        where to write the JSON lines (default: standard output)
  --force              overwrite an existing output file
  --quiet              print errors only
  --verbose            print every warning (by default the first 3 of a kind, then a count)
`;

/** Texts tokenized at a time. */
const CHUNK = 256;

export const tokenizeCommand: Command = {
  name: "tokenize",
  summary: "tokenize texts: ids, tokens and character offsets as JSON lines",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("tokenize", argv, {
      ...streamInputFlags,
      model: { type: "string" },
      "max-length": { type: "string" },
      "no-truncate": { type: "boolean" },
      ...outputFlags,
      ...logFlags,
    });
    const outputFlag = stringFlag(values, "output") ?? "-";
    const output = outputFlag === "-" ? "-" : resolve(ctx.cwd, outputFlag);
    const maxLengthFlag = stringFlag(values, "max-length");
    const idField = stringFlag(values, "id-field");
    const log = warningLog(ctx, values);
    const out = openByteOutput(output, { force: values["force"] === true, stdout: ctx.stdout });
    let count = 0;
    try {
      const input = openInputRecords("tokenize", values, ctx, log);
      const modelFlag = stringFlag(values, "model");
      const tokenizer = await loadTokenizerFolder(modelFlag === undefined ? defaultModelDir() : resolve(ctx.cwd, modelFlag), {
        onWarning: (message) => void ctx.stderr.write(`warning: ${message}\n`),
      });
      const maxLength = maxLengthFlag === undefined ? undefined : positiveIntFlag("tokenize", "max-length", maxLengthFlag, 0);
      if (maxLength !== undefined && (maxLength < 2 || maxLength > (tokenizer.maxLength ?? Infinity))) {
        const top = tokenizer.maxLength === null ? "" : ` to ${tokenizer.maxLength} (the model's position table)`;
        throw new UsageError(`tokenize: --max-length must be from 2 (<s> and </s>)${top}, got ${maxLength}`);
      }
      const write = async (records: TextRecord[]): Promise<void> => {
        const where = (i: number): string => `${input.source}:${records[i]?.line ?? i + 1}`;
        const encodings = tokenizer.tokenize(
          records.map((r) => r.text),
          {
            ...(maxLength === undefined ? {} : { maxLength }),
            truncation: values["no-truncate"] !== true,
            describeText: where,
            onWarning: (message, i) => log.warn(where(i), message),
          },
        );
        for (const [i, e] of encodings.entries()) {
          const id = idField === undefined ? "" : `${JSON.stringify(idField)}:${JSON.stringify(records[i]!.id ?? null)},`;
          await out.sink.write(`{${id}"input_ids":${JSON.stringify(e.inputIds)},"tokens":${JSON.stringify(e.tokens)},"offsets":${JSON.stringify(e.offsets)}}\n`);
        }
        count += records.length;
      };
      let chunk: TextRecord[] = [];
      for await (const record of input.records) {
        chunk.push(record);
        if (chunk.length === CHUNK) {
          await write(chunk);
          chunk = [];
        }
      }
      await write(chunk);
      if (count === 0) throw new InputError(`${input.source}: no texts in the input`);
      await out.commit();
    } catch (err) {
      out.discard();
      throw err;
    } finally {
      log.finish();
    }
    if (output !== "-" && !log.quiet) ctx.stderr.write(`tokenize: wrote ${count} lines to ${output}\n`);
  },
};
