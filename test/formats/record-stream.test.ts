// RecordParser takes an input file in pieces: whatever the cut (inside a multi-byte character, between
// \r and \n, inside a quoted CSV field), the records, their lines and the warnings are those of the
// file parsed whole. Also: ids (--id-field), and shards that start mid-file (no BOM there).
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { CsvSplitter, parseCsv } from "../../src/formats/csv.js";
import { RecordParser, type ParseOptions, type RecordWarning, type TextRecord } from "../../src/formats/records.js";
import { Utf8LineDecoder } from "../../src/formats/utf8.js";
import { Rng } from "../../src/tensor/random.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Parses `bytes` pushed in pieces cut at `cuts` (sorted offsets). */
function parseInPieces(bytes: Uint8Array, options: ParseOptions, cuts: number[]): { records: TextRecord[]; warnings: RecordWarning[] } {
  const warnings: RecordWarning[] = [];
  const parser = new RecordParser({ ...options, onWarning: (w) => warnings.push(w) });
  const records: TextRecord[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    records.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  records.push(...parser.end());
  return { records, warnings };
}

/** Every way of cutting `bytes` once, and many random multi-cuts. */
function cuttings(bytes: Uint8Array, seed: number): number[][] {
  const rng = new Rng(seed);
  const single = Array.from({ length: bytes.length + 1 }, (_, i) => [i]);
  const random = Array.from({ length: 40 }, () => Array.from({ length: 1 + rng.int(6) }, () => rng.int(bytes.length + 1)).sort((a, b) => a - b));
  const everyByte = [Array.from({ length: bytes.length }, (_, i) => i)];
  return [...single, ...random, ...everyByte];
}

const CASES: { name: string; bytes: Uint8Array; options: ParseOptions }[] = [
  {
    name: "txt with a BOM, CRLF, blank lines, multi-byte text, invalid UTF-8 and no final newline",
    bytes: concat(utf8("\uFEFFfirst\r\nCafé 👍🏽\n\nbad "), new Uint8Array([0xe2, 0x82, 0x0a, 0xff]), utf8("\r\n\r\nlast")),
    options: { source: "in.txt", format: "txt" },
  },
  {
    name: "jsonl with ids of every JSON kind, blank lines, a lone surrogate escape and CRLF",
    bytes: utf8('{"id":1,"text":"a"}\r\n\n{"id":"x","text":"b \\ud800!"}\n   \n{"id":[1,{"k":null}],"text":"Ünïcödé"}\n{"id":null,"text":""}'),
    options: { source: "in.jsonl", format: "jsonl", idField: "id" },
  },
  {
    name: "csv with quoted commas, doubled quotes, line breaks (LF and CRLF) inside quotes, empty lines",
    bytes: utf8('id,text,label\r\n1,"a, b",x\n\n2,"say ""hi""\r\nthen\nleave",y\r\n3,plain,z\n4,"",w'),
    options: { source: "in.csv", format: "csv", idField: "id", labelField: "label" },
  },
];

describe("RecordParser: pieces of any size give the records of the whole file", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const whole = parseInPieces(c.bytes, c.options, []);
      expect(whole.records.length).toBeGreaterThan(2);
      for (const cuts of cuttings(c.bytes, c.bytes.length)) {
        const pieces = parseInPieces(c.bytes, c.options, cuts);
        expect(pieces.records, `cut at ${cuts.join(",")}`).toEqual(whole.records);
        expect(pieces.warnings, `cut at ${cuts.join(",")}`).toEqual(whole.warnings);
      }
    });
  }

  it("reads the txt case as it should: lines, BOM dropped, U+FFFD with a warning per damaged line", () => {
    const { records, warnings } = parseInPieces(CASES[0]!.bytes, CASES[0]!.options, [5]);
    expect(records).toEqual([
      { text: "first", line: 1 },
      { text: "Café 👍🏽", line: 2 },
      { text: "", line: 3 },
      { text: "bad \uFFFD", line: 4 },
      { text: "\uFFFD", line: 5 },
      { text: "", line: 6 },
      { text: "last", line: 7 },
    ]);
    expect(warnings).toEqual([
      { line: 3, message: "blank line kept as an empty text" },
      { line: 4, message: "invalid UTF-8 replaced with U+FFFD" },
      { line: 5, message: "invalid UTF-8 replaced with U+FFFD" },
      { line: 6, message: "blank line kept as an empty text" },
    ]);
  });

  it("carries ids: any JSON value from .jsonl, the column's string from .csv", () => {
    expect(parseInPieces(CASES[1]!.bytes, CASES[1]!.options, []).records.map((r) => r.id)).toEqual([1, "x", [1, { k: null }], null]);
    const csv = parseInPieces(CASES[2]!.bytes, CASES[2]!.options, []).records;
    expect(csv.map((r) => [r.id, r.text, r.line])).toEqual([["1", "a, b", 2], ["2", 'say "hi"\r\nthen\nleave', 4], ["3", "plain", 7], ["4", "", 8]]);
  });

  it("refuses a missing id field naming the line, an unknown id column listing the header, and ids in .txt", () => {
    const jsonl = new RecordParser({ source: "d.jsonl", format: "jsonl", idField: "doc" });
    // the records before the bad one come out first; the error comes with the next call
    expect(jsonl.push(utf8('{"doc":1,"text":"a"}\n{"text":"b"}\n'))).toEqual([{ text: "a", id: 1, line: 1 }]);
    expect(() => jsonl.end()).toThrow(new InputError('d.jsonl:2: no id field "doc"'));
    const csv = new RecordParser({ source: "d.csv", format: "csv", idField: "doc" });
    expect(csv.push(utf8("id,text\n1,a\n"))).toEqual([]);
    expect(() => csv.push(utf8("2,b\n"))).toThrow('d.csv: no id column "doc"; the header has "id", "text"');
    expect(() => new RecordParser({ source: "d.txt", format: "txt", idField: "doc" })).toThrow(/a \.txt file has no id field/);
  });

  it("an error in a later piece names its line in the whole file", () => {
    const bytes = utf8('{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n{oops}\n');
    for (const cut of [0, 13, 20, 40, bytes.length]) {
      expect(() => parseInPieces(bytes, { source: "e.jsonl", format: "jsonl" }, [cut]), `cut ${cut}`).toThrow(/^e\.jsonl:4: not valid JSON/);
    }
    expect(() => parseInPieces(utf8('text\n"a\nb\n'), { source: "q.csv", format: "csv" }, [7])).toThrow("q.csv:2: quoted field starting on this line is never closed");
  });

  it("does not look for a byte-order mark when the bytes start inside a file (a shard)", () => {
    const parser = new RecordParser({ source: "in.txt@10", format: "txt", atFileStart: false });
    expect([...parser.push(utf8("\uFEFFx\n")), ...parser.end()]).toEqual([{ text: "\uFEFFx", line: 1 }]);
  });
});

describe("the splitters under RecordParser", () => {
  it("Utf8LineDecoder keeps an unfinished line (even a split character) until its line break comes", () => {
    const d = new Utf8LineDecoder();
    const euro = utf8("€");
    expect(d.push(concat(utf8("ab"), euro.subarray(0, 1)))).toEqual({ text: "", firstLine: 1, badLines: [] });
    expect(d.push(concat(euro.subarray(1), utf8("\nc")))).toEqual({ text: "ab€\n", firstLine: 1, badLines: [] });
    expect(d.end()).toEqual({ text: "c", firstLine: 2, badLines: [] });
  });

  it("CsvSplitter gives parseCsv's rows and lines whatever the pieces", () => {
    const text = 'a,b\n"x\n""y""",2\n\n"p,q",3\r\nlast,4';
    const whole = parseCsv(text, "s.csv");
    for (let cut = 0; cut <= text.length; cut++) {
      const splitter = new CsvSplitter("s.csv");
      expect([...splitter.push(text.slice(0, cut)), ...splitter.push(text.slice(cut)), ...splitter.end()], `cut ${cut}`).toEqual(whole);
    }
  });
});
