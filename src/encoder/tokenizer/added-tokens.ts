// Added (special) tokens such as <s>, </s>, <pad>, <unk>, <mask>: found in raw text before the
// pre-tokeniser runs and kept whole, as Hugging Face does. Matching is leftmost-longest. A token with
// `lstrip` (roberta's <mask>) also swallows the whitespace on its left, `rstrip` the whitespace on its
// right; a `singleWord` token only matches when not glued to a word character on either side.

/** One added token, as in tokenizer.json's `added_tokens`. */
export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens are dropped by `decode(ids, { skipSpecialTokens: true })`. */
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
}

/** A piece of the input: either plain text to pre-tokenise (`token` null) or one added token. */
export interface Segment {
  start: number;
  end: number;
  token: AddedToken | null;
}

const WHITESPACE = /\p{White_Space}/u;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

// Under the `u` flag only syntax characters and "/" may be escaped: "\-" is an "Invalid escape", so
// the dash of <|im-start|> stays as it is (outside a class it means itself).
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

export class AddedTokenMatcher {
  private readonly pattern: RegExp | null;
  private readonly byContent = new Map<string, AddedToken>();

  constructor(tokens: readonly AddedToken[]) {
    for (const token of tokens) this.byContent.set(token.content, token);
    // Longest first, so that the regex alternation (which takes the first alternative that matches
    // at the leftmost position) gives leftmost-longest.
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    this.pattern = contents.length === 0 ? null : new RegExp(contents.map(escapeRegExp).join("|"), "gu");
  }

  /** Cuts `text` into plain-text segments and added-token segments that tile it, one at a time. */
  *segments(text: string): Generator<Segment> {
    let cursor = 0; // end of the last added token (its stripped whitespace included)
    let count = 0;
    if (this.pattern !== null) {
      const pattern = this.pattern;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        const token = this.byContent.get(m[0])!;
        let start = m.index;
        let end = start + m[0].length;
        if (token.singleWord && (isWordCharBefore(text, start) || isWordCharAt(text, end))) {
          pattern.lastIndex = start + 1;
          continue;
        }
        if (token.lstrip) while (start > cursor && WHITESPACE.test(text[start - 1]!)) start--;
        if (token.rstrip) while (end < text.length && WHITESPACE.test(text[end]!)) end++;
        if (start > cursor) {
          yield { start: cursor, end: start, token: null };
          count++;
        }
        yield { start, end, token };
        count++;
        cursor = end;
        pattern.lastIndex = end;
      }
    }
    if (cursor < text.length || count === 0) yield { start: cursor, end: text.length, token: null };
  }
}

function isWordCharBefore(text: string, index: number): boolean {
  return index > 0 && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index - 1) ?? 0));
}

function isWordCharAt(text: string, index: number): boolean {
  return index < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index)!));
}
