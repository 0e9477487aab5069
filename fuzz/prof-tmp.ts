import { Tokenizer } from "../src/node.js";
import { tinyTokenizerJson } from "./targets.js";
import { parseRecords } from "../src/node.js";
const tok = Tokenizer.fromTokenizerJson(tinyTokenizerJson("string"));
for (const n of [100_000, 200_000, 400_000]) {
  const s = 'words such as "' + "x".repeat(n);
  let t = performance.now();
  tok.encode(s);
  console.log("full", n, (performance.now() - t).toFixed(0), "ms");
  t = performance.now();
  tok.encode(s, { maxLength: 10 });
  console.log("cut", n, (performance.now() - t).toFixed(0), "ms");
}
for (const n of [50_000, 100_000]) {
  const b = new Uint8Array(n * 5);
  for (let i = 0; i < n; i++) b.set([0x0a, 0x0a, 0xff, 0xfe, 0xfd], i * 5);
  const t = performance.now();
  parseRecords(b, { source: "x", format: "txt" });
  console.log("txt", n, (performance.now() - t).toFixed(0), "ms");
}
