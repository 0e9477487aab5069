// Half-size and int8 weights against Float32 on the shipped model (weights/default) with real English
// text: the max abs error of the last hidden state, and the cosine of mean-pooled vectors per text.
// Floors: cosine ≥ 0.9999 for f16, ≥ 0.999 for bf16 and int8 (issue 8); max abs error as measured,
// with headroom. Every backend that runs here is measured against its own f32 run.
import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/io/load-model.js";
import type { EncoderModel } from "../../src/pipeline/model.js";
import { TEST_BACKENDS } from "../tensor/backends.js";

/** Sentences from ordinary English prose, short and long, so that most tokens are whole words of the vocabulary. */
export const TEXTS = [
  "The committee met on Tuesday to discuss the budget for the coming year.",
  "She walked slowly along the river, watching the boats drift past the old mill.",
  "It was the best of times, it was the worst of times.",
  "Prices rose sharply in the spring, and many families found it hard to pay for food and rent.",
  "He said that the report would be ready by the end of the week, but nobody believed him.",
  "Music filled the hall as the children sang together for the first time.",
  "The doctor asked a few questions, wrote something in her notes, and told him to come back in a month.",
  "Rain.",
  "In the morning the town was quiet; by noon the streets were full of people who had come from the farms and villages around it to sell what they had grown, to buy what they needed, and to hear the news.",
  "Why would anyone leave a house like that empty for so many years?",
];

interface Measured {
  maxAbs: number;
  minCosine: number;
}

/** Last hidden states of every batch, in batch order, and mean-pooled vectors. */
async function run(model: EncoderModel): Promise<{ hidden: Float32Array[]; pooled: Float32Array[] }> {
  const hidden = [...model.batches(model.tokenize(TEXTS), 4)].map((b) => model.encoder.forward(b).lastHiddenState.data);
  return { hidden, pooled: (await model.embed(TEXTS, { pooling: "mean" })).vectors };
}

function compare(a: Awaited<ReturnType<typeof run>>, b: Awaited<ReturnType<typeof run>>): Measured {
  let maxAbs = 0;
  a.hidden.forEach((h, i) => h.forEach((v, j) => (maxAbs = Math.max(maxAbs, Math.abs(v - b.hidden[i]![j]!)))));
  let minCosine = 1;
  a.pooled.forEach((u, i) => {
    const v = b.pooled[i]!;
    let dot = 0, uu = 0, vv = 0;
    for (let k = 0; k < u.length; k++) {
      dot += u[k]! * v[k]!;
      uu += u[k]! * u[k]!;
      vv += v[k]! * v[k]!;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(uu * vv));
  });
  return { maxAbs, minCosine };
}

const CASES = [
  { label: "f16", options: { dtype: "f16" as const }, cosine: 0.9999, maxAbs: 0.01 },
  { label: "bf16", options: { dtype: "bf16" as const }, cosine: 0.999, maxAbs: 0.1 },
  { label: "int8", options: { quantize: "int8" as const }, cosine: 0.999, maxAbs: 0.25 },
];

for (const { label: backendLabel, backend, reason } of TEST_BACKENDS.filter((b) => b.label !== "js-naive")) {
  describe.skipIf(backend === null)(`precision vs f32 on weights/default, ${backendLabel}${backend === null ? ` (skipped: ${reason})` : ""}`, () => {
    for (const c of CASES) {
      it(`${c.label}: cosine of mean-pooled vectors ≥ ${c.cosine}, max abs error of the last hidden state ≤ ${c.maxAbs}`, async () => {
        const f32 = await run(await loadModel(undefined, { backend: backend! }));
        const low = await run(await loadModel(undefined, { backend: backend!, ...c.options }));
        const m = compare(low, f32);
        console.log(`precision ${backendLabel} ${c.label}: max abs error ${m.maxAbs.toExponential(2)}, min cosine ${m.minCosine.toFixed(7)}`);
        expect(m.minCosine, `${c.label} min cosine`).toBeGreaterThanOrEqual(c.cosine);
        expect(m.maxAbs, `${c.label} max abs error`).toBeLessThanOrEqual(c.maxAbs);
      });
    }
  });
}
