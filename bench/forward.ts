// The RoBERTa forward pass at roberta-base size (H 768, 12 layers, 12 heads, I 3072, V 50265) with random
// weights made in memory, batch 8 × 128 tokens, in tokens/s. A forward takes seconds, so benchmark.js is
// asked for few samples (its first, clocking call doubles as the warm-up).
// Before timing: the fast backend must agree with the naive kernels (linearNaive, matmulNaive) on a small
// model, and both are timed on one short batch so that the speed-up is shown beside its baseline.
// Run alone: npx tsc -p tsconfig.build.json && node dist/bench/forward.js
import { parseRobertaConfig, type RobertaConfig } from "../src/encoder/config.js";
import { initRobertaWeights } from "../src/encoder/init.js";
import { RobertaModel, type RobertaInputs } from "../src/encoder/roberta.js";
import { JsBackend, jsBackend } from "../src/tensor/choose-backend.js";
import { Rng } from "../src/tensor/random.js";
import { runIfEntryPoint, secondsPerCall } from "./timing.js";

/** A whole forward takes tens of seconds: benchmark.js's clocking call (the warm-up) plus two samples. */
const FORWARD_OPTIONS = { minSamples: 2, maxTime: 1, initCount: 1, minTime: 0.1 };
/** One layer on one sequence: a second or less per call. */
const ONE_LAYER_OPTIONS = { minSamples: 2, maxTime: 2, initCount: 1, minTime: 0.1 };

const naiveBackend = new JsBackend({ naive: true });

function robertaBaseConfig(layers = 12): RobertaConfig {
  return parseRobertaConfig(
    {
      model_type: "roberta",
      hidden_size: 768,
      num_hidden_layers: layers,
      num_attention_heads: 12,
      intermediate_size: 3072,
      hidden_act: "gelu",
      layer_norm_eps: 1e-5,
      max_position_embeddings: 514,
      type_vocab_size: 1,
      pad_token_id: 1,
      vocab_size: 50265,
    },
    "roberta-base config",
  );
}

/** B rows of T random ids (never the pad id), all real tokens. */
function randomInputs(config: RobertaConfig, B: number, T: number, rng: Rng): RobertaInputs {
  const inputIds = new Int32Array(B * T);
  for (let i = 0; i < inputIds.length; i++) inputIds[i] = 3 + rng.int(config.vocabSize - 3);
  return { inputIds, attentionMask: new Int32Array(B * T).fill(1), batchSize: B, seqLen: T };
}

// fast and naive backends on the same small model must agree before anything is timed
function checkAgainstNaive(): void {
  const config = parseRobertaConfig(
    { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, hidden_act: "gelu",
      layer_norm_eps: 1e-5, max_position_embeddings: 40, type_vocab_size: 1, pad_token_id: 1, vocab_size: 100 },
    "check config",
  );
  const tensors = initRobertaWeights(config, new Rng(7), { pooler: true, std: 0.2 });
  const inputs = randomInputs(config, 2, 24, new Rng(8));
  const fast = RobertaModel.fromTensors(config, tensors).forward(inputs).lastHiddenState.data;
  const naive = RobertaModel.fromTensors(config, tensors, { backend: naiveBackend }).forward(inputs).lastHiddenState.data;
  let maxDiff = 0;
  for (let i = 0; i < fast.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast[i]! - naive[i]!));
  if (!(maxDiff <= 1e-4)) throw new Error(`forward bench: fast and naive backends differ by ${maxDiff} (> 1e-4)`);
  console.log(`check: fast vs naive backend, max abs diff ${maxDiff.toExponential(1)} (atol 1e-4)`);
}

/** Prints tokens/s of a roberta-base-shaped forward; first checks the fast kernels against the naive ones. */
export async function runForwardBench(): Promise<void> {
  checkAgainstNaive();

  const rng = new Rng(2024);
  const started = Date.now();
  const config = robertaBaseConfig();
  const model = RobertaModel.fromTensors(config, initRobertaWeights(config, rng, { pooler: false }), { backend: jsBackend });
  console.log(`random roberta-base weights made in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // the baseline: one layer on 1 × 128 tokens, naive kernels vs the backend's
  const oneLayer = robertaBaseConfig(1);
  const oneLayerTensors = initRobertaWeights(oneLayer, new Rng(3), { pooler: false });
  const small = randomInputs(oneLayer, 1, 128, rng);
  for (const backend of [naiveBackend, jsBackend]) {
    const m = RobertaModel.fromTensors(oneLayer, oneLayerTensors, { backend });
    const s = secondsPerCall(`1 layer ${backend.name}`, () => m.forward(small), ONE_LAYER_OPTIONS);
    console.log(`1 layer, 1 × 128 tokens, ${backend.name.padEnd(5)} kernels: ${s.toFixed(2)} s (${(128 / s).toFixed(0)} tokens/s)`);
  }

  const B = 8;
  const T = 128;
  const inputs = randomInputs(config, B, T, rng);
  const perCall = secondsPerCall("roberta-base forward", () => model.forward(inputs), FORWARD_OPTIONS);
  console.log(
    `roberta-base forward, batch ${B} × ${T} tokens, ${jsBackend.name} backend: ${perCall.toFixed(2)} s per forward ` +
      `-> ${((B * T) / perCall).toFixed(0)} tokens/s`,
  );
}

await runIfEntryPoint(import.meta.url, runForwardBench);
