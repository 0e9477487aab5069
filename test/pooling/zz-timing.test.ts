import { it } from "vitest";
import { createPooler } from "../../src/pooling/index.js";
import { createHead } from "../../src/pooling/heads.js";
import { createFeatureCache, trainPooler, LabelEncoder } from "../../src/pooling/train.js";
import { Rng } from "../../src/tensor/random.js";
it("timing", () => {
  const dims = { numLayers: 6, hiddenSize: 64 };
  const N = 4000, H = 64;
  const rng = new Rng(1);
  for (const spec of ["mean", "lstm", "weighted-layer", "attention", "gem", "layer-attention"]) {
    const pooler = createPooler(spec, dims, { seed: 1 });
    const cache = createFeatureCache(pooler.reads, dims);
    const labels: string[] = [];
    for (let i = 0; i < N; i++) {
      const len = cache.firstTokenOnly ? 1 : 50 + rng.int(300);
      cache.examples.push({ length: len, states: cache.layers.map(() => rng.fillNormal(new Float32Array(len * H), 1)) });
      labels.push(rng.next() < 0.3 ? "spam" : "ham");
    }
    const enc = LabelEncoder.fit("classification", labels);
    const head = createHead("linear", pooler.outputSize, 2, { seed: 1 });
    const t0 = performance.now();
    trainPooler(pooler, head, { features: cache, labels: enc.encode(labels, "train") }, null, { epochs: 1, batchSize: 32 });
    console.log(`${spec}: ${((performance.now() - t0) / 1000).toFixed(2)} s/epoch for ${N} examples (H=64, L=6, T~U(50,350))`);
  }
}, 600000);
