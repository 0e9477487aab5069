// `npm run kernels`: assembles the kernel module from its WAT source (src/tensor/wasm/module-text.ts) with
// our own assembler and writes the bytes, base64, to src/tensor/wasm/kernels-binary.ts, which the engine
// compiles at run time. Run it after changing a kernel; test/tensor/wasm/kernels-binary.test.ts fails until
// the embedded bytes are those of the source.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./bundle.js";
import { kernelsBinarySource } from "./kernels-source.js";

const path = join(ROOT, "src/tensor/wasm/kernels-binary.ts");
const source = kernelsBinarySource();
writeFileSync(path, source);
console.log(`wrote ${path} (${source.length} characters)`);
