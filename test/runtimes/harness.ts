// What the runtime tests share: the hosts bundled with the core into one folder beside the shipped
// model, a small HTTP server for browsers and fetch, child processes with a deadline, where each
// runtime's binary is, and the comparison of two sets of vectors.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { it } from "vitest";
import { bundle, ROOT } from "../../scripts/bundle.js";
import type { Vectors } from "./guest.js";

export { ROOT };
export const MODEL_DIR = join(ROOT, "weights", "default");
export const MODEL_FILES = ["config.json", "model.safetensors", "vocab.json", "merges.txt"];
/** Debian's Chromium (apt-get install chromium); never a browser that a test tool downloads. */
export const CHROMIUM = "/usr/lib/chromium/chromium";
/** Debian's Firefox ESR (apt-get install firefox-esr). */
export const FIREFOX = "/usr/lib/firefox-esr/firefox-esr";
/** Flags Chromium needs here: root without a sandbox, no GPU, and no calls home (the network is closed). */
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
/** Headless Debian Chromium through playwright-core (imported only when a test needs it). */
export async function launchChromium(): Promise<import("playwright-core").Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
}

/** In CI every runtime must be there: a missing one fails instead of being skipped. */
export const IN_CI = Boolean(process.env.CI) && process.env.CI !== "false";

/**
 * A fresh folder holding every host of test/runtimes/hosts bundled with the core (`<name>.js`), the
 * page that loads page.js, workerd's config, and the shipped model under model/. Remove it when done.
 */
export async function buildSite(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "encoder-pooling-runtimes-"));
  for (const host of ["node", "deno", "deno-worker", "bun", "workerd", "page", "worker", "responsive"]) {
    const code = await bundle(`test/runtimes/hosts/${host}.ts`, { platform: host === "node" ? "node" : "browser" });
    writeFileSync(join(dir, `${host}.js`), code);
  }
  // createEmbeddingWorker's worker script, bundled the way an application using esbuild would ship it
  writeFileSync(join(dir, "embedding-worker.js"), await bundle("src/pipeline/embedding-worker.ts"));
  for (const page of ["page", "responsive"]) {
    writeFileSync(join(dir, `${page}.html`), `<!doctype html><meta charset="utf-8"><title>${page}</title><script type="module" src="${page}.js"></script>\n`);
  }
  mkdirSync(join(dir, "model"));
  for (const name of MODEL_FILES) copyFileSync(join(MODEL_DIR, name), join(dir, "model", name));
  writeFileSync(join(dir, "workerd.capnp"), workerdConfig());
  return dir;
}

/** workerd's config: one module worker (workerd.js) with the model's files as bindings, one HTTP socket. */
function workerdConfig(): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "parity", worker = .parityWorker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "parity")],
);
const parityWorker :Workerd.Worker = (
  modules = [(name = "workerd.js", esModule = embed "workerd.js")],
  compatibilityDate = "2025-01-01",
  bindings = [
    (name = "config", text = embed "model/config.json"),
    (name = "weights", data = embed "model/model.safetensors"),
    (name = "vocab", text = embed "model/vocab.json"),
    (name = "merges", text = embed "model/merges.txt"),
  ],
);
`;
}

export function removeSite(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

export interface Site {
  /** Base URL, ending in "/". */
  url: string;
  /** The body of the next POST to /result (what a page sends with `?report`). */
  nextReport(timeoutMs: number): Promise<string>;
  /** The paths requested so far, in order. */
  requested: string[];
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` on 127.0.0.1 (a random port): GET for files (404 for anything else,
 * nothing outside `dir`), POST /result for reports.
 */
export async function serveFolder(dir: string): Promise<Site> {
  const reports: string[] = [];
  const waiting: Array<(body: string) => void> = [];
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requested.push(`${req.method} ${path}`);
    if (req.method === "POST" && path === "/result") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const next = waiting.shift();
        if (next) next(body);
        else reports.push(body);
        res.end("ok");
      });
      return;
    }
    const file = join(dir, path);
    const inside = !relative(dir, file).startsWith("..");
    if (req.method !== "GET" || !inside || !existsSync(file) || path.endsWith("/")) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requested,
    nextReport: (timeoutMs) => {
      const ready = reports.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return withDeadline(new Promise<string>((resolve) => waiting.push(resolve)), timeoutMs, "waiting for the page's POST /result");
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** A child process in its own process group, so that stopping it also stops what it started. */
export interface Started {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code once it exits. */
  exited: Promise<number | null>;
  /** SIGTERM to the group, SIGKILL after 3 s; resolves when it has exited. */
  stop(): Promise<void>;
}

export function start(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (err) => {
      stderr += String(err);
      resolve(null);
    });
    child.on("close", (code) => resolve(code));
  });
  const signal = (name: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, name);
    } catch {
      // the group has already exited
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), 3000);
      await exited;
      clearTimeout(killer);
    })();
    return stopping;
  };
  return { child, output: () => ({ stdout, stderr }), exited, stop };
}

/** Runs a command to its end within `timeoutMs`; rejects (with its stderr) on a non-zero exit or the deadline. */
export async function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  const proc = start(command, args, options);
  try {
    const code = await withDeadline(proc.exited, options.timeoutMs, `running ${command} ${args.join(" ")}`);
    const { stdout, stderr } = proc.output();
    if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-4000)}`);
    return stdout;
  } finally {
    await proc.stop();
  }
}

/** Where a runtime is and which version it says it is, or why it cannot run here. */
export type Found = { path: string; version: string } | { missing: string };

/**
 * An executable and its `--version` line. Deno, Bun and workerd come from their npm packages
 * (devDependencies, whose platform binaries npm installs from the registry), so only node_modules/.bin
 * is looked at, never a copy elsewhere on the machine.
 */
export function findExecutable(path: string, installHint: string): Found {
  if (!existsSync(path)) return { missing: `${relative(ROOT, path) || path} not found (${installHint})` };
  const probe = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (probe.status !== 0) return { missing: `${path} --version failed: ${(probe.stderr || String(probe.error)).trim().slice(0, 300)}` };
  return { path, version: probe.stdout.trim().split("\n")[0]! };
}

/**
 * A test of a runtime that may be missing here. Found: the test runs, named `${name} (${version}): ${claim}`.
 * Missing: a skipped test whose name says why (and a warning), or under CI a failing one.
 */
export function testWhereFound(name: string, found: Found, claim: string, body: (path: string) => Promise<void>, timeoutMs = 120_000): void {
  if ("path" in found) {
    it(`${name} (${found.version}): ${claim}`, () => body(found.path), timeoutMs);
  } else if (IN_CI) {
    it(`${name}: must run under CI, but ${found.missing}`, () => {
      throw new Error(`${name} cannot run: ${found.missing}`);
    });
  } else {
    console.warn(`${name} skipped: ${found.missing}`);
    it.skip(`${name} skipped: ${found.missing}`, () => {});
  }
}

export const npmBinary = (name: string): string => join(ROOT, "node_modules", ".bin", name);

/** The largest |expected − actual| over every case, text and component, and where it is. */
export function maxAbsDiff(expected: Vectors, actual: Vectors): { max: number; where: string } {
  let max = 0;
  let where = "";
  for (const [label, rows] of Object.entries(expected)) {
    const other = actual[label];
    if (other === undefined || other.length !== rows.length) return { max: Infinity, where: `${label}: missing or wrong number of vectors` };
    rows.forEach((row, t) => {
      const got = other[t]!;
      if (got.length !== row.length) {
        max = Infinity;
        where = `${label}, text ${t}: length ${got.length}, expected ${row.length}`;
        return;
      }
      row.forEach((value, i) => {
        const d = Math.abs(value - got[i]!);
        if (!(d <= max)) {
          max = Number.isNaN(d) ? Infinity : d;
          where = `${label}, text ${t}, component ${i}: ${got[i]} vs Node's ${value}`;
        }
      });
    });
  }
  return { max, where };
}
