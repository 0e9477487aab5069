// The flags that decide how a text becomes a vector, shared by `embed` and `similar`: the model and the
// engine it runs on, a pooling with its parameters or a trained head, normalisation and the token limit.
// The folder's own settings (a sentence-transformers Pooling and Normalize module, its max_seq_length)
// are the defaults; a flag overrides them, with a note.
import { resolve } from "node:path";
import { loadHead, UsageError, type EmbedOptions, type EncoderModel } from "../node.js";
import { positiveIntFlag, stringFlag, type FlagValues } from "./args.js";
import type { CliContext } from "./context.js";
import { engineFlags, engineOptions, engineUsage } from "./engine-flags.js";
import { loadModelFlag, readParamsFile, readPoolingFlag } from "./inputs.js";

export const embedSetupFlags = {
  model: { type: "string" },
  pooling: { type: "string" },
  params: { type: "string" },
  head: { type: "string" },
  normalize: { type: "boolean" },
  "no-normalize": { type: "boolean" },
  "max-length": { type: "string" },
  "no-truncate": { type: "boolean" },
  "batch-size": { type: "string" },
  ...engineFlags,
} as const;

/** Help lines of embedSetupFlags. */
export const embedSetupUsage = `  --model DIR          Hugging Face or sentence-transformers model folder (default: the shipped tiny
                       model); its own pooling, normalisation and token limit are the defaults
  --pooling P          a pooling name (cls, mean, max, attention, …), a SPEC.json file (a head's
                       pooling.json too), or an inline JSON spec (default: the folder's, else mean)
  --params FILE        trained pooler parameters (.safetensors, PyTorch names; a head's head.safetensors)
  --head DIR           a trained head (from train, or compare --save-heads): its trained pooler
  --normalize          L2-normalise each vector (default: on when the folder has a Normalize module)
  --no-normalize       do not, even when the folder has a Normalize module
  --max-length N       token limit per text, <s> and </s> included (default: the head's, else the
                       folder's max_seq_length, else the model's limit)
  --no-truncate        refuse over-long texts instead of truncating them with a warning
  --batch-size N       texts per forward pass (default 32)
${engineUsage()}`;

/** The model and the embed options the flags ask for. */
export interface EmbedSetup {
  model: EncoderModel;
  options: EmbedOptions;
}

/** Reads embedSetupFlags: loads the model (or the head and its model) and prints what the folder decided. */
export async function readEmbedSetup(command: string, values: FlagValues, ctx: CliContext): Promise<EmbedSetup> {
  const note = (message: string): void => void ctx.stderr.write(`note: ${message}\n`);
  const headFlag = stringFlag(values, "head");
  const poolingFlag = stringFlag(values, "pooling");
  const paramsFlag = stringFlag(values, "params");
  if (headFlag !== undefined && (poolingFlag !== undefined || paramsFlag !== undefined)) {
    throw new UsageError(`${command}: give --head, or --pooling (with --params), not both: a head brings its own pooling`);
  }
  if (values["normalize"] === true && values["no-normalize"] === true) throw new UsageError(`${command}: give --normalize or --no-normalize, not both`);
  const options: EmbedOptions = {
    truncation: values["no-truncate"] !== true,
    batchSize: positiveIntFlag(command, "batch-size", stringFlag(values, "batch-size"), 32),
    ...(values["normalize"] === true ? { normalize: true } : values["no-normalize"] === true ? { normalize: false } : {}),
  };
  let model: EncoderModel;
  if (headFlag !== undefined) {
    const modelFlag = stringFlag(values, "model");
    const head = await loadHead(resolve(ctx.cwd, headFlag), {
      ...(modelFlag === undefined ? {} : { model: resolve(ctx.cwd, modelFlag) }),
      ...engineOptions(command, values),
      allowNonFinite: values["allow-nonfinite"] === true,
      onWarning: (message: string) => void ctx.stderr.write(`warning: ${message}\n`),
      onNote: note,
    });
    model = head.model;
    options.head = head;
  } else {
    model = await loadModelFlag(values, ctx, command);
    if (poolingFlag !== undefined) options.pooling = await readPoolingFlag(poolingFlag, ctx);
    if (paramsFlag !== undefined) options.params = await readParamsFile(resolve(ctx.cwd, paramsFlag));
    const folderPooling = model.folder.pooling;
    if (poolingFlag !== undefined && folderPooling !== null) {
      note(`--pooling overrides the folder's own pooling, ${JSON.stringify(folderPooling)} (${model.folder.sources.pooling})`);
    }
    if (options.params === undefined && model.createPooler(options.pooling ?? folderPooling ?? "mean").parameters.size > 0) {
      ctx.stderr.write("warning: this pooling has trainable parameters and no --params was given: using its seeded initialisation (untrained)\n");
    }
  }
  describeFolder(model, options, note);
  const maxLength = stringFlag(values, "max-length");
  if (maxLength !== undefined) {
    const n = positiveIntFlag(command, "max-length", maxLength, 0);
    if (n < 3 || n > model.maxLength) throw new UsageError(`${command}: --max-length must be from 3 (<s>, one token, </s>) to ${model.maxLength} (the model's position table), got ${n}`);
    options.maxLength = n;
  }
  return { model, options };
}

/** One note saying which of the folder's own settings apply. */
function describeFolder(model: EncoderModel, options: EmbedOptions, note: (message: string) => void): void {
  const { folder } = model;
  const used: string[] = [];
  if (folder.pooling !== null && options.pooling === undefined && options.head === undefined) used.push(`pooling ${JSON.stringify(folder.pooling)} (${folder.sources.pooling})`);
  if (folder.normalize && options.normalize === undefined) used.push(`L2 normalisation (${folder.sources.normalize}; --no-normalize turns it off)`);
  if (folder.maxLength !== null && options.head === undefined) used.push(`token limit ${model.defaultMaxLength} (${folder.sources.maxLength})`);
  if (folder.lowercase) used.push(`lowercased texts (${folder.sources.lowercase})`);
  if (used.length > 0) note(`the model folder asks for ${used.join(", ")}`);
}
