// `encoder-pooling embed`: texts in, one pooled vector per text out (.safetensors, .jsonl or .npy); with
// --head, the vectors of a trained head's pooler; with --token-embeddings, every token's vector.
import { assertWritable, encodeEmbeddings, encodeTokenEmbeddings, formatFromOutputPath, UsageError, writeFileAtomic } from "../node.js";
import { outputFlags, parseFlags, requirePathFlag } from "./args.js";
import type { Command } from "./command.js";
import { embedSetupFlags, embedSetupUsage, readEmbedSetup } from "./embed-setup.js";
import { inputFlags, readInputTexts, warnAt } from "./inputs.js";
import { allowNonFiniteFlag } from "./finite.js";
import { progressBar } from "./progress.js";

const usage = `Usage: encoder-pooling embed [--model DIR] (--input FILE | --text "…") [--pooling P | --head DIR] --output FILE

Embeds each text: tokenize, run the encoder, pool, and write one vector per text in input order.

  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field holding the text (default "text")
  --text-column NAME   CSV column holding the text (default "text")
${embedSetupUsage}
  --token-embeddings   write every token's last-layer vector instead (<s> and </s> included; no pooling):
                       .jsonl {"text", "tokens", "input_ids", "token_embeddings"} or .safetensors
                       (token_embeddings [ΣT,H], input_ids [ΣT], lengths [N])
  --allow-nonfinite    load weights and --params holding NaN/Infinity and write vectors holding them (to
                       inspect a broken checkpoint); without it either is an error and nothing is written
  --output FILE        .safetensors (tensor "embeddings" [N,D]), .jsonl (one line per text) or .npy
  --force              overwrite an existing output file
`;

export const embedCommand: Command = {
  name: "embed",
  summary: "embed texts into vectors with a chosen pooling or a trained head",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("embed", argv, {
      ...inputFlags, ...embedSetupFlags, "token-embeddings": { type: "boolean" }, ...allowNonFiniteFlag, ...outputFlags,
    });
    const output = requirePathFlag("embed", values, "output", ctx.cwd);
    const format = formatFromOutputPath(output);
    const force = values["force"] === true;
    assertWritable(output, force);
    const tokenLevel = values["token-embeddings"] === true;
    if (tokenLevel && format === "npy") throw new UsageError("embed: --token-embeddings needs a .jsonl or .safetensors --output: texts have different numbers of tokens");
    for (const flag of ["pooling", "params", "head", "normalize"]) {
      if (tokenLevel && values[flag] !== undefined) throw new UsageError(`embed: --token-embeddings are the encoder's last layer; --${flag} does not apply to them`);
    }

    const { records, source } = await readInputTexts("embed", values, ctx);
    const { model, options } = await readEmbedSetup("embed", values, ctx);
    const texts = records.map((r) => r.text);
    const bar = progressBar(ctx, "embed", texts.length);
    const reading = {
      allowNonFinite: values["allow-nonfinite"] === true,
      describeText: (i: number) => `${source}:${records[i]?.line ?? i + 1}`,
      onWarning: (message: string, i: number) => warnAt(ctx, source, records, i, message),
      onProgress: (done: number) => bar.update(done),
    };
    let bytes: Uint8Array;
    let shape: string;
    if (tokenLevel) {
      const { truncation, batchSize, maxLength } = options;
      const tokens = await model.embedTokens(texts, { truncation, batchSize, ...(maxLength === undefined ? {} : { maxLength }), ...reading });
      const tokenStrings = tokens.inputIds.map((ids) => ids.map((id) => model.tokenizer.idToToken(id) ?? ""));
      bytes = encodeTokenEmbeddings(format, tokens, { texts, tokenStrings });
      shape = `${tokens.lengths.reduce((s, n) => s + n, 0)} tokens × ${tokens.dim}`;
    } else {
      const embeddings = await model.embed(texts, { ...options, ...reading });
      bytes = encodeEmbeddings(format, embeddings.data, embeddings.count, embeddings.dim, { texts });
      shape = `${embeddings.count} × ${embeddings.dim}`;
    }
    bar.finish();
    await writeFileAtomic(output, bytes, force);
    ctx.stderr.write(`embed: wrote ${shape} to ${output}\n`);
  },
};
