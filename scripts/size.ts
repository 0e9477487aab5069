// `npm run size`: raw and gzip bytes of the minified, tree-shaken core bundles, and the budget check
// of the load-and-embed bundle (exit code 1 when it is over).
import { bundle, ENTRIES, LOAD_AND_EMBED_GZIP_BUDGET, sizeOf } from "./bundle.js";

const kb = (n: number): string => `${(n / 1000).toFixed(1)} KB`;
const rows: string[][] = [["bundle (esbuild, ESM, browser, minified)", "raw", "gzip"]];
let over = false;
for (const [name, contents] of Object.entries(ENTRIES)) {
  const { raw, gzip } = sizeOf(await bundle({ contents }, { minify: true }));
  rows.push([name, `${raw} B (${kb(raw)})`, `${gzip} B (${kb(gzip)})`]);
  if (name === "load-and-embed" && gzip > LOAD_AND_EMBED_GZIP_BUDGET) over = true;
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
console.log(`budget: load-and-embed ≤ ${LOAD_AND_EMBED_GZIP_BUDGET} B gzip (${kb(LOAD_AND_EMBED_GZIP_BUDGET)}): ${over ? "OVER" : "ok"}`);
if (over) process.exitCode = 1;
