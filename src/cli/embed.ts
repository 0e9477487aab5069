// `encoder-pooling embed`: texts in, one pooled vector per text out (.safetensors, .jsonl or .npy).
import { resolve } from "node:path";
import { assertWritable, encodeEmbeddings, formatFromOutputPath, writeFileAtomic } from "../node.js";
import { outputFlags, parseFlags, positiveIntFlag, requirePathFlag, stringFlag } from "./args.js";
import type { Command } from "./command.js";
import { engineFlags, engineUsage } from "./engine-flags.js";
import { allowNonFiniteFlag } from "./finite.js";
import { inputFlags, loadModelFlag, readInputTexts, readParamsFile, readPoolingFlag, warnAt } from "./inputs.js";
import { progressBar } from "./progress.js";

const usage = `Usage: encoder-pooling embed [--model DIR] (--input FILE | --text "…") --pooling NAME|SPEC.json --output FILE

Embeds each text: tokenize, run the encoder, pool, and write one vector per text in input order.

  --model DIR          Hugging Face model folder (default: the shipped tiny model in weights/default)
${engineUsage()}
  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field holding the text (default "text")
  --text-column NAME   CSV column holding the text (default "text")
  --pooling P          a pooling name (cls, mean, max, mean-max, lstm, attention, …), a SPEC.json file,
                       or an inline JSON spec; see docs/pooling.md (default: mean)
  --params FILE        trained pooler parameters (.safetensors, PyTorch names)
  --normalize          L2-normalise each vector
  --max-length N       token limit per text, <s> and </s> included (default: the model's limit)
  --no-truncate        refuse over-long texts instead of truncating them with a warning
  --batch-size N       texts per forward pass (default 32)
  --allow-nonfinite    load weights and --params holding NaN/Infinity and write vectors holding them (to
                       inspect a broken checkpoint); without it either is an error and nothing is written
  --output FILE        .safetensors (tensor "embeddings" [N,D]), .jsonl (one line per text) or .npy
  --force              overwrite an existing output file
`;

export const embedCommand: Command = {
  name: "embed",
  summary: "embed texts into vectors with a chosen pooling",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("embed", argv, {
      ...inputFlags,
      model: { type: "string" },
      ...engineFlags,
      pooling: { type: "string" },
      params: { type: "string" },
      normalize: { type: "boolean" },
      "max-length": { type: "string" },
      "no-truncate": { type: "boolean" },
      "batch-size": { type: "string" },
      ...allowNonFiniteFlag,
      ...outputFlags,
    });
    const output = requirePathFlag("embed", values, "output", ctx.cwd);
    const format = formatFromOutputPath(output);
    const force = values["force"] === true;
    assertWritable(output, force);
    const batchSize = positiveIntFlag("embed", "batch-size", stringFlag(values, "batch-size"), 32);
    const maxLengthFlag = stringFlag(values, "max-length");
    const pooling = await readPoolingFlag(stringFlag(values, "pooling") ?? "mean", ctx);
    const paramsPath = stringFlag(values, "params");
    const params = paramsPath === undefined ? undefined : await readParamsFile(resolve(ctx.cwd, paramsPath));

    const { records, source } = await readInputTexts("embed", values, ctx);
    const model = await loadModelFlag(values, ctx);
    const texts = records.map((r) => r.text);
    if (params === undefined && model.createPooler(pooling).parameters.size > 0) {
      ctx.stderr.write("warning: this pooling has trainable parameters and no --params was given: using its seeded initialisation (untrained)\n");
    }
    const bar = progressBar(ctx, "embed", texts.length);
    const embeddings = await model.embed(texts, {
      pooling,
      ...(params === undefined ? {} : { params }),
      normalize: values["normalize"] === true,
      batchSize,
      ...(maxLengthFlag === undefined ? {} : { maxLength: positiveIntFlag("embed", "max-length", maxLengthFlag, 0) }),
      truncation: values["no-truncate"] !== true,
      allowNonFinite: values["allow-nonfinite"] === true,
      describeText: (i) => `${source}:${records[i]?.line ?? i + 1}`,
      onWarning: (message, i) => warnAt(ctx, source, records, i, message),
      onProgress: (done) => bar.update(done),
    });
    bar.finish();
    const bytes = encodeEmbeddings(format, embeddings.data, embeddings.count, embeddings.dim, { texts });
    await writeFileAtomic(output, bytes, force);
    ctx.stderr.write(`embed: wrote ${embeddings.count} × ${embeddings.dim} to ${output}\n`);
  },
};
