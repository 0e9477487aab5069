// `encoder-pooling embed --token-embeddings`: every token's last-layer vector of each text (no pooling),
// written whole at the end (.jsonl or .safetensors: texts have different numbers of tokens, so there is
// no fixed row to stream).
import { resolve } from "node:path";
import { assertWritable, encodeTokenEmbeddings, formatFromOutputPath, UsageError, writeFileAtomic } from "../node.js";
import { requireFlag, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import { readEmbedSetup } from "./embed-setup.js";
import { readInputTexts } from "./inputs.js";
import { progressBar } from "./progress.js";
import type { WarningLog } from "./warnings.js";

/** Flags of the streaming embed that have no meaning here. */
const STREAM_ONLY = ["shard", "window", "resume", "format", "header", "no-text", "id-field", "input-format"];

export async function embedTokenEmbeddings(values: FlagValues, ctx: CliContext, log: WarningLog): Promise<void> {
  const outputFlag = requireFlag("embed", "output", stringFlag(values, "output"));
  if (outputFlag === "-") throw new UsageError("embed: --token-embeddings needs an --output file (.jsonl or .safetensors)");
  const output = resolve(ctx.cwd, outputFlag);
  const format = formatFromOutputPath(output);
  if (format === "npy") throw new UsageError("embed: --token-embeddings needs a .jsonl or .safetensors --output: texts have different numbers of tokens");
  for (const flag of ["pooling", "params", "head", "normalize", ...STREAM_ONLY]) {
    if (values[flag] !== undefined) throw new UsageError(`embed: --${flag} does not apply to --token-embeddings (the encoder's last layer, written whole)`);
  }
  const force = values["force"] === true;
  assertWritable(output, force);
  const { records, source } = await readInputTexts("embed", values, ctx);
  const { model, options } = await readEmbedSetup("embed", values, ctx);
  const texts = records.map((r) => r.text);
  const where = (i: number): string => `${source}:${records[i]?.line ?? i + 1}`;
  const bar = progressBar(ctx, "embed", texts.length);
  const { truncation, batchSize, maxLength } = options;
  const tokens = await model.embedTokens(texts, {
    ...(truncation === undefined ? {} : { truncation }),
    ...(batchSize === undefined ? {} : { batchSize }),
    ...(maxLength === undefined ? {} : { maxLength }),
    allowNonFinite: values["allow-nonfinite"] === true,
    describeText: where,
    onWarning: (message: string, i: number) => log.warn(where(i), message),
    onProgress: (done: number) => bar.update(done),
  });
  bar.finish();
  const tokenStrings = tokens.inputIds.map((ids) => ids.map((id) => model.tokenizer.idToToken(id) ?? ""));
  await writeFileAtomic(output, encodeTokenEmbeddings(format, tokens, { texts, tokenStrings }), force);
  if (!log.quiet) ctx.stderr.write(`embed: wrote ${tokens.lengths.reduce((s, n) => s + n, 0)} tokens × ${tokens.dim} to ${output}\n`);
}
