// Every rough edge that issue 13 found by using the command line as a new user would, each with what
// happens now. Commands run in-process through main() (exit status and both streams captured).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main as makeSplits } from "../../datasets/make-splits.js";
import { DEFAULT_TRAINING } from "../../src/train/defaults.js";
import { parseSafetensors } from "../../src/encoder/safetensors.js";
import { freshDir, runMain, TINY, type Run } from "./training-helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const ST_FOLDER = join(import.meta.dirname, "..", "fixtures", "sentence-transformers", "tiny-st");

/** `encoder-pooling ...argv` in a fresh folder unless `cwd` is given. */
const cli = (argv: string[], cwd = freshDir(), stdin = ""): Promise<Run> => runMain(argv, cwd, stdin);

/** Runs make-splits' main with process.stdout/stderr captured. */
function splits(args: string[]): Run {
  let stdout = "";
  let stderr = "";
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { code: makeSplits(args), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe("issue 13's rough edges, each with what happens now", () => {
  it("`node dist/datasets/make-splits.js --help` prints its usage (no stack trace); a wrong corpus exits 2 with the list", () => {
    const help = splits(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: node dist\/datasets\/make-splits.js \[CORPUS\]/);
    expect(help.stdout).toContain("brown-2");
    const wrong = splits(["spam"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^make-splits: unknown corpus "spam"; choose one of spam-assassin, brown, brown-2, sotu, brown-news-fiction or all/);
    expect(wrong.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("`help embed` prints embed's usage, as `embed --help` does", async () => {
    const help = await cli(["help", "embed"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: encoder-pooling embed /);
    expect(help.stdout).toBe((await cli(["embed", "--help"])).stdout);
    expect((await cli(["help", "embd"])).stderr).toMatch(/unknown command "embd" \(did you mean "embed"\?\)/);
  });

  it("`--version` prints the package's version", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const flag of ["--version", "-V"]) expect(await cli([flag])).toEqual({ code: 0, stdout: `encoder-pooling ${version}\n`, stderr: "" });
  });

  it('"did you mean" for a flag, a command and a pooling name', async () => {
    const flag = await cli(["embed", "--text", "a", "--max-lenght", "9", "--output", "o.jsonl"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^encoder-pooling embed: unknown flag --max-lenght \(did you mean --max-length\?\)/);
    const command = await cli(["tokenise", "--text", "a"]);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "tokenise" \(did you mean "tokenize"\?\)/);
    const pooling = await cli(["embed", "--model", TINY, "--text", "a", "--pooling", "atention", "--output", "o.jsonl"]);
    expect(pooling.code).toBe(1);
    expect(pooling.stderr).toMatch(/unknown pooling type "atention" \(did you mean "attention"\?\)/);
    const compared = await cli(["compare", "--data", "x.jsonl", "--task", "classification", "--poolings", "mean,lsmt", "--output-dir", "r"]);
    expect(compared.stderr).toMatch(/unknown pooling "lsmt" \(did you mean "lstm"\?\)/);
  });

  it("errors name the flag (--max-length), not the API field (maxLength)", async () => {
    for (const command of ["embed", "tokenize"]) {
      const r = await cli([command, "--model", TINY, "--text", "a", "--max-length", "600", "--output", "o.jsonl"]);
      expect(r.code, command).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^encoder-pooling ${command}: --max-length must be from \\d \\(.*\\) to 38 \\(the model's position table\\), got 600`));
      expect(r.stderr).not.toContain("maxLength");
    }
  });

  it('every error has one prefix style, "encoder-pooling <command>: " (the "already exists" one too)', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "o.jsonl"), "old");
    const exists = await cli(["embed", "--model", TINY, "--text", "a", "--output", "o.jsonl"], dir);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toBe(`encoder-pooling embed: ${join(dir, "o.jsonl")} already exists; pass --force to overwrite it\n`);
    const missing = await cli(["embed", "--model", TINY, "--input", "nope.txt", "--output", "p.jsonl"], dir);
    expect(missing.stderr).toMatch(/^encoder-pooling embed: input: file not found: /);
  });

  it("the README's first command runs twice in a row", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const first = /```sh\n([^\n]*)\n/.exec(readme)![1]!;
    const command = first.slice(first.indexOf("npx encoder-pooling ") + "npx encoder-pooling ".length);
    // the command as a shell would split it: words and "quoted strings"
    const argv = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    const dir = freshDir();
    for (const time of ["first", "second"]) {
      const r = await cli(argv, dir);
      expect(r.code, `${time} run: ${r.stderr}`).toBe(0);
    }
  });

  it("`forward` alone uses the shipped model, takes --text / --input, and writes what `pool` reads as it is", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "texts.txt"), "a cat sat\nthe dog ran away\n");
    const fromText = await cli(["forward", "--text", "a cat sat", "--text", "the dog ran away", "--output", "h.safetensors"], dir);
    expect(fromText.code, fromText.stderr).toBe(0);
    const fromFile = await cli(["forward", "--input", "texts.txt", "--output", "h2.safetensors"], dir);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const read = (name: string) => parseSafetensors(new Uint8Array(readFileSync(join(dir, name))), name).tensors;
    const h = read("h.safetensors");
    expect([...h.keys()]).toEqual(expect.arrayContaining(["input_ids", "attention_mask", "last_hidden_state", "hidden_states.0", "hidden_states.6"]));
    expect(h.get("attention_mask")!.shape).toEqual(h.get("input_ids")!.shape);
    expect(Array.from(read("h2.safetensors").get("last_hidden_state")!.data as Float32Array)).toEqual(Array.from(h.get("last_hidden_state")!.data as Float32Array));
    const pooled = await cli(["pool", "--spec", "mean", "--inputs", "h.safetensors", "--output", "p.safetensors"], dir);
    expect(pooled.code, pooled.stderr).toBe(0);
    expect(read("p.safetensors").get("pooled")!.shape).toEqual([2, 64]);
  });

  it("`tokenize` works on a folder with tokenizer files but no config.json", async () => {
    const dir = freshDir();
    for (const f of ["vocab.json", "merges.txt"]) copyFileSync(join(TINY, f), join(dir, f));
    const r = await cli(["tokenize", "--model", dir, "--text", "the keeper wrote"]);
    expect(r.code, r.stderr).toBe(0);
    const withModel = await cli(["tokenize", "--model", TINY, "--text", "the keeper wrote"]);
    expect(r.stdout).toBe(withModel.stdout);
    expect(JSON.parse(r.stdout).tokens[0]).toBe("<s>");
  });

  it("a repeated flag is an error instead of silently keeping the last", async () => {
    const r = await cli(["embed", "--model", TINY, "--text", "a", "--pooling", "cls", "--pooling", "mean", "--output", "o.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("encoder-pooling embed: --pooling is given 2 times; give it once\n");
    // flags that are lists repeat
    expect((await cli(["embed", "--model", TINY, "--text", "a", "--text", "b", "--output", "o.jsonl"])).code).toBe(0);
  });

  it("binary input given as .txt is refused at once with a clear message, and nothing is written", async () => {
    const dir = freshDir();
    copyFileSync(join(TINY, "model.safetensors"), join(dir, "mails.txt"));
    const r = await cli(["embed", "--model", TINY, "--input", "mails.txt", "--output", "o.jsonl"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^encoder-pooling embed: \S*mails\.txt: not text: a NUL byte at offset \d+ \(a binary file\?\); give a UTF-8 text file/);
    expect(existsSync(join(dir, "o.jsonl"))).toBe(false);
    writeFileSync(join(dir, "utf16.txt"), Buffer.from("\ufeffhello\n", "utf16le"));
    expect((await cli(["embed", "--model", TINY, "--input", "utf16.txt", "--output", "o.jsonl"], dir)).stderr).toMatch(/UTF-16 byte-order mark/);
    writeFileSync(join(dir, "latin1.txt"), Buffer.from("caf\xe9 cr\xe8me\nthe sea\n", "latin1"));
    const latin1 = await cli(["embed", "--model", TINY, "--input", "latin1.txt", "--output", "o.jsonl"], dir);
    expect(latin1.code, "a few damaged characters are text with a warning").toBe(0);
    expect(latin1.stderr).toMatch(/latin1\.txt:1: invalid UTF-8 replaced/);
  });

  it("train and compare share one set of defaults (the README table lists them with the reasons)", async () => {
    const train = (await cli(["help", "train"])).stdout;
    const compare = (await cli(["help", "compare"])).stdout;
    for (const flag of ["--epochs", "--lr", "--batch-size", "--weight-decay", "--patience", "--max-length"]) {
      const line = (usage: string) => usage.split("\n").find((l) => l.trimStart().startsWith(flag))!.replace(/\s+/g, " ").replace(/token limit per text.*\(/, "(");
      expect(line(train), flag).toBe(line(compare));
    }
    expect(train).toContain(`(default ${DEFAULT_TRAINING.maxLength};`);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Defaults"));
    for (const row of ["max length", "learning rate", "epochs", "batch size"]) expect(table).toMatch(new RegExp(`\\| ${row} \\|`));
  });

  it("a sentence-transformers folder's pooling is the default; --pooling overrides it with a note", async () => {
    const own = await cli(["embed", "--model", ST_FOLDER, "--text", "the sea", "--output", "o.jsonl"]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stderr).toContain(`note: the model folder asks for pooling {"type":"combine","parts":["cls","max"]} (1_Pooling/config.json), L2 normalisation (2_Normalize; --no-normalize turns it off), token limit 12 (sentence_bert_config.json max_seq_length), lowercased texts (sentence_bert_config.json do_lower_case)`);
    expect(own.stderr).toContain("wrote 1 × 32");
    const override = await cli(["embed", "--model", ST_FOLDER, "--text", "the sea", "--pooling", "mean", "--output", "o.jsonl"]);
    expect(override.stderr).toContain(`note: --pooling overrides the folder's own pooling, {"type":"combine","parts":["cls","max"]} (1_Pooling/config.json)`);
    expect(override.stderr).toContain("wrote 1 × 16");
  });

  it("embed --token-embeddings writes every token's vector (.jsonl / .safetensors) and refuses .npy", async () => {
    const dir = freshDir();
    const r = await cli(["embed", "--model", TINY, "--text", "the sea", "--text", "a boat and the ferry", "--token-embeddings", "--output", "t.safetensors"], dir);
    expect(r.code, r.stderr).toBe(0);
    const t = parseSafetensors(new Uint8Array(readFileSync(join(dir, "t.safetensors"))), "t").tensors;
    const lengths = Array.from(t.get("lengths")!.data as Int32Array);
    expect(t.get("token_embeddings")!.shape).toEqual([lengths[0]! + lengths[1]!, 16]);
    const j = await cli(["embed", "--model", TINY, "--text", "the sea", "--token-embeddings", "--output", "t.jsonl"], dir);
    expect(j.code, j.stderr).toBe(0);
    const line = JSON.parse(readFileSync(join(dir, "t.jsonl"), "utf8")) as { tokens: string[]; token_embeddings: number[][] };
    expect(line.tokens[0]).toBe("<s>");
    expect(line.token_embeddings).toHaveLength(line.tokens.length);
    expect((await cli(["embed", "--model", TINY, "--text", "a", "--token-embeddings", "--output", "t.npy"], dir)).stderr).toMatch(/needs a \.jsonl or \.safetensors --output/);
  });
});

describe("the README's usage flow: train → embed --head → similar", () => {
  it("runs as written, on the shipped model and a small sea/land task", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const flow = readme.slice(readme.indexOf("One flow, from labelled mails"));
    const block = /```sh\n([\s\S]*?)```/.exec(flow)![1]!.trim().split("\n");
    expect(block.map((line) => line.split(" ")[2])).toEqual(["train", "embed", "similar"]);
    const dir = freshDir();
    const { seaLandExamples, writeJsonl } = await import("./training-helpers.js");
    writeJsonl(join(dir, "train.jsonl"), seaLandExamples(32, 1));
    writeJsonl(join(dir, "valid.jsonl"), seaLandExamples(12, 2));
    writeJsonl(join(dir, "mails.jsonl"), seaLandExamples(10, 3).map(({ text }) => ({ text })));
    let last: Run | undefined;
    for (const line of block) {
      const argv = [...line.slice("npx encoder-pooling ".length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
      last = await cli(argv, dir);
      expect(last.code, `${line}\n${last.stderr}`).toBe(0);
    }
    expect(last!.stdout.trimEnd().split("\n")).toHaveLength(5);
    // rank, cosine, line, text: the texts of mails.jsonl start with "the" or "a"
    expect(last!.stdout).toMatch(/^ 1  [-\d.]+  line +\d+  (the|a) /);
  });
});

describe("similar", () => {
  const TEXTS = ["the sea was rough", "the keeper wrote in her notebook", "a boat and the ferry", "the children of the village"];

  it("finds the nearest rows of a vectors file (.jsonl, .npy, .safetensors: the same answer), streaming", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "texts.txt"), TEXTS.join("\n") + "\n");
    const answers: string[] = [];
    for (const ext of ["jsonl", "npy", "safetensors"]) {
      expect((await cli(["embed", "--model", TINY, "--input", "texts.txt", "--output", `v.${ext}`], dir)).code).toBe(0);
      const r = await cli(["similar", "--model", TINY, "--query", "a ferry and a boat", "--vectors", `v.${ext}`, "--top", "2", "--json"], dir);
      expect(r.code, r.stderr).toBe(0);
      const hits = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { rank: number; score: number; line: number; text?: string });
      expect(hits.map((h) => h.rank)).toEqual([1, 2]);
      expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
      if (ext === "jsonl") expect(hits[0]!.text).toBe(TEXTS[hits[0]!.line - 1]);
      answers.push(JSON.stringify(hits.map((h) => [h.line, h.score.toFixed(5)])));
      expect(r.stderr).toContain(`the 2 nearest of ${TEXTS.length} vectors`);
    }
    expect(new Set(answers).size).toBe(1);
  });

  it("over a file of texts gives the same ranking as over their vectors, and the query itself ranks first", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "texts.txt"), TEXTS.join("\n") + "\n");
    await cli(["embed", "--model", TINY, "--input", "texts.txt", "--output", "v.jsonl"], dir);
    const fromVectors = await cli(["similar", "--model", TINY, "--query", TEXTS[1]!, "--vectors", "v.jsonl"], dir);
    const fromTexts = await cli(["similar", "--model", TINY, "--query", TEXTS[1]!, "--input", "texts.txt"], dir);
    expect(fromTexts.stdout).toBe(fromVectors.stdout);
    expect(fromTexts.stdout.split("\n")[0]).toMatch(/^ 1  1\.0000  line 2  the keeper wrote in her notebook$/);
  });

  it("refuses vectors of another size, naming the file and line and what to do", async () => {
    const dir = freshDir();
    await cli(["embed", "--model", TINY, "--text", "a", "--pooling", "mean-max", "--output", "v.jsonl"], dir);
    const r = await cli(["similar", "--model", TINY, "--query", "a", "--vectors", "v.jsonl"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/v\.jsonl:1: a vector of 32 values, the query's has 16: embed the query with the --model and --pooling \(or --head\) the file was made with/);
    expect((await cli(["similar", "--query", "a"], dir)).stderr).toMatch(/give --vectors FILE \(from embed\) or --input FILE \(texts\)/);
  });
});
