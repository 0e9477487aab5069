// `encoder-pooling similar`: the k texts nearest to a query, by cosine similarity, over a file of vectors
// written by `embed` (streamed row by row) or a file of texts (embedded chunk by chunk with the same
// settings as the query). Memory stays O(k) in the number of rows.
import { resolve } from "node:path";
import { cosineSimilarity, InputError, readVectors, TopK, UsageError, type EmbedOptions, type EncoderModel, type TextRecord } from "../node.js";
import { parseFlags, positiveIntFlag, requireFlag, stringFlag, type FlagValues } from "./args.js";
import type { Command } from "./command.js";
import type { CliContext } from "./context.js";
import { embedSetupFlags, embedSetupUsage, readEmbedSetup } from "./embed-setup.js";
import { readInputTexts, warnAt } from "./inputs.js";

const usage = `Usage: encoder-pooling similar --query "…" (--vectors FILE | --input FILE) [--top K] [--head DIR | --pooling P] [--json]

Embeds the query and prints the K rows nearest to it by cosine similarity, best first: from a file
of vectors written by \`embed\` (give the same --model and --pooling or --head it was made with), or
from a file of texts, embedded here with the query's settings.

  --query "…"          the text to search for
  --vectors FILE       vectors from \`embed --output\`: .jsonl (with its texts), .npy or .safetensors
  --input FILE         or texts: .txt (one per line), .jsonl, .csv, or - for standard input
  --text-field NAME    JSONL field or CSV column of the texts of --input (default "text")
  --top K              how many rows to print (default 5)
${embedSetupUsage}
  --json               one JSON line per row, {"rank", "score", "line", "text"}, instead of a table
`;

interface Hit {
  line: number;
  text: string | undefined;
}

/** Texts per model.embed call when searching a file of texts. */
const CHUNK = 256;

/** Scores every row of a vectors file against the query. */
async function searchVectors(path: string, query: Float32Array, top: TopK<Hit>): Promise<number> {
  let rows = 0;
  for await (const row of readVectors(path)) {
    if (row.vector.length !== query.length) {
      throw new InputError(`${path}:${row.line}: a vector of ${row.vector.length} values, the query's has ${query.length}: embed the query with the --model and --pooling (or --head) the file was made with`);
    }
    top.push(row.index, cosineSimilarity(query, row.vector), { line: row.line, text: row.text });
    rows++;
  }
  return rows;
}

/** Embeds the texts a chunk at a time and scores each against the query; blank texts are skipped. */
async function searchTexts(model: EncoderModel, options: EmbedOptions, all: TextRecord[], source: string, query: Float32Array, top: TopK<Hit>, ctx: CliContext): Promise<number> {
  const records = all.filter((r) => r.text.trim() !== "");
  for (let start = 0; start < records.length; start += CHUNK) {
    const chunk = records.slice(start, start + CHUNK);
    const { vectors } = await model.embed(chunk.map((r) => r.text), {
      ...options,
      describeText: (i) => `${source}:${chunk[i]?.line ?? start + i + 1}`,
      onWarning: (message, i) => warnAt(ctx, source, chunk, i, message),
    });
    vectors.forEach((v, i) => top.push(start + i, cosineSimilarity(query, v), { line: chunk[i]!.line, text: chunk[i]!.text }));
  }
  return records.length;
}

function printHits(ctx: CliContext, values: FlagValues, hits: ReturnType<TopK<Hit>["sorted"]>): void {
  if (values["json"] === true) {
    hits.forEach((h, i) => ctx.stdout.write(`${JSON.stringify({ rank: i + 1, score: h.score, line: h.item.line, ...(h.item.text === undefined ? {} : { text: h.item.text }) })}\n`));
    return;
  }
  const width = String(hits.at(-1)?.item.line ?? 1).length;
  for (const [i, h] of hits.entries()) {
    const oneLine = (h.item.text ?? "").replace(/\s+/g, " ");
    const text = oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine;
    ctx.stdout.write(`${String(i + 1).padStart(2)}  ${h.score.toFixed(4)}  line ${String(h.item.line).padStart(width)}  ${text}\n`.replace(/ +\n$/, "\n"));
  }
}

export const similarCommand: Command = {
  name: "similar",
  summary: "the texts nearest to a query (cosine similarity) in a file of vectors or texts",
  usage,
  async run(argv, ctx) {
    const values = parseFlags("similar", argv, {
      ...embedSetupFlags,
      query: { type: "string" },
      vectors: { type: "string" },
      input: { type: "string" },
      "text-field": { type: "string" },
      top: { type: "string" },
      json: { type: "boolean" },
    });
    const query = requireFlag("similar", "query", stringFlag(values, "query"));
    const vectors = stringFlag(values, "vectors");
    const input = stringFlag(values, "input");
    if ((vectors === undefined) === (input === undefined)) throw new UsageError("similar: give --vectors FILE (from embed) or --input FILE (texts), one of them");
    const top = new TopK<Hit>(positiveIntFlag("similar", "top", stringFlag(values, "top"), 5));
    const texts = input === undefined ? null : await readInputTexts("similar", values, ctx);
    const { model, options } = await readEmbedSetup("similar", values, ctx);
    const [queryVector] = (await model.embed([query], options)).vectors;
    const rows = vectors !== undefined
      ? await searchVectors(resolve(ctx.cwd, vectors), queryVector!, top)
      : await searchTexts(model, options, texts!.records, texts!.source, queryVector!, top, ctx);
    const hits = top.sorted();
    printHits(ctx, values, hits);
    ctx.stderr.write(`similar: the ${hits.length} nearest of ${rows} ${vectors === undefined ? "texts" : "vectors"} to ${JSON.stringify(query)}\n`);
  },
};
