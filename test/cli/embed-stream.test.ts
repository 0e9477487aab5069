// `encoder-pooling embed` as a streaming filter, run in-process through main(): standard output in every
// format, ids carried to the rows, warnings summarised, progress lines off a terminal and a bar on one,
// a failed run resumed to the bytes of a clean run, shards merged (and `merge`), refusals that name the flag.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import type { CliContext } from "../../src/cli/context.js";
import { main } from "../../src/cli/main.js";

const TINY = join(import.meta.dirname, "..", "fixtures", "pipeline", "tiny");
const LONG = "One winter a storm broke the lamp of the lighthouse. The keeper climbed the stairs with a candle and a mirror.";
const root = mkdtempSync(join(tmpdir(), "embed-stream-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(root, `t${++dirs}`);
  mkdirSync(dir);
  return dir;
};

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

async function run(cwd: string, argv: string[], options: { stdin?: string; interactive?: boolean } = {}): Promise<Run> {
  const out: Buffer[] = [];
  let stderr = "";
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? "");
  const ctx: CliContext = {
    stdout: new PassThrough().on("data", (c: Buffer) => out.push(c)),
    stderr: new PassThrough().on("data", (c: Buffer) => (stderr += c.toString())),
    stdin,
    interactive: options.interactive ?? false,
    cwd,
  };
  const [command, ...rest] = argv;
  const code = await main(command === "merge" ? argv : [command!, "--model", TINY, ...rest], ctx);
  return { code, stdout: Buffer.concat(out), stderr };
}

const lines = (n: number, make: (i: number) => string): string => Array.from({ length: n }, (_, i) => make(i)).join("\n") + "\n";
const corpus = (n: number): string => lines(n, (i) => JSON.stringify({ doc: `d${i}`, body: `${"the keeper wrote ".repeat(i % 7)}line ${i}` }));

describe("embed: pipes", () => {
  it("--output - writes the JSONL rows to standard output, the bytes of --output FILE", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), lines(40, (i) => `text number ${i} ${"boat ".repeat(i % 5)}`));
    const toFile = await run(dir, ["embed", "--input", "in.txt", "--output", "out.jsonl"]);
    const toStdout = await run(dir, ["embed", "--input", "-", "--output", "-"], { stdin: readFileSync(join(dir, "in.txt"), "utf8") });
    expect([toFile.code, toStdout.code], toStdout.stderr).toEqual([0, 0]);
    expect(toStdout.stdout).toEqual(readFileSync(join(dir, "out.jsonl")));
    expect(toStdout.stderr).toMatch(/^embed: wrote 40 × 16 to standard output in \d+s\n$/);
  });

  it("--format npy|safetensors to standard output gives the file's bytes; --format must agree with the file name", async () => {
    const dir = freshDir();
    for (const format of ["npy", "safetensors"]) {
      const file = await run(dir, ["embed", "--text", "a boat", "--text", "the sea", "--output", `out.${format}`]);
      const piped = await run(dir, ["embed", "--text", "a boat", "--text", "the sea", "--output", "-", "--format", format]);
      expect([file.code, piped.code]).toEqual([0, 0]);
      expect(piped.stdout).toEqual(readFileSync(join(dir, `out.${format}`)));
    }
    const contradiction = await run(dir, ["embed", "--text", "a", "--output", "x.npy", "--format", "jsonl"]);
    expect([contradiction.code, contradiction.stderr]).toEqual([2, "encoder-pooling embed: --format jsonl contradicts the output name x.npy\n"]);
    const unknown = await run(dir, ["embed", "--text", "a", "--output", "-", "--format", "csv"]);
    expect(unknown.stderr).toContain("--format must be one of safetensors, jsonl, npy");
  });

  it("reads JSONL or CSV from standard input with --input-format", async () => {
    const dir = freshDir();
    const jsonl = await run(dir, ["embed", "--input", "-", "--input-format", "jsonl", "--text-field", "body", "--id-field", "doc", "--no-text", "--output", "-"], { stdin: corpus(3) });
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(jsonl.stdout.toString().split("\n").slice(0, 3).map((l) => Object.keys(JSON.parse(l) as object))).toEqual([["doc", "embedding"], ["doc", "embedding"], ["doc", "embedding"]]);
    const bad = await run(dir, ["embed", "--input", "-", "--input-format", "xml", "--output", "-"]);
    expect(bad.stderr).toContain("--input-format must be one of txt, jsonl, csv");
  });
});

describe("embed: join keys and provenance", () => {
  it("--id-field copies the id of each JSONL record or CSV row into its output row; --no-text drops the text", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.jsonl"), corpus(5));
    writeFileSync(join(dir, "in.csv"), "body,doc\n" + Array.from({ length: 5 }, (_, i) => `"line ${i}, again",d${i}`).join("\n") + "\n");
    for (const input of ["in.jsonl", "in.csv"]) {
      const r = await run(dir, ["embed", "--input", input, "--text-field", "body", "--id-field", "doc", "--no-text", "--output", "-"]);
      expect(r.code, r.stderr).toBe(0);
      const rows = r.stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { doc: string; text?: string });
      expect(rows.map((row) => row.doc), input).toEqual(["d0", "d1", "d2", "d3", "d4"]);
      expect(rows.every((row) => row.text === undefined)).toBe(true);
    }
  });

  it("--header starts JSONL with the provenance; the flags for JSONL rows are refused for .npy, naming the flag", async () => {
    const dir = freshDir();
    const r = await run(dir, ["embed", "--text", "a", "--pooling", "max", "--normalize", "--max-length", "20", "--header", "--output", "-"]);
    const header = JSON.parse(r.stdout.toString().split("\n")[0]!) as unknown;
    expect(header).toEqual({ provenance: { model: TINY, pooling: { type: "max" }, normalize: true, max_length: 20, dim: 16 } });
    for (const flag of [["--id-field", "doc"], ["--no-text"], ["--header"]]) {
      const refused = await run(dir, ["embed", "--text", "a", ...flag, "--output", "x.npy"]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`embed: ${flag[0]} is for JSONL output; .npy rows are bare vectors`);
    }
    const clash = await run(dir, ["embed", "--input", "x.jsonl", "--id-field", "embedding", "--output", "-"]);
    expect(clash.stderr).toContain('--id-field "embedding" would clash');
  });
});

describe("embed: messages", () => {
  const longLines = lines(10, (i) => `${i} ${LONG}`);

  it("summarises warnings of one kind: the first 3, then a count with where the first ones were", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), "short\n" + longLines);
    const r = await run(dir, ["embed", "--input", "in.txt", "--output", "out.npy"]);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    expect(warnings).toEqual([
      "warning: in.txt:2: truncated to 38 tokens",
      "warning: in.txt:3: truncated to 38 tokens",
      "warning: in.txt:4: truncated to 38 tokens",
      'warning: more "truncated to 38 tokens" warnings follow; counting them (--verbose shows each)',
      "warning: truncated to 38 tokens: 10 in all, the first at in.txt:2, in.txt:3, in.txt:4",
    ]);
  });

  it("--verbose prints every warning; --quiet prints nothing at all", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), longLines + "\n");
    const verbose = await run(dir, ["embed", "--input", "in.txt", "--output", "v.npy", "--verbose"]);
    // the reader's warning comes first: the window is read before it is tokenized
    expect(verbose.stderr.split("\n").filter((l) => l.startsWith("warning:"))).toEqual([
      "warning: in.txt:11: blank line kept as an empty text",
      ...Array.from({ length: 10 }, (_, i) => `warning: in.txt:${i + 1}: truncated to 38 tokens`),
    ]);
    const quiet = await run(dir, ["embed", "--input", "in.txt", "--output", "q.npy", "--quiet", "--progress-every", "0"]);
    expect([quiet.code, quiet.stderr]).toEqual([0, ""]);
  });

  it("off a terminal, prints a progress line every --progress-every seconds: texts, tokens, rates, share done and ETA", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), lines(60, (i) => `line ${i} of the log`));
    const r = await run(dir, ["embed", "--input", "in.txt", "--output", "out.npy", "--window", "8", "--batch-size", "4", "--progress-every", "0"]);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.stderr.split("\n").filter((l) => l.startsWith("embed: ") && !l.startsWith("embed: wrote"));
    expect(progress.length).toBeGreaterThan(3);
    for (const line of progress) expect(line).toMatch(/^embed: [\d,]+ texts \([\d,]+ tokens\) in \d+s, [\d.]+k? texts\/s, [\d.]+k? tokens\/s(; \d+% done, ETA (\d+s|\d+m\d\ds|--))?$/);
    expect(progress.at(-1)).toMatch(/^embed: 60 texts \(\d+ tokens\) .*; 100% done, ETA 0s$/);
    expect(r.stderr).not.toContain("\r");
    const piped = await run(dir, ["embed", "--input", "-", "--output", "-", "--progress-every", "0"], { stdin: lines(5, (i) => `t${i}`) });
    expect(piped.stderr).toMatch(/^embed: 5 texts \(\d+ tokens\) in \d+s, [^;]*$/m); // no size: no share, no ETA
  });

  it("on a terminal, draws one bar in place: phase, texts, texts/s and tokens/s, elapsed, ETA", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), lines(40, (i) => `line ${i}`));
    const r = await run(dir, ["embed", "--input", "in.txt", "--output", "out.npy"], { interactive: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\rembed [█░]+ +\d+% (reading|tokenizing|embedding) · [\d,]+ texts · [\d.]+k? texts\/s, [\d.]+k? tokens\/s · \d+s · ETA /);
    expect(r.stderr).toMatch(/\r\x1b\[Kembed: wrote 40 × 16/);
  });
});

describe("embed: keeping what is done", () => {
  it("a run that fails on line 30 keeps its rows; after the fix, --resume writes the bytes of a clean run", async () => {
    const dir = freshDir();
    const good = corpus(40);
    const broken = good.split("\n").map((l, i) => (i === 29 ? "{not json" : l)).join("\n");
    writeFileSync(join(dir, "in.jsonl"), broken);
    const argv = ["embed", "--input", "in.jsonl", "--text-field", "body", "--id-field", "doc", "--window", "8", "--batch-size", "3", "--output", "out.jsonl"];
    const failed = await run(dir, argv);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("in.jsonl:30: not valid JSON");
    expect(failed.stderr).toContain("note: the rows done so far are kept in");
    expect(readdirSync(dir).sort()).toEqual(["in.jsonl", "out.jsonl.partial", "out.jsonl.progress.json"]);
    writeFileSync(join(dir, "in.jsonl"), good);
    const again = await run(dir, argv);
    expect([again.code, again.stderr]).toEqual([2, `encoder-pooling embed: ${join(dir, "out.jsonl.partial")} is left from an interrupted run: add --resume to continue it, or --force to start over\n`]);
    const otherFlags = await run(dir, [...argv.map((a) => (a === "8" ? "9" : a)), "--resume"]);
    expect(otherFlags.code).toBe(2);
    expect(otherFlags.stderr).toContain("window was 8, now 9");
    const resumed = await run(dir, [...argv, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/embed: wrote 40 × 16 to .*out\.jsonl \(\d+ of them kept from .*out\.jsonl\.partial\)/);
    const clean = await run(dir, [...argv.slice(0, -1), "clean.jsonl"]);
    expect(clean.code).toBe(0);
    expect(readFileSync(join(dir, "out.jsonl"))).toEqual(readFileSync(join(dir, "clean.jsonl")));
    expect(readdirSync(dir).sort()).toEqual(["clean.jsonl", "in.jsonl", "out.jsonl"]);
  });

  it("--resume with --output - or with nothing to resume is refused", async () => {
    const dir = freshDir();
    expect((await run(dir, ["embed", "--text", "a", "--output", "-", "--resume"])).stderr).toContain("--resume needs --output FILE");
    expect((await run(dir, ["embed", "--text", "a", "--output", "o.npy", "--resume"])).stderr).toContain("nothing to resume");
  });
});

describe("embed --shard and merge", () => {
  it("shards of a file, merged with `merge`, are the output of one run (.npy); JSONL shards concatenate", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "in.txt"), lines(50, (i) => `${"boat ".repeat(i % 9)}text ${i}`));
    const single = await run(dir, ["embed", "--input", "in.txt", "--output", "all.npy"]);
    const singleJsonl = await run(dir, ["embed", "--input", "in.txt", "--output", "all.jsonl"]);
    expect([single.code, singleJsonl.code]).toEqual([0, 0]);
    const jsonlParts: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const shard = await run(dir, ["embed", "--input", "in.txt", "--shard", `${i}/3`, "--output", `part${i}.npy`]);
      expect(shard.code, shard.stderr).toBe(0);
      jsonlParts.push((await run(dir, ["embed", "--input", "in.txt", "--shard", `${i}/3`, "--output", "-"])).stdout);
    }
    const merged = await run(dir, ["merge", "--input", "part0.npy", "--input", "part1.npy", "--input", "part2.npy", "--output", "merged.npy"]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stderr).toBe(`merge: wrote 50 rows from 3 shards to ${join(dir, "merged.npy")}\n`);
    expect(readFileSync(join(dir, "merged.npy"))).toEqual(readFileSync(join(dir, "all.npy")));
    expect(readFileSync(join(dir, "merged.npy.json"))).toEqual(readFileSync(join(dir, "all.npy.json")));
    expect(Buffer.concat(jsonlParts)).toEqual(readFileSync(join(dir, "all.jsonl")));
  });

  it("--shard is refused for standard input and for a malformed i/n", async () => {
    const dir = freshDir();
    const stdin = await run(dir, ["embed", "--input", "-", "--shard", "0/2", "--output", "-"], { stdin: "a\n" });
    expect([stdin.code, stdin.stderr]).toEqual([2, "encoder-pooling embed: --shard needs an input file: a stream has no byte ranges (to split a stream, use GNU parallel --pipe)\n"]);
    const bad = await run(dir, ["embed", "--input", "-", "--shard", "2/2", "--output", "-"]);
    expect(bad.stderr).toContain('--shard must be i/n with 0 ≤ i < n (e.g. 0/4 for the first of four shards), got "2/2"');
    expect(existsSync(join(dir, "-"))).toBe(false);
  });
});

describe("tokenize: streaming", () => {
  it("--id-field puts each record's id on its line; lines come in input order from standard input", async () => {
    const dir = freshDir();
    const r = await run(dir, ["tokenize", "--input", "-", "--input-format", "jsonl", "--text-field", "body", "--id-field", "doc"], { stdin: corpus(300) });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.toString().trimEnd().split("\n").map((l) => JSON.parse(l) as { doc: string; input_ids: number[] });
    expect(out.map((l) => l.doc)).toEqual(Array.from({ length: 300 }, (_, i) => `d${i}`));
  });
});
