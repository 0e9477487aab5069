// Node-only: this package's own package.json (for `encoder-pooling --version`).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./load-model.js";

/** The version in package.json, e.g. "0.1.0". */
export function packageVersion(): string {
  const json = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof json.version === "string" ? json.version : "unknown";
}
