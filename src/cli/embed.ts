// `encoder-pooling embed`: texts in, one pooled vector per text out — a streaming filter that works on a
// corpus of any size, in a pipe, in shards, and keeps what it has done when it is interrupted. With --head,
// the vectors of a trained head's pooler; with --token-embeddings, every token's vector (embed-tokens.ts).
import { existsSync } from "node:fs";
import { extname, resolve } from "node:path";
import { embedCorpus, InterruptedError, OutputClosedError, formatFromOutputPath, OUTPUT_FORMATS, parseShard, partialPath, sidecarPath, UsageError, type OutputFormat } from "../node.js";
import { commandUsage, numberFlag, outputFlags, parseFlags, positiveIntFlag, requireFlag, stringFlag, type FlagValues } from "./args.js";
import type { Command } from "./command.js";
import type { CliContext } from "./context.js";
import { allowNonFiniteFlag } from "./finite.js";
import { embedSetupFlags, embedSetupUsage, readEmbedSetup } from "./embed-setup.js";
import { embedTokenEmbeddings } from "./embed-tokens.js";
import { openInputRecords, streamInputFlags } from "./inputs.js";
import { duration, streamProgress } from "./stream-progress.js";
import { logFlags, warningLog } from "./warnings.js";

const usage = `Usage: encoder-pooling embed [--model DIR] (--input FILE|- | --text "…") [--pooling P] --output FILE|- [flags]

Embeds each text: tokenize, run the encoder, pool, and write one vector per text in input order. The
input streams through in windows of texts, so memory stays flat whatever its size; rows go to
OUT.partial as they are done, so an interrupted run keeps them and --resume goes on from there.

Input
  --model DIR          Hugging Face model folder (default: the shipped tiny model in weights/default)
  --input FILE         .txt (one text per line), .jsonl, .csv, or - for standard input
  --input-format F     txt, jsonl or csv: the format of standard input (default txt), or of a file
                       whose extension does not say
  --text "…"           a text given on the command line (repeat for several)
  --text-field NAME    JSONL field holding the text (default "text")
  --text-column NAME   CSV column holding the text (default "text")
  --id-field NAME      JSONL field or CSV column copied into every output row, under its name (a join key)
  --shard i/n          only shard i (0-based) of n: the lines that start in the i-th n-th of the file's
                       bytes (.txt, .jsonl); the shards' outputs in order (cat, or encoder-pooling merge)
                       are the output of one run
Model
${embedSetupUsage}
  --window N           texts read, sorted by length and embedded together (default 2048): the memory bound
  --token-embeddings   write every token's last-layer vector instead (<s> and </s> included; no pooling):
                       .jsonl {"text", "tokens", "input_ids", "token_embeddings"} or .safetensors
                       (token_embeddings [ΣT,H], input_ids [ΣT], lengths [N]), written at the end
  --allow-nonfinite    load weights and --params holding NaN/Infinity and write vectors holding them (to
                       inspect a broken checkpoint); without it either is an error and nothing of it is written
Output
  --output FILE        .safetensors (tensor "embeddings" [N,D]), .jsonl (one line per text), .npy (with
                       FILE.json beside it), or - for standard output
  --format F           jsonl, npy or safetensors, for --output - (default jsonl) or a file name without
                       one of those extensions
  --no-text            JSONL rows without the "text" field
  --header             JSONL output starts with {"provenance": {model, pooling, normalize, max_length, dim}}
                       (.safetensors keeps it in its metadata, .npy in FILE.json)
  --resume             go on with OUT.partial, left by an interrupted run with the same input and flags
  --force              overwrite an existing output, or start over instead of resuming
Messages
  --quiet              print errors only
  --verbose            print every warning (by default the first 3 of a kind, then a count)
  --progress-every S   off a terminal, a progress line every S seconds (default 10)
`;

const flags = {
  ...streamInputFlags,
  ...embedSetupFlags,
  shard: { type: "string" },
  window: { type: "string" },
  "token-embeddings": { type: "boolean" },
  ...allowNonFiniteFlag,
  ...outputFlags,
  format: { type: "string" },
  "no-text": { type: "boolean" },
  header: { type: "boolean" },
  resume: { type: "boolean" },
  ...logFlags,
  "progress-every": { type: "string" },
} as const;

/** `--output FILE|-` and `--format`: where the rows go and in which format. */
function outputTarget(values: FlagValues, cwd: string): { path: string; format: OutputFormat } {
  const output = requireFlag("embed", "output", stringFlag(values, "output"));
  const formatFlag = stringFlag(values, "format");
  const known = (f: string | undefined): f is OutputFormat => (OUTPUT_FORMATS as readonly (string | undefined)[]).includes(f);
  if (formatFlag !== undefined && !known(formatFlag)) throw new UsageError(`embed: --format must be one of ${OUTPUT_FORMATS.join(", ")}, got "${formatFlag}"`);
  if (output === "-") return { path: "-", format: formatFlag ?? "jsonl" };
  const path = resolve(cwd, output);
  if (formatFlag === undefined) return { path, format: formatFromOutputPath(path) };
  const ext = extname(path).slice(1).toLowerCase();
  if (known(ext) && ext !== formatFlag) throw new UsageError(`embed: --format ${formatFlag} contradicts the output name ${output}`);
  return { path, format: formatFlag };
}

/** Refuses the flags that only JSONL rows have room for. */
function checkRowFields(values: FlagValues, format: OutputFormat): void {
  const idField = stringFlag(values, "id-field");
  if (idField !== undefined && ["text", "embedding", "provenance"].includes(idField)) {
    throw new UsageError(`embed: --id-field "${idField}" would clash with the output's own field of that name`);
  }
  if (format === "jsonl") return;
  for (const flag of ["id-field", "no-text", "header"]) {
    if (values[flag] !== undefined) throw new UsageError(`embed: --${flag} is for JSONL output; .${format} rows are bare vectors (row i is input text i)`);
  }
}

/** Turns the first Ctrl-C into a stop after the current batch (rows kept); a second one ends at once. */
function interruptible(ctx: CliContext, quiet: boolean): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onSigint = (): void => {
    if (!quiet) ctx.stderr.write("\ninterrupt: stopping after the current batch, keeping the rows done (Ctrl-C again to quit at once)\n");
    controller.abort();
    process.removeListener("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  return { signal: controller.signal, release: () => process.removeListener("SIGINT", onSigint) };
}

export const embedCommand: Command = {
  name: "embed",
  summary: "embed texts into vectors with a chosen pooling or a trained head (streaming, resumable, shardable)",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("embed", argv, flags);
    if (values["token-embeddings"] === true) {
      const log = warningLog(ctx, values);
      return embedTokenEmbeddings(values, ctx, log).finally(() => log.finish());
    }
    const { path, format } = outputTarget(values, ctx.cwd);
    checkRowFields(values, format);
    const log = warningLog(ctx, values);
    const shardFlag = stringFlag(values, "shard");
    const shard = shardFlag === undefined ? undefined : parseShard(shardFlag, "embed: --shard");
    const input = openInputRecords("embed", values, ctx, log, shard);
    const { model, options } = await readEmbedSetup("embed", values, ctx);
    const progress = streamProgress(ctx, {
      label: "embed",
      quiet: log.quiet,
      everySeconds: numberFlag("embed", "progress-every", stringFlag(values, "progress-every"), 10),
      ...(input.stream === null ? {} : { bytes: { total: input.stream.totalBytes, read: () => input.stream!.bytesRead } }),
    });
    const stop = interruptible(ctx, log.quiet);
    const start = Date.now();
    let closed = false; // the reader of stdout went away: end without another word
    const idField = stringFlag(values, "id-field");
    const result = await embedCorpus(model, input.records, {
      output: path,
      format,
      stdout: ctx.stdout,
      force: values["force"] === true,
      resume: values["resume"] === true,
      model: stringFlag(values, "model") ?? "default",
      ...options,
      ...(options.params === undefined ? {} : { paramsFile: stringFlag(values, "params") }),
      ...(options.head === undefined ? {} : { headDir: stringFlag(values, "head") }),
      allowNonFinite: values["allow-nonfinite"] === true,
      window: positiveIntFlag("embed", "window", stringFlag(values, "window"), 2048),
      ...(idField === undefined ? {} : { idField }),
      includeText: values["no-text"] !== true,
      jsonlHeader: values["header"] === true,
      input: { input: stringFlag(values, "input") ?? null, input_format: stringFlag(values, "input-format") ?? null, text_field: stringFlag(values, "text-field") ?? stringFlag(values, "text-column") ?? null, shard: shardFlag ?? null },
      allowEmpty: shard !== undefined,
      signal: stop.signal,
      describeText: (_, record) => `${input.source}:${record.line}`,
      onWarning: (message, _, record) => log.warn(`${input.source}:${record.line}`, message),
      onProgress: (p) => progress.update(p),
    }).catch((err: unknown) => {
      if (err instanceof OutputClosedError) closed = true;
      else if (err instanceof UsageError) throw commandUsage("embed", err);
      else if (!(err instanceof InterruptedError) && path !== "-" && existsSync(partialPath(path)) && !log.quiet) {
        ctx.stderr.write(`note: the rows done so far are kept in ${partialPath(path)}: fix the cause and run again with --resume, or start over with --force\n`);
      }
      throw err;
    }).finally(() => {
      input.stream?.close(); // interrupted while waiting for input: stdin must not keep the process alive
      progress.finish();
      stop.release();
      if (!closed) log.finish();
    });
    if (log.quiet) return;
    const resumed = result.resumedRows > 0 ? ` (${result.resumedRows} of them kept from ${partialPath(path)})` : "";
    const where = path === "-" ? "standard output" : format === "npy" ? `${path} (+ ${sidecarPath(path)})` : path;
    ctx.stderr.write(`embed: wrote ${result.rows} × ${result.provenance.dim} to ${where}${resumed} in ${duration((Date.now() - start) / 1000)}\n`);
  },
};
