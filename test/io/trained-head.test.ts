// One head format everywhere, from the library: loadHead(dir) / saveHead(dir, head) / head.predict(texts)
// / model.embed(texts, { head }), round trips, and a head trained here that PyTorch loaded by name
// (test/fixtures/make_head_fixture.py, part 2): the same pooled vectors and logits.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/io/load-model.js";
import { readHeadFolder } from "../../src/io/head-folder.js";
import { loadHead, saveHead } from "../../src/io/trained-head.js";
import { TrainedHead } from "../../src/train/trained-head.js";
import { expectClose } from "../helpers.js";
import { freshDir, TINY } from "../cli/training-helpers.js";

const OUR_HEAD = join(import.meta.dirname, "..", "fixtures", "training", "our-head");
const expected = JSON.parse(readFileSync(join(OUR_HEAD, "expected.json"), "utf8")) as {
  texts: string[]; ids: number[][]; classes: string[]; pooled: number[][]; logits: number[][];
};
// float32 encoder, attention pooling and a linear head against PyTorch's float32
const ATOL = 1e-5;

describe("a head trained here, loaded by PyTorch (strict load_state_dict)", () => {
  it("gives PyTorch's pooled vectors and logits: head.embed, model.embed({ head }), head.logits", async () => {
    const head = await loadHead(OUR_HEAD, { model: TINY });
    expect(head.model.tokenize(expected.texts).map((e) => e.inputIds)).toEqual(expected.ids);
    const own = await head.embed(expected.texts);
    expectClose(own.data, expected.pooled.flat(), ATOL, "head.embed");
    const viaModel = await head.model.embed(expected.texts, { head });
    expect(Array.from(viaModel.data)).toEqual(Array.from(own.data));
    const logits = await head.logits(expected.texts);
    expect([logits.count, logits.outputs]).toEqual([expected.texts.length, expected.classes.length]);
    expectClose(logits.data, expected.logits.flat(), ATOL, "head.logits");
  });

  it("predicts the argmax class with softmax probabilities, for one text or a list", async () => {
    const head = await loadHead(OUR_HEAD, { model: await loadModel(TINY) });
    const predictions = await head.predict(expected.texts);
    predictions.forEach((p, i) => {
      const row = expected.logits[i]!;
      expect(p).toMatchObject({ label: expected.classes[row.indexOf(Math.max(...row))] });
      const probabilities = (p as { probabilities: Record<string, number> }).probabilities;
      const z = row.reduce((s, x) => s + Math.exp(x), 0);
      expected.classes.forEach((c, j) => expect(probabilities[c]).toBeCloseTo(Math.exp(row[j]!) / z, 5));
    });
    expect(await head.predict(expected.texts[0]!)).toEqual([predictions[0]]);
    expect(await head.predict([])).toEqual([]);
  });
});

describe("loadHead / saveHead round trips", () => {
  it("saveHead(dir, loadHead(dir)) writes the same head: same bytes, same predictions", async () => {
    const head = await loadHead(OUR_HEAD, { model: TINY });
    const copy = join(freshDir(), "copy");
    await saveHead(copy, head);
    expect(readFileSync(join(copy, "head.safetensors"))).toEqual(readFileSync(join(OUR_HEAD, "head.safetensors")));
    // the same config, plus the manifest every head folder now carries (this fixture predates it)
    const { files, ...config } = JSON.parse(readFileSync(join(copy, "pooling.json"), "utf8")) as Record<string, unknown>;
    expect(config).toEqual(JSON.parse(readFileSync(join(OUR_HEAD, "pooling.json"), "utf8")));
    expect(files).toEqual({
      "head.safetensors": { bytes: statSync(join(copy, "head.safetensors")).size, crc32: expect.stringMatching(/^[0-9a-f]{8}$/) },
      "training.json": { bytes: statSync(join(copy, "training.json")).size, crc32: expect.stringMatching(/^[0-9a-f]{8}$/) },
    });
    const again = await loadHead(copy, { model: TINY });
    expect(await again.predict(expected.texts)).toEqual(await head.predict(expected.texts));
    await expect(saveHead(copy, head)).rejects.toThrow(/already holds .*--force/);
    await saveHead(copy, head, { force: true });
  });

  it("TrainedHead.fromFiles / toFiles work on in-memory files (no file system), and refuse another model's shape", async () => {
    const model = await loadModel(TINY);
    const files = await readHeadFolder(OUR_HEAD);
    const head = TrainedHead.fromFiles(files, model, "our-head");
    expect(head.toFiles()["head.safetensors"]).toEqual(files["head.safetensors"]);
    const other = await loadModel();
    expect(() => TrainedHead.fromFiles(files, other, "our-head", "the shipped model")).toThrow(
      /our-head \(with the model the shipped model\): trained for an encoder with 2 layers and hidden size 16, but this model has 6 layers and hidden size 64/,
    );
    await expect(other.embed(["a"], { head })).rejects.toThrow(/our-head was trained for an encoder with 2 layers and hidden size 16/);
    await expect(model.embed(["a"], { head, pooling: "mean" })).rejects.toThrow(/give a head or a pooling/);
  });

  it("embedding with a head uses the token limit it was trained with", async () => {
    const head = await loadHead(OUR_HEAD, { model: TINY });
    expect(head.maxLength).toBe(head.config.maxLength > 38 ? 38 : head.config.maxLength);
    const long = Array.from({ length: 60 }, () => "the sea").join(" ");
    const warnings: string[] = [];
    await head.embed([long], { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([`truncated to ${head.maxLength} tokens`]);
  });
});
