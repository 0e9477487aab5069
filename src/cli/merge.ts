// `encoder-pooling merge`: the outputs of `embed --shard i/n`, in shard order, into the one file a
// single run would have written.
import { resolve } from "node:path";
import { mergeEmbeddings, UsageError } from "../node.js";
import { outputFlags, parseFlags, requirePathFlag } from "./args.js";
import type { Command } from "./command.js";

const usage = `Usage: encoder-pooling merge --input SHARD0 --input SHARD1 … --output FILE [--force]

Puts shard outputs (embed --shard 0/n, 1/n, …) together in the order given: the result is the file one
run over the whole input writes. All inputs must have the output's format and the same model, pooling
and settings (their provenance is compared). For .jsonl, plain concatenation does the same
(cat part*.jsonl > all.jsonl), unless the shards carry a --header line.

  --input FILE    a shard output (.jsonl, .npy or .safetensors); repeat, in shard order
  --output FILE   the merged file (a .npy gets FILE.json beside it, as embed writes)
  --force         overwrite an existing output
`;

export const mergeCommand: Command = {
  name: "merge",
  summary: "merge the outputs of embed --shard i/n into one file",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("merge", argv, { input: { type: "string", multiple: true }, ...outputFlags });
    const inputs = values["input"];
    if (!Array.isArray(inputs) || inputs.length === 0) throw new UsageError("merge: give the shard outputs with --input (repeat it, in shard order)");
    const output = requirePathFlag("merge", values, "output", ctx.cwd);
    const rows = await mergeEmbeddings(inputs.map((f) => resolve(ctx.cwd, String(f))), output, { force: values["force"] === true });
    ctx.stderr.write(`merge: wrote ${rows} rows from ${inputs.length} shard${inputs.length === 1 ? "" : "s"} to ${output}\n`);
  },
};
