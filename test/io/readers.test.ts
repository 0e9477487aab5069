import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { EncoderPoolingError, UsageError } from "../../src/errors.js";
import { formatFromInputPath, readRecords, readStream } from "../../src/io/readers.js";

const dir = mkdtempSync(join(tmpdir(), "ep-readers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe("formatFromInputPath", () => {
  it("maps .txt/.jsonl/.csv (any case) and `-`; refuses anything else listing the formats", () => {
    expect(formatFromInputPath("a/b.txt")).toBe("txt");
    expect(formatFromInputPath("b.JSONL")).toBe("jsonl");
    expect(formatFromInputPath("b.csv")).toBe("csv");
    expect(formatFromInputPath("-")).toBe("txt");
    expect(() => formatFromInputPath("data.tsv")).toThrow(UsageError);
    expect(() => formatFromInputPath("data")).toThrow(/^data: cannot tell the input format from the extension ""; expected one of \.txt, \.jsonl, \.csv$/);
  });
});

describe("readRecords", () => {
  it("reads each format from a file, in input order, with the path in messages", async () => {
    const txt = await readRecords(file("a.txt", "one\r\ntwo\n"));
    expect(txt.records.map((r) => r.text)).toEqual(["one", "two"]);
    const jsonl = await readRecords(file("a.jsonl", '{"t":"x","y":1}\n{"t":"z","y":0}\n'), { textField: "t", labelField: "y" });
    expect(jsonl.records).toEqual([
      { text: "x", label: 1, line: 1 },
      { text: "z", label: 0, line: 2 },
    ]);
    const csv = await readRecords(file("a.csv", 'label,text\n1,"a,b"\n'), { labelField: "label" });
    expect(csv.records).toEqual([{ text: "a,b", label: "1", line: 2 }]);
    const bad = file("bad.jsonl", '{"text":"a"}\nnope\n');
    await expect(readRecords(bad)).rejects.toThrow(`${bad}:2: not valid JSON`);
  });

  it("resolves a relative path against cwd and warns with the path as given", async () => {
    mkdirSync(join(dir, "sub"));
    file("sub/w.txt", new Uint8Array([0x61, 0x0a, 0xfe, 0x0a]));
    const { records, warnings } = await readRecords("sub/w.txt", { cwd: dir });
    expect(records.map((r) => r.text)).toEqual(["a", "\uFFFD"]);
    expect(warnings).toEqual(["sub/w.txt:2: invalid UTF-8 replaced with U+FFFD"]);
  });

  it("a missing file is an error naming it", async () => {
    const missing = join(dir, "nope.txt");
    await expect(readRecords(missing)).rejects.toThrow(EncoderPoolingError);
    await expect(readRecords(missing)).rejects.toThrow(`input: file not found: ${missing}`);
  });

  it("reads `-` from the given stdin stream as txt, or as the format asked for", async () => {
    const stdin = Readable.from([Buffer.from("héllo\nwor"), Buffer.from([0xc3]), Buffer.from([0xa9, 0x6c, 0x64, 0x0a])]);
    expect((await readRecords("-", { stdin })).records).toEqual([
      { text: "héllo", line: 1 },
      { text: "woréld", line: 2 },
    ]);
    const jsonl = Readable.from(['{"text":"a"}\n', '{"text":5}\n']);
    await expect(readRecords("-", { stdin: jsonl, format: "jsonl" })).rejects.toThrow(/^<stdin>:2: field "text" is a number/);
  });

  it("readStream concatenates byte and string chunks", async () => {
    expect(await readStream(Readable.from([Buffer.from([1, 2]), "é"]))).toEqual(new Uint8Array([1, 2, 0xc3, 0xa9]));
    expect(await readStream(Readable.from([]))).toEqual(new Uint8Array(0));
  });
});
