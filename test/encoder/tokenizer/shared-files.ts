// Locates the real roberta-base tokenizer files, which live outside the repository (never copied in):
// <project root>/../shared/roberta-base-tokenizer. Tests that need them skip with a visible message.
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const sharedDir = resolve(projectRoot, "../shared/roberta-base-tokenizer");
export const sharedExists = existsSync(resolve(sharedDir, "vocab.json"));

if (!sharedExists) console.warn(`roberta-base tokenizer files not found at ${sharedDir}: tests that need them are skipped`);

/**
 * A describe block that needs the shared files. Without them its body is not even collected (it reads
 * the files), and one visibly skipped test says why.
 */
export function describeWithShared(name: string, body: () => void): void {
  if (sharedExists) describe(name, body);
  else describe(name, () => it.skip(`skipped: ${sharedDir} not found`, () => {}));
}

export function readShared(name: string): string {
  return readFileSync(resolve(sharedDir, name), "utf8");
}

export function readFixture(name: string): string {
  return readFileSync(resolve(projectRoot, "test/fixtures/tokenizer", name), "utf8");
}
