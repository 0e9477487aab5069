// The committed corpus of malformed files, test/fixtures/hostile/<target>/<name>.<file>: each file
// replaces one file of the target's first seed (a broken model.safetensors beside a good config.json).
// expected.json pins what each must come to: "ok" or the code of the typed error that refuses it.
// test/fuzz/corpus.test.ts runs them all in npm test; `npm run fuzz -- --expect-corpus` rewrites the
// expectations after a reviewed change.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Case, repoRoot } from "./case.js";
import { runCase, type Outcome } from "./classify.js";
import { TARGETS, type Target } from "./targets.js";

export const CORPUS_DIR = join(repoRoot(), "test", "fixtures", "hostile");
const EXPECTED = join(CORPUS_DIR, "expected.json");

export interface CorpusEntry {
  /** "<target>/<file name>", the key in expected.json. */
  id: string;
  target: Target;
  case: Case;
}

/** The target's file that a corpus file named `name` replaces (the longest matching suffix). */
export function replacedFile(target: Target, name: string): string {
  const file = [...target.files.keys()].filter((f) => name.endsWith(`.${f}`)).sort((a, b) => b.length - a.length)[0];
  if (file === undefined) throw new Error(`corpus: ${target.name}/${name} does not end with one of ${[...target.files.keys()].join(", ")}`);
  return file;
}

/** The target's first seed with one file replaced. */
export function corpusCase(target: Target, file: string, bytes: Uint8Array): Case {
  const c: Case = new Map(target.seeds()[0]!);
  c.set(file, bytes);
  return c;
}

export function loadCorpus(): CorpusEntry[] {
  const entries: CorpusEntry[] = [];
  for (const target of TARGETS) {
    let names: string[] = [];
    try {
      names = readdirSync(join(CORPUS_DIR, target.name)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, target.name, name)));
      entries.push({ id: `${target.name}/${name}`, target, case: corpusCase(target, replacedFile(target, name), bytes) });
    }
  }
  return entries;
}

/** What expected.json says each corpus file must come to: "ok" or an error code. */
export function expectedOutcomes(): Record<string, string> {
  return JSON.parse(readFileSync(EXPECTED, "utf8")) as Record<string, string>;
}

/** What an outcome is called in expected.json: "ok", the typed error's code, or the bad kind. */
export function outcomeName(outcome: Outcome): string {
  if (outcome.kind === "typed") return outcome.key.slice(0, outcome.key.indexOf(":"));
  return outcome.kind;
}

/** Runs the whole corpus and writes expected.json from what happened (review the diff!). */
export async function writeExpectations(): Promise<void> {
  const expected: Record<string, string> = {};
  for (const entry of loadCorpus()) expected[entry.id] = outcomeName(await runCase(entry.target, entry.case));
  writeFileSync(EXPECTED, `${JSON.stringify(expected, null, 1)}\n`);
  console.log(`wrote ${Object.keys(expected).length} expectations to ${EXPECTED}`);
}
