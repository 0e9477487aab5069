// openRecordStream: a file or stdin read chunk by chunk gives readRecords' records; shards of a file
// (byte ranges, a line to the shard where it starts) hold every line exactly once, in order, whatever
// the line lengths, the shard count and where the cuts fall; shards of stdin and of .csv are refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { TextRecord } from "../../src/formats/records.js";
import { readRecords } from "../../src/io/readers.js";
import { openRecordStream, parseShard, shardRange, type RecordStreamOptions } from "../../src/io/record-stream.js";
import { Rng } from "../../src/tensor/random.js";

const dir = mkdtempSync(join(tmpdir(), "ep-record-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const file = (ext: string, content: string | Uint8Array): string => {
  const path = join(dir, `f${++files}.${ext}`);
  writeFileSync(path, content);
  return path;
};

async function all(path: string, options: RecordStreamOptions = {}): Promise<TextRecord[]> {
  const out: TextRecord[] = [];
  for await (const r of openRecordStream(path, options).records) out.push(r);
  return out;
}

/** Lines of 0 to 40 characters (some multi-byte), LF or CRLF, with or without a final line break. */
function randomText(rng: Rng, lines: number): string {
  const chars = ["a", "b", " ", "é", "👍", "x", "\u00a0"];
  const body = Array.from({ length: lines }, () => Array.from({ length: rng.int(41) }, () => chars[rng.int(chars.length)]).join(""));
  const eol = rng.int(2) === 0 ? "\n" : "\r\n";
  return body.join(eol) + (rng.int(2) === 0 ? eol : "");
}

describe("openRecordStream", () => {
  it("gives the records of readRecords, for a file of each format and for stdin", async () => {
    const txt = file("txt", "\uFEFFone\r\n\ntwo\nthree");
    expect(await all(txt)).toEqual((await readRecords(txt)).records);
    const jsonl = file("jsonl", '{"t":"a","k":1}\n\n{"t":"b","k":2}\n');
    expect(await all(jsonl, { textField: "t", idField: "k" })).toEqual([{ text: "a", id: 1, line: 1 }, { text: "b", id: 2, line: 3 }]);
    const csv = file("csv", 'k,t\n1,"x\ny"\n2,z\n');
    expect((await all(csv, { textField: "t" })).map((r) => r.text)).toEqual(["x\ny", "z"]);
    const stdin = new PassThrough();
    stdin.end('{"text":"from a pipe"}\n');
    expect(await all("-", { stdin, format: "jsonl" })).toEqual([{ text: "from a pipe", line: 1 }]);
  });

  it("passes warnings on with their source and line", async () => {
    const warnings: string[] = [];
    await all(file("txt", "a\n\nb\n"), { onWarning: (w) => warnings.push(`${w.line}: ${w.message}`) });
    expect(warnings).toEqual(["2: blank line kept as an empty text"]);
  });

  it("counts the bytes read up to the whole file", async () => {
    const path = file("txt", "x".repeat(3000) + "\n" + "y\n".repeat(5000));
    const stream = openRecordStream(path);
    expect(stream.totalBytes).toBe(13001);
    let n = 0;
    for await (const _ of stream.records) n++;
    expect([n, stream.bytesRead]).toEqual([5001, 13001]);
  });

  it("names a missing file and a folder", () => {
    expect(() => openRecordStream(join(dir, "none.txt"))).toThrow(/input: file not found: .*none\.txt/);
    const folder = join(dir, "folder.txt");
    mkdirSync(folder);
    expect(() => openRecordStream(folder)).toThrow(`input: ${folder} is a directory, expected a file`);
  });
});

describe("shards", () => {
  it("parseShard reads i/n and refuses anything else", () => {
    expect(parseShard("2/4", "--shard")).toEqual({ index: 2, count: 4 });
    for (const bad of ["4/4", "1/0", "-1/3", "a/b", "1", "1/2/3"]) expect(() => parseShard(bad, "--shard"), bad).toThrow(UsageError);
  });

  it("shardRange cuts [0, size) into n ranges end to end", () => {
    for (const [size, n] of [[0, 3], [10, 3], [7, 7], [5, 8], [1e9, 13]] as const) {
      const ranges = Array.from({ length: n }, (_, index) => shardRange(size, { index, count: n }));
      expect(ranges[0]!.start).toBe(0);
      expect(ranges.at(-1)!.end).toBe(size);
      for (let i = 1; i < n; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
    }
  });

  it("hold every line exactly once, in order, for random files and 1 to 9 shards (.txt and .jsonl)", async () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 30; trial++) {
      const text = randomText(rng, 1 + rng.int(60));
      const txt = file("txt", text);
      const whole = (await all(txt)).map((r) => r.text);
      const count = 1 + rng.int(9);
      const shards = [];
      for (let index = 0; index < count; index++) shards.push(...(await all(txt, { shard: { index, count } })).map((r) => r.text));
      expect(shards, `trial ${trial}, ${count} shards of ${JSON.stringify(text)}`).toEqual(whole);
    }
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `t${i}`, id: i }));
    const jsonl = file("jsonl", lines.join("\n") + "\n");
    for (const count of [2, 3, 7, 49, 50, 51]) {
      const ids = [];
      for (let index = 0; index < count; index++) ids.push(...(await all(jsonl, { idField: "id", shard: { index, count } })).map((r) => r.id));
      expect(ids, `${count} shards`).toEqual([...Array(50).keys()]);
    }
  });

  it("cuts big files in a few chunks the same way (lines longer than a chunk, shard edges inside them)", async () => {
    const long = ["a".repeat(3_000_000), "b", "c".repeat(1_500_000), "", "d".repeat(10)];
    const path = file("txt", long.join("\n"));
    for (const count of [1, 2, 3, 5]) {
      const texts = [];
      for (let index = 0; index < count; index++) texts.push(...(await all(path, { shard: { index, count } })).map((r) => r.text));
      expect(texts.map((t) => t.length), `${count} shards`).toEqual(long.map((t) => t.length));
    }
  });

  it("count lines from the shard's first byte and say so in the source (file@start)", async () => {
    const path = file("txt", "aaaa\nbbbb\ncccc\ndddd\n");
    const second = openRecordStream(path, { shard: { index: 1, count: 2 } });
    expect(second.source).toBe(`${path}@10`);
    const records = [];
    for await (const r of second.records) records.push(r);
    expect(records).toEqual([{ text: "cccc", line: 1 }, { text: "dddd", line: 2 }]);
  });

  it("are refused for stdin and for .csv, saying what to do instead", () => {
    expect(() => openRecordStream("-", { shard: { index: 0, count: 2 }, stdin: new PassThrough() })).toThrow(/--shard needs an input file.*GNU parallel --pipe/);
    expect(() => openRecordStream(file("csv", "text\na\n"), { shard: { index: 0, count: 2 } })).toThrow(/not supported for \.csv.*convert .* to \.jsonl/);
  });
});
