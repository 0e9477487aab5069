import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseRecords, type ParseOptions } from "../../src/formats/records.js";
import { replaceLoneSurrogates } from "../../src/encoder/tokenizer/index.js";
import { decodeUtf8 } from "../../src/formats/utf8.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const parse = (s: string | Uint8Array, options: Omit<ParseOptions, "source"> & { source?: string }) =>
  parseRecords(typeof s === "string" ? utf8(s) : s, { source: "in", ...options });

describe("decodeUtf8", () => {
  it("replaces invalid bytes with U+FFFD and names each damaged line", () => {
    const bytes = new Uint8Array([0x61, 0x0a, 0x62, 0xff, 0x63, 0x0a, 0x64, 0x0a, 0xc3, 0x0a]);
    const { text, warnings } = decodeUtf8(bytes, "f.txt");
    expect(text).toBe("a\nb\uFFFDc\nd\n\uFFFD\n");
    expect(warnings).toEqual(["f.txt:2: invalid UTF-8 replaced with U+FFFD", "f.txt:4: invalid UTF-8 replaced with U+FFFD"]);
  });

  it("decodes valid multi-byte text without warnings and drops only a leading BOM", () => {
    const { text, warnings } = decodeUtf8(utf8("\uFEFFé😀\n\uFEFFx"), "f.txt");
    expect(text).toBe("é😀\n\uFEFFx");
    expect(warnings).toEqual([]);
  });

  it("caps per-line warnings and summarises the rest", () => {
    const bytes = new Uint8Array(Array.from({ length: 13 }, () => [0xff, 0x0a]).flat());
    const { warnings } = decodeUtf8(bytes, "b.txt");
    expect(warnings).toHaveLength(11);
    expect(warnings[10]).toBe("b.txt: 3 more lines with the same problem (invalid UTF-8 replaced with U+FFFD)");
  });

  it("replaceLoneSurrogates keeps pairs and replaces halves", () => {
    expect(replaceLoneSurrogates("a😀b")).toEqual({ text: "a😀b", replaced: false });
    expect(replaceLoneSurrogates("a\uD800b\uDC00")).toEqual({ text: "a\uFFFDb\uFFFD", replaced: true });
  });
});

describe("parseRecords: txt", () => {
  it("one text per line, LF or CRLF, in order, final newline adds nothing", () => {
    const { records, warnings } = parse("first\r\nsecond\nthird\n", { format: "txt" });
    expect(records).toEqual([
      { text: "first", line: 1 },
      { text: "second", line: 2 },
      { text: "third", line: 3 },
    ]);
    expect(warnings).toEqual([]);
  });

  it("keeps blank lines as empty texts, with one warning listing them", () => {
    const { records, warnings } = parse("a\n\nb\r\n\r\n", { format: "txt", source: "x.txt" });
    expect(records.map((r) => r.text)).toEqual(["a", "", "b", ""]);
    expect(warnings).toEqual(["x.txt: 2 blank lines kept as empty texts (lines 2, 4)"]);
  });

  it("an empty file gives no records", () => {
    expect(parse("", { format: "txt" }).records).toEqual([]);
  });

  it("warns with the line number on invalid UTF-8", () => {
    const bytes = new Uint8Array([...utf8("ok\n"), 0x62, 0xff, 0x0a, ...utf8("fine\n")]);
    const { records, warnings } = parse(bytes, { format: "txt", source: "x.txt" });
    expect(records[1]).toEqual({ text: "b\uFFFD", line: 2 });
    expect(warnings).toEqual(["x.txt:2: invalid UTF-8 replaced with U+FFFD"]);
  });

  it("refuses a label field", () => {
    expect(() => parse("a\n", { format: "txt", labelField: "label", source: "x.txt" })).toThrow(/^x\.txt: a \.txt file has no labels/);
  });
});

describe("parseRecords: jsonl", () => {
  it("reads the text field (default and custom), skipping blank lines, keeping line numbers", () => {
    const input = '{"text":"a","id":1}\n\n  \r\n{"text":"b\\nc"}\r\n';
    expect(parse(input, { format: "jsonl" }).records).toEqual([
      { text: "a", line: 1 },
      { text: "b\nc", line: 4 },
    ]);
    expect(parse('{"review":"good"}\n', { format: "jsonl", textField: "review" }).records).toEqual([{ text: "good", line: 1 }]);
  });

  it("reads labels of any JSON kind except null", () => {
    const input = '{"text":"a","label":"pos"}\n{"text":"b","label":2}\n{"text":"c","label":[0,1]}\n';
    expect(parse(input, { format: "jsonl", labelField: "label" }).records.map((r) => r.label)).toEqual(["pos", 2, [0, 1]]);
    expect(() => parse('{"text":"a","label":null}\n', { format: "jsonl", labelField: "label", source: "t.jsonl" })).toThrow(
      /^t\.jsonl:1: label field "label" is null$/,
    );
  });

  it("a line that is not JSON is an error naming the line", () => {
    const run = () => parse('{"text":"a"}\n{"text": oops}\n', { format: "jsonl", source: "f.jsonl" });
    expect(run).toThrow(InputError);
    expect(run).toThrow(/^f\.jsonl:2: not valid JSON \(.+\)$/);
  });

  it("a missing or non-string text field, a non-object line, a missing label: errors naming the line", () => {
    const opts = { format: "jsonl" as const, source: "f.jsonl" };
    expect(() => parse('{"text":"a"}\n{"body":"b"}\n', opts)).toThrow(/^f\.jsonl:2: no field "text"$/);
    expect(() => parse('{"text":5}\n', opts)).toThrow(/^f\.jsonl:1: field "text" is a number, expected a string$/);
    expect(() => parse('["text"]\n', opts)).toThrow(/^f\.jsonl:1: expected a JSON object, got an array$/);
    expect(() => parse('{"text":"a","label":1}\n\n{"text":"b"}\n', { ...opts, labelField: "label" })).toThrow(
      /^f\.jsonl:3: no label field "label"$/,
    );
  });

  it("replaces a lone surrogate from a JSON escape, with a warning naming the line", () => {
    const { records, warnings } = parse('{"text":"ok \\ud83d\\ude00"}\n{"text":"bad \\ud800!"}\n', { format: "jsonl", source: "s.jsonl" });
    expect(records.map((r) => r.text)).toEqual(["ok 😀", "bad \uFFFD!"]);
    expect(warnings).toEqual(['s.jsonl:2: lone surrogate in field "text" replaced with U+FFFD']);
  });
});

describe("parseRecords: csv", () => {
  const csv = 'id,text,label\r\n1,"Hello, world",pos\r\n2,"She said ""no""\r\nthen left",neg\r\n3,plain,pos\r\n';

  it("reads the text and label columns with RFC 4180 quoting, line = where the record starts", () => {
    const { records, warnings } = parse(csv, { format: "csv", labelField: "label" });
    expect(records).toEqual([
      { text: "Hello, world", label: "pos", line: 2 },
      { text: 'She said "no"\r\nthen left', label: "neg", line: 3 },
      { text: "plain", label: "pos", line: 5 },
    ]);
    expect(warnings).toEqual([]);
  });

  it("a header with a BOM still finds its first column", () => {
    expect(parse("\uFEFFtext\nhi\n", { format: "csv" }).records).toEqual([{ text: "hi", line: 2 }]);
  });

  it("an unknown column is an error listing the header", () => {
    expect(() => parse(csv, { format: "csv", textField: "sentence", source: "d.csv" })).toThrow(
      /^d\.csv: no text column "sentence"; the header has "id", "text", "label"$/,
    );
    expect(() => parse(csv, { format: "csv", labelField: "y", source: "d.csv" })).toThrow(/^d\.csv: no label column "y"/);
  });

  it("ragged rows, empty labels, a repeated column and an empty file are errors", () => {
    const opts = { format: "csv" as const, source: "d.csv" };
    expect(() => parse("text,label\na,1\nb\n", opts)).toThrow(/^d\.csv:3: 1 field, but the header has 2$/);
    expect(() => parse("text,label\na,1\nb,\n", { ...opts, labelField: "label" })).toThrow(/^d\.csv:3: empty label in column "label"$/);
    expect(() => parse("text,text\na,b\n", opts)).toThrow(/^d\.csv: the text column "text" appears more than once/);
    expect(() => parse("", opts)).toThrow(/^d\.csv: the CSV file is empty; a header row/);
  });

  it("an unterminated quote names the line where it started", () => {
    expect(() => parse('text\nok\n"open\nstill open\n', { format: "csv", source: "d.csv" })).toThrow(/^d\.csv:3: quoted field/);
  });
});

describe("bytes that are not text are refused before anything is parsed", () => {
  const parse = (bytes: Uint8Array) => parseRecords(bytes, { source: "in.txt", format: "txt" });
  it("a NUL byte, a UTF-16 byte-order mark, mostly invalid UTF-8", () => {
    expect(() => parse(new Uint8Array([0x61, 0x62, 0x00, 0x63]))).toThrow("in.txt: not text: a NUL byte at offset 2 (a binary file?)");
    expect(() => parse(new Uint8Array([0xff, 0xfe, 0x61, 0x00]))).toThrow(/UTF-16 byte-order mark/);
    const noise = new Uint8Array(256).map((_, i) => 0x80 + ((i * 37) % 64) || 1);
    expect(() => parse(noise)).toThrow(/not text: \d+ of its first \d+ characters are invalid UTF-8 or control characters/);
  });
  it("text with a few damaged characters still parses, with warnings", () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode("caf"), 0xe9, 0x0a, ...new TextEncoder().encode("the sea\n")]);
    const { records, warnings } = parse(latin1);
    expect(records.map((r) => r.text)).toEqual(["caf\uFFFD", "the sea"]);
    expect(warnings).toEqual(["in.txt:1: invalid UTF-8 replaced with U+FFFD"]);
  });
});

describe("decodeUtf8 on hostile bytes (issue 10, found by the fuzzer)", () => {
  it("a line holding a real U+FFFD beside invalid bytes is named; one holding only a real U+FFFD is not", () => {
    const bytes = new Uint8Array([...utf8("ok\uFFFD\n"), ...utf8("bad\uFFFD"), 0xff, 0x0a, 0xfe]);
    const { text, warnings } = decodeUtf8(bytes, "f.txt");
    expect(text).toBe("ok\uFFFD\nbad\uFFFD\uFFFD\n\uFFFD");
    expect(warnings).toEqual(["f.txt:2: invalid UTF-8 replaced with U+FFFD", "f.txt:3: invalid UTF-8 replaced with U+FFFD"]);
  });

  it("100,000 damaged lines decode in one pass (each line's decode used to throw: 9 s)", () => {
    const bytes = new Uint8Array(100_000 * 5);
    for (let i = 0; i < 100_000; i++) bytes.set([0x0a, 0x0a, 0xff, 0xfe, 0xfd], i * 5);
    const { text, warnings } = decodeUtf8(bytes, "t.txt");
    expect(text.length).toBe(100_000 * 5);
    expect(warnings).toHaveLength(11);
    expect(warnings[0]).toBe("t.txt:3: invalid UTF-8 replaced with U+FFFD");
  });
});

describe("txt and jsonl are decoded a block of whole lines at a time (issue 10: a 600 MB .txt gave 'Invalid string length')", () => {
  const inputs: [string, Uint8Array][] = [
    ["txt", utf8("\uFEFFfirst\r\nsecond line é😀\n\nfourth\nno final newline")],
    ["txt", new Uint8Array([0x61, 0xff, 0x0a, 0x0a, 0x62, 0xed, 0xa0, 0x80, 0x0d, 0x0a, ...utf8("a much longer line than any block here\n")])],
    ["jsonl", utf8('{"text": "a"}\n\n{"text": "b\\ud800", "n": [1, 2]}\r\n{"text": "ccccccccccccccccccccc"}\n')],
  ];
  it("gives the same records and warnings with any block size", () => {
    for (const [format, bytes] of inputs) {
      const whole = parse(bytes, { format: format as "txt" | "jsonl" });
      for (const blockBytes of [1, 2, 3, 7, 16, 1000]) {
        expect(parse(bytes, { format: format as "txt" | "jsonl", blockBytes }), `${format}, blocks of ${blockBytes}`).toEqual(whole);
      }
    }
  });

  it("numbers lines across blocks", () => {
    const bytes = utf8(Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join("\n"));
    const { records } = parse(bytes, { format: "txt", blockBytes: 16 });
    expect(records).toHaveLength(50);
    expect(records.every((r, i) => r.line === i + 1 && r.text === `line ${i + 1}`)).toBe(true);
  });
});
