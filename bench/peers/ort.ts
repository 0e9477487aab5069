// onnxruntime-node, loaded at run time from bench/peers/node_modules (its own package, so that the library
// stays dependency-free and the root typecheck never needs it). Only the part of its API we call is typed
// here. The forward benchmark installs it when it is missing (installPeers); by hand:
//   cd bench/peers && ONNXRUNTIME_NODE_INSTALL=skip npm ci   (the CPU binaries ship in the package).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../../src/io/load-model.js";

export interface OrtTensor {
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtSessionOptions {
  intraOpNumThreads: number;
  interOpNumThreads: number;
  executionMode: "sequential";
  graphOptimizationLevel: "all";
}

export interface Ort {
  InferenceSession: { create(path: string, options: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: "int64", data: BigInt64Array, dims: number[]) => OrtTensor;
  version: string;
}

/** bench/peers in the source tree (also when running from dist/). */
export function peersDir(): string {
  return join(packageRoot(), "bench", "peers");
}

const INSTALL_HINT = "cd bench/peers && ONNXRUNTIME_NODE_INSTALL=skip npm ci";

/** Why onnxruntime-node cannot be loaded (not installed), or null when it is installed. */
export function ortMissingReason(): string | null {
  const pkg = join(peersDir(), "node_modules", "onnxruntime-node", "package.json");
  return existsSync(pkg) ? null : `onnxruntime-node is not installed in bench/peers (${INSTALL_HINT})`;
}

/**
 * Installs bench/peers' locked packages when onnxruntime-node is missing (npm ci, its CPU binaries from the
 * package itself). Returns why onnxruntime-node is still unavailable, or null when it is installed.
 */
export function installPeers(log: (line: string) => void): string | null {
  if (ortMissingReason() === null) return null;
  log(`installing onnxruntime-node in bench/peers (${INSTALL_HINT})`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], {
    cwd: peersDir(),
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" },
    encoding: "utf8",
    timeout: 10 * 60 * 1000,
  });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim().split("\n").slice(-2).join(" ");
    return `installing onnxruntime-node failed (${why}); ${ortMissingReason() ?? ""}`.trim();
  }
  return ortMissingReason();
}

/** Imports onnxruntime-node from bench/peers/node_modules; throws with the reason when it cannot. */
export async function loadOrt(): Promise<Ort> {
  const missing = ortMissingReason();
  if (missing !== null) throw new Error(missing);
  const require = createRequire(join(peersDir(), "package.json"));
  const entry = require.resolve("onnxruntime-node");
  const mod = (await import(pathToFileURL(entry).href)) as { default?: unknown } & Record<string, unknown>;
  const api = (mod["InferenceSession"] !== undefined ? mod : mod.default) as Omit<Ort, "version">;
  const pkgJson = JSON.parse(readFileSync(join(peersDir(), "node_modules", "onnxruntime-node", "package.json"), "utf8")) as { version: string };
  return { InferenceSession: api.InferenceSession, Tensor: api.Tensor, version: pkgJson.version };
}
