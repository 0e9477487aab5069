import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseCsv } from "../../src/formats/csv.js";

const fields = (text: string) => parseCsv(text, "t.csv").map((r) => r.fields);
const lines = (text: string) => parseCsv(text, "t.csv").map((r) => r.line);

describe("parseCsv (RFC 4180)", () => {
  it("splits plain fields and ignores a final line break", () => {
    expect(fields("a,b\n1,2\n")).toEqual([["a", "b"], ["1", "2"]]);
    expect(fields("a,b\n1,2")).toEqual([["a", "b"], ["1", "2"]]);
  });

  it("keeps commas, doubled quotes and line breaks inside quoted fields", () => {
    expect(fields('text,n\n"a, b",1\n"say ""hi""",2\n"two\nlines",3\n')).toEqual([
      ["text", "n"],
      ["a, b", "1"],
      ['say "hi"', "2"],
      ["two\nlines", "3"],
    ]);
  });

  it("handles CRLF record ends and keeps CRLF inside quotes verbatim", () => {
    expect(fields('a,b\r\n"x\r\ny",2\r\n3,4\r\n')).toEqual([["a", "b"], ["x\r\ny", "2"], ["3", "4"]]);
  });

  it("reads empty fields, a quoted empty field and a trailing comma", () => {
    expect(fields('a,b,c\n,,\n"",x,\n')).toEqual([["a", "b", "c"], ["", "", ""], ["", "x", ""]]);
  });

  it("skips completely empty lines but still counts them", () => {
    expect(fields("a\n\nx\r\n\r\ny\n")).toEqual([["a"], ["x"], ["y"]]);
    expect(lines("a\n\nx\r\n\r\ny\n")).toEqual([1, 3, 5]);
  });

  it("numbers each record by the physical line where it starts", () => {
    expect(lines('h\n"one\ntwo\nthree"\nnext\n')).toEqual([1, 2, 5]);
  });

  it("names the line where an unterminated quote started", () => {
    expect(() => parseCsv('h\nok\n"never\nclosed\n', "t.csv")).toThrow(InputError);
    expect(() => parseCsv('h\nok\n"never\nclosed\n', "t.csv")).toThrow(/^t\.csv:3: quoted field starting on this line is never closed$/);
  });

  it("refuses a quote inside an unquoted field and text after a closing quote", () => {
    expect(() => parseCsv('h\nab"c\n', "t.csv")).toThrow(/^t\.csv:2: quote inside an unquoted field/);
    expect(() => parseCsv('h\n"ab"c\n', "t.csv")).toThrow(/^t\.csv:2: unexpected text after a closing quote/);
  });
});
