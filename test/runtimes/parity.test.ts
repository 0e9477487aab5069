// One parity case in every runtime: the core, bundled by esbuild for the browser, loads the shipped
// model and embeds the same texts with nine pooling cases in Node, Deno, Bun, Cloudflare workerd,
// a Chromium page (from buffers and through loadModelFromUrl), a Chromium module worker, a page and a
// Deno thread through createEmbeddingWorker, and Firefox ESR; every vector must match the one computed
// here, in Node from the TypeScript sources, within 1e-6.
// A runtime that is not installed is skipped with the reason in the test's name (and a warning);
// under CI=true it fails instead, since .ci/run installs them all.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parityFromBuffers, type ParityReport, type Vectors } from "./guest.js";
import type { PageResults } from "./hosts/page.js";
import {
  buildSite, CHROMIUM, findExecutable, FIREFOX, launchChromium, MODEL_DIR, maxAbsDiff, npmBinary,
  removeSite, run, serveFolder, start, testWhereFound, withDeadline, type Found,
} from "./harness.js";

const TOLERANCE = 1e-6;
const NPM_HINT = "npm ci installs it as a devDependency";

let site = "";
/** Node's vectors on each backend (js: the reference kernels; wasm: the SIMD kernels, same bits on any thread count). */
const reference: Record<string, Vectors> = {};
/** One line per runtime that ran: its max abs difference from Node and its time, printed at the end. */
const table: string[] = [];

beforeAll(async () => {
  site = await buildSite();
  const text = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");
  const files = {
    config: text("config.json"),
    weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))),
    vocab: text("vocab.json"),
    merges: text("merges.txt"),
  };
  for (const backend of ["js", "wasm"] as const) reference[backend] = (await parityFromBuffers(files, { backend, threads: 1 })).vectors;
  // the bundle and two reference runs: seconds alone, over vitest's 10 s hook limit when the full suite loads the cores
}, 120_000);

afterAll(() => {
  if (site) removeSite(site);
  if (table.length > 0) console.log(`runtime parity with Node (max abs diff, tolerance ${TOLERANCE}):\n${table.join("\n")}`);
});

/**
 * The runtime's vectors against Node's on the backend "auto" chose there. Where WebAssembly runs, that is
 * wasm; workerd refuses to compile WebAssembly made at run time (Cloudflare's rule), so there it is js.
 */
function expectParity(report: ParityReport, startedAt: number, expectedBackend = "wasm"): void {
  const backend = report.backend.split("×")[0]!;
  expect(backend, `${report.runtime}: backend ${report.backend}`).toBe(expectedBackend);
  const { max, where } = maxAbsDiff(reference[backend]!, report.vectors);
  table.push(`  ${report.runtime.padEnd(56)} ${report.backend.padEnd(7)} ${String(max).padStart(8)}   ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  expect(max, `${report.runtime}: max abs diff ${max} > ${TOLERANCE} at ${where}`).toBeLessThanOrEqual(TOLERANCE);
}

/** A parity test of a runtime that may be missing here (skipped with the reason, or failing under CI). */
function runtimeTest(name: string, found: Found, body: (path: string) => Promise<void>, timeoutMs = 120_000): void {
  testWhereFound(name, found, `vectors match Node's within ${TOLERANCE}`, body, timeoutMs);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.concurrent("the core gives Node's vectors in every runtime", () => {
  it("Node, from the esbuild bundle in a child process: vectors match within 1e-6", async () => {
    const startedAt = performance.now();
    const out = await run(process.execPath, [join(site, "node.js"), join(site, "model")], { timeoutMs: 60_000 });
    expectParity(JSON.parse(out) as ParityReport, startedAt);
  });

  runtimeTest("Deno", findExecutable(npmBinary("deno"), NPM_HINT), async (deno) => {
    const startedAt = performance.now();
    const env = { ...process.env, DENO_DIR: join(site, ".deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
    // Read access to the folder only: the core needs no network, environment or other permission.
    const args = ["run", "--no-config", "--no-lock", "--no-prompt", `--allow-read=${site}`, join(site, "deno.js"), join(site, "model")];
    expectParity(JSON.parse(await run(deno, args, { env, timeoutMs: 60_000 })) as ParityReport, startedAt);
  });

  runtimeTest("Deno → createEmbeddingWorker → module worker", findExecutable(npmBinary("deno"), NPM_HINT), async (deno) => {
    const startedAt = performance.now();
    const env = { ...process.env, DENO_DIR: join(site, ".deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };
    const args = ["run", "--no-config", "--no-lock", "--no-prompt", `--allow-read=${site}`, join(site, "deno-worker.js"), join(site, "model")];
    expectParity(JSON.parse(await run(deno, args, { env, timeoutMs: 60_000 })) as ParityReport, startedAt);
  });

  runtimeTest("Bun", findExecutable(npmBinary("bun"), NPM_HINT), async (bun) => {
    const startedAt = performance.now();
    const env = { ...process.env, DO_NOT_TRACK: "1", NO_COLOR: "1", BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" };
    const out = await run(bun, ["--no-install", join(site, "bun.js"), join(site, "model")], { env, timeoutMs: 60_000 });
    expectParity(JSON.parse(out) as ParityReport, startedAt);
  });

  runtimeTest("Cloudflare workerd", findExecutable(npmBinary("workerd"), NPM_HINT), async (workerd) => {
    const startedAt = performance.now();
    const port = await freePort();
    const proc = start(workerd, ["serve", join(site, "workerd.capnp"), `--socket-addr=http=127.0.0.1:${port}`], { cwd: site });
    try {
      const exitedEarly = proc.exited.then((code) => {
        throw new Error(`workerd exited (${code}) before answering:\n${proc.output().stderr.slice(-2000)}`);
      });
      const answer = poll(`http://127.0.0.1:${port}/`, proc.output);
      const body = await withDeadline(Promise.race([answer, exitedEarly]), 60_000, "waiting for workerd to answer");
      expectParity(JSON.parse(body) as ParityReport, startedAt, "js");
    } finally {
      await proc.stop();
    }
  });
});

/** GETs `url` until something listens there; the body, or an error with the server's output on a non-200. */
async function poll(url: string, output: () => { stderr: string }): Promise<string> {
  for (;;) {
    try {
      const response = await fetch(url);
      const body = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}: ${body}\n${output().stderr.slice(-2000)}`);
      return body;
    } catch (err) {
      if (!String((err as Error).cause ?? "").includes("ECONNREFUSED")) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("the core gives Node's vectors in browsers", () => {
  const chromium = findExecutable(CHROMIUM, "apt-get install chromium");
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serveFolder>> | undefined;

  const openPage = async (mode: string): Promise<PageResults> => {
    server ??= await serveFolder(site);
    if (browser === undefined) {
      browser = await launchChromium();
    }
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(String(err)));
    try {
      await page.goto(`${server.url}page.html?mode=${mode}`);
      const results = await page.evaluate(() => (globalThis as { parity?: Promise<PageResults> }).parity);
      if (results === undefined) throw new Error(`page.js did not run: ${errors.join("; ") || "no page error"}`);
      return results;
    } finally {
      await page.close();
    }
  };
  const expectMode = (results: PageResults, mode: string, startedAt: number): void => {
    const result = results[mode];
    if (result === undefined || "error" in result) throw new Error(`${mode}: ${result?.error ?? "no result"}`);
    expectParity(result, startedAt);
  };

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const [mode, name] of [["page", "Chromium page, loadModelFromBuffers"], ["url", "Chromium page, loadModelFromUrl"], ["worker", "Chromium module worker"], ["embedding-worker", "Chromium page → createEmbeddingWorker"]] as const) {
    runtimeTest(name, chromium, async () => {
      const startedAt = performance.now();
      expectMode(await openPage(mode), mode, startedAt);
    });
  }

  runtimeTest("Firefox ESR page, loadModelFromUrl, module worker and createEmbeddingWorker", findExecutable(FIREFOX, "apt-get install firefox-esr"), async (firefox) => {
    const startedAt = performance.now();
    server ??= await serveFolder(site);
    const profile = mkdtempSync(join(tmpdir(), "encoder-pooling-firefox-"));
    writeFileSync(join(profile, "user.js"), FIREFOX_PREFS);
    const env = { ...process.env, HOME: profile, MOZ_CRASHREPORTER_DISABLE: "1", MOZ_DISABLE_AUTO_SAFE_MODE: "1" };
    const proc = start(firefox, ["--headless", "--no-remote", "--profile", profile, `${server.url}page.html?mode=all&report`], { env });
    try {
      const body = await Promise.race([
        server.nextReport(90_000),
        proc.exited.then((code) => {
          throw new Error(`firefox exited (${code}) before reporting:\n${proc.output().stderr.slice(-2000)}`);
        }),
      ]);
      const results = JSON.parse(body) as PageResults;
      for (const mode of ["page", "url", "worker", "embedding-worker"]) expectMode(results, mode, startedAt);
    } finally {
      await proc.stop();
      removeSite(profile);
    }
  });
});

/** Firefox preferences that keep a headless run quiet and offline: no updates, telemetry or first-run pages. */
const FIREFOX_PREFS = [
  ["app.update.disabledForTesting", true],
  ["app.normandy.enabled", false],
  ["browser.shell.checkDefaultBrowser", false],
  ["browser.startup.homepage_override.mstone", "ignore"],
  ["browser.aboutwelcome.enabled", false],
  ["browser.safebrowsing.malware.enabled", false],
  ["browser.safebrowsing.phishing.enabled", false],
  ["browser.safebrowsing.downloads.enabled", false],
  ["browser.search.update", false],
  ["datareporting.policy.dataSubmissionEnabled", false],
  ["datareporting.healthreport.uploadEnabled", false],
  ["toolkit.telemetry.enabled", false],
  ["extensions.update.enabled", false],
  ["extensions.getAddons.cache.enabled", false],
  ["network.captive-portal-service.enabled", false],
  ["network.connectivity-service.enabled", false],
  ["services.settings.server", "http://127.0.0.1:9/"],
  ["toolkit.startup.max_resumed_crashes", -1],
]
  .map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});`)
  .join("\n");
