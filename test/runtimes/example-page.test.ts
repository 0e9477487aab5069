// The pooling explorer (examples/browser/) in headless Chromium, served by its own serve.mjs with the
// library bundled by esbuild as /lib/index.js: it loads the shipped model, embeds the texts it opens
// with, and every number it shows in the cosine-similarity heatmap and the layer-by-layer bars equals
// what Node computes with model.embed (to 1e-5: the page sums the cosines in its own order). It then
// takes the screenshot the README shows (docs/images/browser-example.png: written when missing or with
// UPDATE_SCREENSHOTS=1, else to a temporary file, so that a test run leaves the checkout clean).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { bundle } from "../../scripts/bundle.js";
import {
  createHead, createPooler, headFiles, loadHeadFiles, loadModelFromBuffers, trainableParameters, type EncoderModel, type HeadConfig,
} from "../../src/index.js";
import {
  CHROMIUM, findExecutable, launchChromium, MODEL_DIR, removeSite, ROOT, start, testWhereFound, withDeadline, type Started,
} from "./harness.js";

/** The page's globals, as far as the functions evaluated there use them (this file compiles without lib DOM). */
declare const document: { body: { dataset: Record<string, string | undefined> } };
type Tagged = { dataset: Record<string, string | undefined> };

const TOLERANCE = 1e-5;
const SCREENSHOT = join(ROOT, "docs", "images", "browser-example.png");

let lib = "";
let server: Started | undefined;
let url = "";
let browser: Browser | undefined;
let page: Page | undefined;
let model: EncoderModel;

beforeAll(async () => {
  const read = (name: string): string => readFileSync(join(MODEL_DIR, name), "utf8");
  model = await loadModelFromBuffers({
    config: read("config.json"),
    weights: new Uint8Array(readFileSync(join(MODEL_DIR, "model.safetensors"))),
    vocab: read("vocab.json"),
    merges: read("merges.txt"),
  });
}, 60_000); // building and loading take longer on a busy machine than the 10 s default

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (lib) removeSite(lib);
});

/** Starts serve.mjs on a free port with the library bundled into a temporary /lib/, and opens the page. */
async function openExample(): Promise<Page> {
  lib = mkdtempSync(join(tmpdir(), "encoder-pooling-example-"));
  writeFileSync(join(lib, "index.js"), await bundle("src/index.ts"));
  server = start(process.execPath, [join(ROOT, "examples", "browser", "serve.mjs"), "--port", "0", "--lib", lib]);
  url = await withDeadline((async () => {
    for (;;) {
      const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(server!.output().stdout)?.[0];
      if (found !== undefined) return found;
      if (server!.child.exitCode !== null) throw new Error(`serve.mjs exited: ${server!.output().stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), 20_000, "waiting for serve.mjs to listen");
  browser = await launchChromium();
  const opened = await browser.newPage({ viewport: { width: 1040, height: 900 } });
  const errors: string[] = [];
  opened.on("pageerror", (err) => errors.push(String(err)));
  await opened.goto(url);
  await opened.waitForSelector("body[data-runs]", { timeout: 60_000 }).catch(() => {
    throw new Error(`the page did not finish: ${errors.join("; ") || "no page error"}`);
  });
  return opened;
}

/** The page's texts, as app.js splits them. */
async function textsOf(p: Page): Promise<string[]> {
  const value = await p.inputValue("#texts");
  return value.split("\n").map((t) => t.trim()).filter((t) => t !== "");
}

/** Node's cosine similarities of every pair, row-major. */
async function nodeSimilarities(texts: string[], pooling: string | object): Promise<number[]> {
  const { vectors } = await model.embed(texts, { pooling, normalize: true });
  return vectors.flatMap((u) => vectors.map((v) => u.reduce((s, x, i) => s + x * v[i]!, 0)));
}

async function expectSimilarities(p: Page, pooling: string): Promise<void> {
  const shown = await p.$$eval("#similarity td[data-cos]", (tds) => tds.map((td) => Number((td as unknown as Tagged).dataset.cos)));
  const expected = await nodeSimilarities(await textsOf(p), pooling);
  expect(shown).toHaveLength(expected.length);
  shown.forEach((value, k) => expect(Math.abs(value - expected[k]!), `${pooling}, cell ${k}: ${value} vs Node's ${expected[k]}`).toBeLessThanOrEqual(TOLERANCE));
}

/** Picks a folder in a <input webkitdirectory> and waits for the page to run again (or, with `runs` false, to say why not). */
async function upload(p: Page, selector: string, dir: string, runs = true): Promise<void> {
  const before = await p.getAttribute("body", "data-runs");
  await p.setInputFiles(selector, dir);
  if (runs) {
    await p.waitForFunction((previous) => document.body.dataset.runs !== previous, before);
    const error = await p.$eval("#status", (s) => (s.className === "error" ? s.textContent : null));
    if (error !== null) throw new Error(`the page says: ${error}`);
  } else {
    await p.waitForSelector("#status.error");
  }
}

async function choose(p: Page, pooling: string): Promise<void> {
  const runs = await p.getAttribute("body", "data-runs");
  await p.selectOption("#pooling", pooling);
  await p.waitForFunction((before) => document.body.dataset.runs !== before, runs);
  const error = await p.$eval("#status", (s) => (s.className === "error" ? s.textContent : null));
  if (error !== null) throw new Error(`the page says: ${error}`);
}

const chromium = findExecutable(CHROMIUM, "apt-get install chromium");

describe("the pooling explorer (examples/browser/)", () => {
  testWhereFound("Chromium", chromium, "loads the shipped model and shows Node's similarities, pooler by pooler, and layer by layer", async () => {
    page = await openExample();
    expect(await page.textContent("#status")).toMatch(/6 layers × 64 units/);
    await expectSimilarities(page, "mean");
    // layer by layer: cos(mean of layer l, text 1; text 2) for l = 0…L, as concat of one layer's mean in Node
    const layers = await page.$$eval("#layers [data-value]", (spans) => spans.map((s) => Number((s as unknown as Tagged).dataset.value)));
    const texts = await textsOf(page);
    expect(layers).toHaveLength(model.dims.numLayers + 1);
    for (let l = 0; l <= model.dims.numLayers; l++) {
      const pair = await nodeSimilarities(texts.slice(0, 2), { type: "concat", layers: [l], token: "mean" });
      expect(Math.abs(layers[l]! - pair[1]!), `layer ${l}`).toBeLessThanOrEqual(TOLERANCE);
    }
    for (const pooling of ["cls", "max", "mean-max", "gem", "weighted-layer", "layer-attention", "attention"]) {
      await choose(page, pooling);
      await expectSimilarities(page, pooling);
    }
    // attention: the shading is the pooler's softmax, one share per token, summing to 1 for each text
    const shares = await page.$$eval("#listening .shaded", (rows) => rows.map((row) => [...row.querySelectorAll("span")].map((s) => Number(/([\d.]+) %$/.exec(s.title)![1]))));
    for (const row of shares) expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(100, 0);
    expect(await page.$$eval("#tokens tr", (rows) => rows.length)).toBeGreaterThan(3);

    const image = await page.screenshot({ fullPage: true });
    const target = !existsSync(SCREENSHOT) || process.env.UPDATE_SCREENSHOTS === "1" ? SCREENSHOT : join(lib, "browser-example.png");
    mkdirSync(join(target, ".."), { recursive: true });
    writeFileSync(target, image);
    console.log(`screenshot of the pooling explorer: ${target}`);
  }, 180_000);

  testWhereFound("Chromium, folders dropped in", chromium, "a model folder, a trained head folder (its pooler and predictions), and a head of another model refused by name", async () => {
    page ??= await openExample();
    // the shipped model again, as a reader would pick a folder: the page now names it
    await upload(page, "#model-folder", MODEL_DIR);
    expect(await page.textContent("#status")).toMatch(/^default: 6 layers × 64 units/);
    await expectSimilarities(page, "mean");

    // a head folder made here: an attention pooler and a two-class head with seeded weights
    const pooler = createPooler({ type: "attention", hiddenSize: 8 }, model.dims, { seed: 3 });
    const head = createHead("classification", model.dims.hiddenSize, 2, { seed: 3 });
    const config: HeadConfig = {
      format: "encoder-pooling head 1", pooling: pooler.spec, head: { kind: "classification", inputSize: model.dims.hiddenSize, outputSize: 2, dropout: 0 },
      task: "classification", labels: { task: "classification", numOutputs: 2, classes: ["animals", "money"] }, encoder: model.dims,
      model: "default", maxLength: 512, textField: "text", labelField: "label",
    };
    const folder = headFiles(config, trainableParameters(pooler, head), {});
    const dir = join(lib, "my-head");
    mkdirSync(dir);
    for (const [name, content] of Object.entries(folder)) writeFileSync(join(dir, name), content);
    await upload(page, "#head-folder", dir);
    expect(await page.inputValue("#pooling")).toBe("trained");
    const trained = loadHeadFiles(folder, model.dims, { dir: "my-head", model: "default" });
    const texts = await textsOf(page);
    const shown = await page.$$eval("#similarity td[data-cos]", (tds) => tds.map((td) => Number((td as unknown as Tagged).dataset.cos)));
    const { vectors } = await model.embed(texts, { pooling: trained.pooler.spec, params: trained.pooler.parameters, normalize: true });
    const expected = vectors.flatMap((u) => vectors.map((v) => u.reduce((sum, x, i) => sum + x * v[i]!, 0)));
    shown.forEach((value, k) => expect(Math.abs(value - expected[k]!), `trained pooler, cell ${k}`).toBeLessThanOrEqual(TOLERANCE));
    // the head's predictions under each text, as Node makes them from the raw pooled vectors
    const raw = await model.embed(texts, { pooling: trained.pooler.spec, params: trained.pooler.parameters });
    const predictions = trained.labels.decode(trained.head.forward({ data: raw.data, shape: [raw.count, raw.dim] }).logits.data) as Array<{ label: string; probabilities: Record<string, number> }>;
    const lines = await page.$$eval("#listening .prediction", (divs) => divs.map((d) => d.textContent));
    expect(lines).toEqual(predictions.map((p) => `→ ${p.label} (p = ${p.probabilities[p.label]!.toFixed(2)})`));

    // a head trained on another encoder (2 layers × 16): refused with the typed error, naming the folder
    await upload(page, "#head-folder", join(ROOT, "test", "fixtures", "training", "seed-head"), false);
    expect(await page.textContent("#status")).toMatch(/^TrainingError: seed-head .*2 layers and hidden size 16, but this model has 6 layers and hidden size 64/);
  }, 180_000);
});
