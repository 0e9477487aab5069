// `encoder-pooling tokenize` run in-process through main(): JSON lines of ids, tokens and offsets that
// agree with the library and with the Python reference ids of the pipeline fixture.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/io/load-model.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { runMain, type Run } from "./training-helpers.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "pipeline");
const TINY = join(FIXTURES, "tiny");
const golden = (JSON.parse(readFileSync(join(FIXTURES, "expected.json"), "utf8")) as { rows: { name: string; text: string; ids: number[] }[] }).rows;

interface Line {
  input_ids: number[];
  tokens: string[];
  offsets: [number, number][];
}

const work = mkdtempSync(join(tmpdir(), "tokenize-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let model: EncoderModel;
beforeAll(async () => {
  model = await loadModel(TINY);
});

/** `encoder-pooling tokenize --model <tiny> ...argv` in the work folder. */
const tokenize = (argv: string[], stdin = ""): Promise<Run> => runMain(["tokenize", "--model", TINY, ...argv], work, stdin);

function parseLines(text: string): Line[] {
  return text.trimEnd().split("\n").map((l) => JSON.parse(l) as Line);
}

describe("tokenize", () => {
  const ascii = ["The keeper wrote the names of the boats in her notebook.", "a storm broke the lamp", "Hello world"];

  it("prints one JSON line per text: input_ids, tokens, offsets; text.slice(start, end) is the token's text", async () => {
    const run = await tokenize(ascii.flatMap((t) => ["--text", t]));
    expect(run.code, run.stderr).toBe(0);
    const lines = parseLines(run.stdout);
    expect(lines).toHaveLength(ascii.length);
    lines.forEach((line, i) => {
      const text = ascii[i]!;
      expect(line.input_ids).toEqual(model.tokenize([text])[0]!.inputIds);
      expect(line.tokens.map((t) => model.tokenizer.tokenToId(t))).toEqual(line.input_ids);
      expect(line.offsets).toHaveLength(line.input_ids.length);
      expect([line.tokens[0], line.offsets[0], line.tokens.at(-1), line.offsets.at(-1)]).toEqual(["<s>", [0, 0], "</s>", [0, 0]]);
      // plain ASCII words: the byte symbol Ġ stands for the space that trimmed offsets leave out
      for (let k = 1; k < line.tokens.length - 1; k++) {
        const [start, end] = line.offsets[k]!;
        expect(text.slice(start, end), `${text} token ${k}`).toBe(line.tokens[k]!.replace(/^Ġ/, ""));
      }
    });
  });

  it("gives the ids of the independent Python reference for every fixture text (file input, in order)", async () => {
    writeFileSync(join(work, "golden.jsonl"), golden.map((r) => JSON.stringify({ t: r.text })).join("\n") + "\n");
    const run = await tokenize(["--input", "golden.jsonl", "--text-field", "t"]);
    expect(run.code, run.stderr).toBe(0);
    expect(parseLines(run.stdout).map((l) => l.input_ids)).toEqual(golden.map((r) => r.ids));
    expect(run.stderr).toMatch(/warning: golden\.jsonl:\d+: truncated to 38 tokens/);
  });

  it("--max-length cuts to <s>, the first tokens and </s>, with a warning naming the text", async () => {
    const full = model.tokenize([ascii[0]!])[0]!;
    const run = await tokenize(["--text", "Hi", "--text", ascii[0]!, "--max-length", "6"]);
    expect(run.code, run.stderr).toBe(0);
    const [short, cut] = parseLines(run.stdout);
    expect(short!.input_ids).toEqual(model.tokenize(["Hi"])[0]!.inputIds);
    expect(cut!.input_ids).toEqual([...full.inputIds.slice(0, 5), model.tokenizer.eosTokenId]);
    expect(cut!.tokens).toEqual([...full.tokens.slice(0, 5), "</s>"]);
    expect(run.stderr).toContain("warning: --text:2: truncated to 6 tokens");
    expect(run.stderr).not.toContain("--text:1");
  });

  it("--no-truncate refuses an over-long line, naming it", async () => {
    const run = await tokenize(["--input", "-", "--no-truncate", "--max-length", "4"], "a\nthe keeper wrote\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("<stdin>:2: longer than 4 tokens");
    expect(run.stdout).toBe("");
  });

  it("--output writes the same lines to a file, refusing to overwrite without --force", async () => {
    const printed = (await tokenize(ascii.flatMap((t) => ["--text", t]))).stdout;
    const run = await tokenize([...ascii.flatMap((t) => ["--text", t]), "--output", "tokens.jsonl"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(readFileSync(join(work, "tokens.jsonl"), "utf8")).toBe(printed);
    const again = await tokenize(["--text", "Hi", "--output", "tokens.jsonl"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
    expect(readFileSync(join(work, "tokens.jsonl"), "utf8")).toBe(printed);
    const forced = await tokenize(["--text", "Hi", "--output", "tokens.jsonl", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(parseLines(readFileSync(join(work, "tokens.jsonl"), "utf8"))).toHaveLength(1);
    expect(readdirSync(work).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
