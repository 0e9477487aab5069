import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseRobertaConfig } from "../../src/encoder/config.js";
import { RobertaModel, robertaPositionIds, validateRobertaInputs, type RobertaInputs } from "../../src/encoder/roberta.js";
import { loadModel } from "../../src/io/load-model.js";
import type { Backend } from "../../src/tensor/backend.js";
import { JsBackend, jsBackend } from "../../src/tensor/js-backend.js";
import { TEST_BACKENDS } from "../tensor/backends.js";
import { expectClose } from "../helpers.js";
import { CASES, expectedData, readCase } from "./fixtures.js";

// Golden parity with the torch-ops reference of make_encoder_fixtures.py on every backend that runs here
// (js, the naive js, wasm on 1 and 2 threads). Every position is compared (real tokens and padding alike:
// both follow the same HF math), atol 1e-4; results are bit-identical run to run, and every activation
// the forward allocated is freed when it returns.
const ATOL = 1e-4;

for (const { label, backend, reason } of TEST_BACKENDS) {
  describe.skipIf(backend === null)(`RobertaModel golden parity on ${label}${backend === null ? ` (skipped: ${reason})` : ""}`, () => {
    const be = backend!;
    for (const name of CASES) {
      it(name, () => {
        const c = readCase(name);
        const logs: string[] = [];
        const empty = be.memoryInUse();
        const model = RobertaModel.load(c.configText, c.modelBytes, { source: c.dir, log: (m) => logs.push(m), backend: be });
        const before = be.memoryInUse();
        const out = model.forward(c.inputs);
        expect(be.memoryInUse(), "every activation is freed after the forward").toBe(before);
        const L = model.config.numHiddenLayers;
        expect(out.hiddenStates.length).toBe(L + 1);
        expect(out.lastHiddenState).toBe(out.hiddenStates[L]);
        for (let i = 0; i <= L; i++) {
          expect(out.hiddenStates[i]!.shape).toEqual([c.inputs.batchSize, c.inputs.seqLen, model.config.hiddenSize]);
          expectClose(out.hiddenStates[i]!.data, expectedData(c, `hidden_states.${i}`), ATOL, `${name} hidden_states.${i}`);
        }
        const hasPooler = c.expected.has("pooler_output");
        expect(model.hasPooler).toBe(hasPooler);
        if (hasPooler) {
          expect(out.poolerOutput!.shape).toEqual([c.inputs.batchSize, model.config.hiddenSize]);
          expectClose(out.poolerOutput!.data, expectedData(c, "pooler_output"), ATOL, `${name} pooler_output`);
        } else {
          expect(out.poolerOutput).toBeNull();
        }
        if (name === "prefixed-lm-head") {
          expect(logs.join("\n")).toMatch(/lm_head\.decoder\.weight/);
          expect(logs.join("\n")).toMatch(/roberta\.embeddings\.position_ids/);
        } else {
          expect(logs).toEqual([]);
        }
        // bit-identical run to run; only the last hidden state when asked
        const again = model.forward(c.inputs);
        for (let i = 0; i <= L; i++) expect(again.hiddenStates[i]!.data).toEqual(out.hiddenStates[i]!.data);
        const last = model.forward(c.inputs, { outputHiddenStates: false });
        expect("hiddenStates" in last).toBe(false);
        expect(last.lastHiddenState.data).toEqual(out.lastHiddenState.data);
        expect(last.poolerOutput?.data ?? null).toEqual(out.poolerOutput?.data ?? null);
        model.dispose();
        expect(be.memoryInUse(), "dispose frees the weights").toBe(empty);
      });
    }

    it("a row with an all-zero attention mask gives finite values (uniform attention, as HF)", () => {
      const c = readCase("pad-id-0");
      expect(Array.from(c.inputs.attentionMask.subarray(3 * c.inputs.seqLen))).toEqual(new Array(c.inputs.seqLen).fill(0));
      const out = RobertaModel.load(c.configText, c.modelBytes, { backend: be }).forward(c.inputs);
      for (const h of out.hiddenStates) expect(h.data.every(Number.isFinite)).toBe(true);
      expect(out.poolerOutput!.data.every(Number.isFinite)).toBe(true);
    });
  });
}

describe("the forward goes through the backend", () => {
  it("one call per op: fused qkv linear, attention, residual LayerNorms, GELU fused into the intermediate linear", () => {
    const c = readCase("f32-pooler");
    const calls = new Map<string, number>();
    const counting = new Proxy(jsBackend, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          const label = key === "linear" && args[5] === true ? "linear+gelu" : String(key);
          calls.set(label, (calls.get(label) ?? 0) + 1);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const model = RobertaModel.load(c.configText, c.modelBytes, { backend: counting });
    calls.clear();
    const out = model.forward(c.inputs);
    const L = model.config.numHiddenLayers;
    // 4 + 1 scratch arrays (qkv and the intermediate activations share one, ctx and a another), the mask
    // and the pooler's input are uploaded, every hidden state downloaded
    expect(Object.fromEntries(calls)).toEqual({
      alloc: 5, view: 2, upload: 2, free: 7, download: L + 2,
      embeddingSum: 1, addLayerNorm: 2 * L + 1, linear: 3 * L + 1, "linear+gelu": L, attention: L, tanh: 1,
    });
    expectClose(out.lastHiddenState.data, expectedData(c, "last_hidden_state"), ATOL, "counting backend");
  });

  it("the fast js kernels agree with the naive ones on every fixture (atol 1e-5)", () => {
    const naive = new JsBackend({ naive: true });
    for (const name of CASES) {
      const c = readCase(name);
      const fast = RobertaModel.load(c.configText, c.modelBytes).forward(c.inputs).lastHiddenState.data;
      const slow = RobertaModel.load(c.configText, c.modelBytes, { backend: naive }).forward(c.inputs).lastHiddenState.data;
      expectClose(fast, slow, 1e-5, `${name}: js vs js-naive`);
    }
  });
});

describe("robertaPositionIds", () => {
  it("counts real tokens from pad + 1 and leaves padding at pad, on either side", () => {
    // pad = 1: right-padded row, left-padded row, a pad id inside a row
    const ids = new Int32Array([5, 6, 7, 1, 1, 1, 5, 6, 5, 1, 6, 1]);
    expect(Array.from(robertaPositionIds(ids, 3, 4, 1))).toEqual([2, 3, 4, 1, 1, 1, 2, 3, 2, 1, 3, 1]);
  });
  it("uses pad_token_id 0 as the offset", () => {
    expect(Array.from(robertaPositionIds(new Int32Array([4, 4, 0]), 1, 3, 0))).toEqual([1, 2, 0]);
  });
});

describe("bad inputs are refused before any work", () => {
  const c = readCase("f32-pooler"); // vocab 64, pad 1, max_position_embeddings 20 -> at most 18 tokens
  const config = parseRobertaConfig(c.configText, "config.json");
  const model = RobertaModel.load(c.configText, c.modelBytes);
  const inputs = (B: number, T: number, fill = 5): RobertaInputs => ({
    inputIds: new Int32Array(B * T).fill(fill),
    attentionMask: new Int32Array(B * T).fill(1),
    batchSize: B,
    seqLen: T,
  });

  it("input_ids outside the vocabulary", () => {
    const x = inputs(2, 3);
    x.inputIds[4] = 64;
    expect(() => model.forward(x)).toThrow(InputError);
    expect(() => model.forward(x)).toThrow("input_ids[1,1] = 64 is outside the vocabulary [0, 64)");
    x.inputIds[4] = -1;
    expect(() => model.forward(x)).toThrow("input_ids[1,1] = -1");
  });
  it("attention_mask values other than 0/1", () => {
    const x = inputs(1, 3);
    x.attentionMask[2] = 2;
    expect(() => model.forward(x)).toThrow("attention_mask[0,2] = 2, expected 0 or 1");
  });
  it("empty batch and empty sequences", () => {
    expect(() => model.forward(inputs(0, 3))).toThrow("empty batch");
    expect(() => model.forward(inputs(2, 0))).toThrow("empty sequences");
  });
  it("mismatched lengths", () => {
    const x = inputs(2, 3);
    expect(() => model.forward({ ...x, attentionMask: new Int32Array(5) })).toThrow("attention_mask has 5 elements, expected [B,T] = [2,3]");
    expect(() => model.forward({ ...x, inputIds: new Int32Array(7) })).toThrow("input_ids has 7 elements");
  });
  it("sequences longer than the position table allows (max_position_embeddings - pad_token_id - 1)", () => {
    expect(() => validateRobertaInputs(config, inputs(1, 18))).not.toThrow();
    expect(() => model.forward(inputs(1, 19))).toThrow(InputError);
    expect(() => model.forward(inputs(1, 19))).toThrow("row 0 has 19 tokens, longer than the position table allows (18");
    // padding does not use positions: a long padded row with few real tokens is fine
    const padded = inputs(1, 25, 1);
    padded.inputIds.fill(7, 0, 3);
    padded.attentionMask.fill(0, 3);
    expect(model.forward(padded).lastHiddenState.data.every(Number.isFinite)).toBe(true);
  });
});

describe("every backend against the pure-TS path on the shipped model (6 layers, English text)", () => {
  const texts = [
    "The committee met on Tuesday to discuss the budget for the coming year.",
    "Rain.",
    "She walked slowly along the river, watching the boats drift past the old mill, and thought of nothing at all for a while.",
  ];
  const run = async (backend: Backend): Promise<Float32Array[]> => {
    const model = await loadModel(undefined, { backend });
    const [batch] = [...model.batches(model.tokenize(texts), texts.length)];
    return model.encoder.forward(batch!).hiddenStates.map((h) => h.data);
  };
  const available = TEST_BACKENDS.filter((b) => b.backend !== null && b.label !== "js");

  for (const { label, backend } of available) {
    it(`${label}: every hidden state within 1e-4 of js`, async () => {
      const [reference, other] = [await run(jsBackend), await run(backend!)];
      other.forEach((h, i) => expectClose(h, reference[i]!, 1e-4, `${label} hidden_states.${i}`));
    });
  }

  const wasm = available.filter((b) => b.label.startsWith("wasm"));
  it.skipIf(wasm.length < 2)("wasm gives the same bits on 1 and 2 threads", async () => {
    const [one, two] = [await run(wasm[0]!.backend!), await run(wasm[1]!.backend!)];
    two.forEach((h, i) => expect(h, `hidden_states.${i}`).toEqual(one[i]));
  });
});
