// Where a JSON text stops being valid. JSON.parse's messages differ between engines and often give no
// position ("Unexpected token '}', ..."), so after it fails we walk the grammar once to find the index
// of the first bad character, and report it as line and column.

/** Index of the first character at which `text` stops being valid JSON (text.length if it ends too early). */
export function jsonErrorIndex(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "x")) return false;
      }
    }
    return false;
  };
  const number = (): boolean => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m === null) return false;
    i += m[0].length;
    return true;
  };
  const sequence = (close: string, item: () => boolean): boolean => {
    i++;
    ws();
    if (text[i] === close) return ++i > 0;
    for (;;) {
      if (!item()) return false;
      ws();
      if (text[i] === close) return ++i > 0;
      if (text[i] !== ",") return false;
      i++;
    }
  };
  const value = (): boolean => {
    ws();
    const c = text[i];
    if (c === "{") {
      return sequence("}", () => {
        ws();
        if (!string()) return false;
        ws();
        if (text[i] !== ":") return false;
        i++;
        return value();
      });
    }
    if (c === "[") return sequence("]", value);
    if (c === '"') return string();
    if (c === "t" || c === "f" || c === "n") return literal("true") || literal("false") || literal("null");
    return number();
  };
  if (value()) {
    ws();
    if (i === text.length) return -1;
  }
  return Math.min(i, text.length);
}
