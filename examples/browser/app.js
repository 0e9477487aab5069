// The pooling explorer: loads a model in the page, runs the encoder once on the texts typed, and draws
// what each step holds — the token vectors, the share of each token in the pooled vector, the layer
// weights of the poolers that mix layers, the cosine similarities, and the similarity layer by layer.
// Plain ES modules, no framework and no build step: "encoder-pooling" is the library's dist/src/ (see
// serve.mjs). Everything a reader sees is computed here from the library's public API.
import { createPooler, loadHeadFiles, loadModelFromBuffers, loadModelFromUrl } from "encoder-pooling";

/** The poolers offered, and one paragraph each on how it turns token vectors into one vector (docs/pooling.md has the rest). */
const POOLERS = {
  mean: "mean averages the real tokens of the last layer: every token counts the same. The strongest parameter-free baseline for frozen features.",
  cls: "cls keeps the first token, <s>, of the last layer. RoBERTa never trained that token to summarise the text, so it shines only after fine-tuning.",
  max: "max keeps, for each hidden unit, the largest value over the tokens. The shading counts how many of the units each token wins.",
  "mean-max": "mean-max puts the mean and the max side by side (twice as wide). The shading is half the mean's even share and half the max's wins.",
  attention: "attention scores each token with a small network (tanh(W₁x + b₁) · w₂) and takes the softmax-weighted sum. Untrained, the weights are its seeded start; a trained head folder shows what it learned.",
  "weighted-mean": "weighted-mean weighs the k-th real token by k: later tokens have seen more of the text.",
  "mean-sqrt-len": "mean-sqrt-len sums the tokens and divides by √n: like the mean, but longer texts get longer vectors.",
  gem: "gem (generalised mean) raises each value to the power p (3 here) before averaging, so large values count more: between the mean (p = 1) and the max (p → ∞).",
  "last-token": "last-token keeps the last real token, </s> here: the choice for decoder models, whose last token has read everything.",
  "weighted-layer": "weighted-layer averages the first token over the top layers with learned weights (the bars; all 1 until trained).",
  "layer-attention": "layer-attention scores the first token of every layer and takes the softmax-weighted sum over layers: the bars are its weights for the first text.",
};

const $ = (id) => document.getElementById(id);
let model = null;
let modelName = "the shipped test model (weights/default)";
/** A trained head folder's pooler, head and labels (loadHeadFiles), or null. */
let trained = null;
let runs = 0;

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

/** Runs the encoder once on every text and everything the page draws from it. */
function analyse(texts, poolerName) {
  const encodings = model.tokenize(texts);
  // one padded batch of every text, longest first (as model.embed batches them); row b is text indices[b]
  const [batch] = model.batches(encodings, texts.length);
  const { hiddenStates } = model.encoder.forward(batch);
  const pooler = poolerName === "trained" ? trained.pooler : createPooler(poolerName, model.dims);
  const { pooled, cache: wrapped } = pooler.forward({ hiddenStates, attentionMask: batch.attentionMask });
  // the pooler's own forward cache (opaque to callers; read here only to draw attention probabilities)
  const cache = wrapped.inner;
  const rowOf = texts.map((_, i) => batch.indices.indexOf(i));
  const D = pooler.outputSize;
  const vectors = rowOf.map((b) => pooled.data.slice(b * D, (b + 1) * D));
  return { texts, encodings, batch, hiddenStates, pooler, cache, rowOf, vectors };
}

function cosine(u, v) {
  let dot = 0, uu = 0, vv = 0;
  for (let i = 0; i < u.length; i++) {
    dot += u[i] * v[i];
    uu += u[i] * u[i];
    vv += v[i] * v[i];
  }
  return dot / Math.sqrt(uu * vv);
}

/** Token i's share of the pooled vector of text `textIndex`, per the pooler's own rule (they sum to 1). */
function tokenShares(a, textIndex) {
  const { batch, hiddenStates, pooler, cache, rowOf } = a;
  const b = rowOf[textIndex];
  const T = batch.seqLen;
  const H = model.dims.hiddenSize;
  const L = model.dims.numLayers;
  const n = a.encodings[textIndex].inputIds.length; // real tokens: padding is on the right
  const uniform = () => Array.from({ length: n }, () => 1 / n);
  const only = (t) => Array.from({ length: n }, (_, i) => (i === t ? 1 : 0));
  // for each hidden unit, which token holds the largest value: the unit's winner under max pooling
  const maxWins = () => {
    const wins = new Array(n).fill(0);
    const x = hiddenStates[L].data;
    for (let h = 0; h < H; h++) {
      let best = 0;
      for (let t = 1; t < n; t++) if (x[(b * T + t) * H + h] > x[(b * T + best) * H + h]) best = t;
      wins[best] += 1 / H;
    }
    return wins;
  };
  const spec = pooler.spec;
  switch (spec.type) {
    case "cls":
      return only(0);
    case "last-token":
      return only(n - 1);
    case "mean":
    case "mean-sqrt-len":
      return uniform();
    case "weighted-mean":
      return Array.from({ length: n }, (_, t) => (t + 1) / ((n * (n + 1)) / 2));
    case "max":
      return maxWins();
    case "mean-max":
      return maxWins().map((w) => 0.5 * w + 0.5 / n);
    case "attention":
      // the attention pooler's softmax probabilities [B,T] (its forward cache, read here for the picture)
      return Array.from({ length: n }, (_, t) => cache.probs[b * T + t]);
    case "gem": {
      // token t's share of Σ_t max(x, eps)^p, averaged over the units
      const p = pooler.parameters.get("p").data[0];
      const x = hiddenStates[L].data;
      const shares = new Array(n).fill(0);
      for (let h = 0; h < H; h++) {
        const z = Array.from({ length: n }, (_, t) => Math.max(x[(b * T + t) * H + h], spec.eps) ** p);
        const sum = z.reduce((s, v) => s + v, 0);
        z.forEach((v, t) => (shares[t] += v / sum / H));
      }
      return shares;
    }
    case "weighted-layer":
      return spec.token === "cls" ? only(0) : uniform();
    case "layer-attention":
      return only(0);
    default:
      return null; // lstm, concat, combine: no single share per token
  }
}

/** The layer weights of a pooler that mixes layers, as [label, weight] pairs, or null. */
function layerWeights(a) {
  const { pooler, cache, rowOf } = a;
  const L = model.dims.numLayers;
  if (pooler.spec.type === "weighted-layer") {
    const w = pooler.parameters.get("layer_weights").data;
    const sum = w.reduce((s, v) => s + v, 0);
    return Array.from(w, (v, i) => [`layer ${pooler.spec.layerStart + i}`, v / sum]);
  }
  if (pooler.spec.type === "layer-attention") {
    // softmax over layers 1…L, [B,L], for the first text
    const b = rowOf[0];
    return Array.from({ length: L }, (_, l) => [`layer ${l + 1}`, cache.probs[b * L + l]]);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Drawing

/** Red for positive, blue for negative, white for 0; `scale` is the magnitude of full colour. */
function diverging(v, scale) {
  const k = Math.min(1, Math.abs(v) / scale);
  const fade = Math.round(255 * (1 - k));
  return v >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

function el(tag, { dataset = {}, ...props } = {}, children = []) {
  const e = Object.assign(document.createElement(tag), props);
  Object.assign(e.dataset, dataset);
  for (const c of children) e.append(c);
  return e;
}

function heatRow(label, values, scale, title = "") {
  return el("tr", {}, [
    el("th", { textContent: label, title }),
    ...Array.from(values, (v) => el("td", { className: "cell", title: v.toFixed(4), style: `background:${diverging(v, scale)}` })),
  ]);
}

function drawTokens(a) {
  const i = Number($("token-text").value) || 0;
  const b = a.rowOf[i];
  const { seqLen: T } = a.batch;
  const H = model.dims.hiddenSize;
  const x = a.hiddenStates[model.dims.numLayers].data;
  const tokens = a.encodings[i].tokens;
  let scale = 0;
  for (let t = 0; t < tokens.length; t++) for (let h = 0; h < H; h++) scale = Math.max(scale, Math.abs(x[(b * T + t) * H + h]));
  const rows = tokens.map((token, t) => heatRow(readable(token), x.subarray((b * T + t) * H, (b * T + t + 1) * H), scale));
  const pooledScale = a.vectors[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const spacer = el("tr", {}, [el("th", { innerHTML: "&nbsp;" })]);
  rows.push(spacer, heatRow(`${a.pooler.spec.type} →`, a.vectors[i], pooledScale, "the pooled vector of this text"));
  $("tokens").replaceChildren(el("table", { className: "heat" }, rows));
}

/** A byte-level BPE token as a reader would write it: Ġ is the space before a word. */
function readable(token) {
  return token.replace(/^Ġ/, "␣").replace(/Ċ/g, "⏎");
}

function drawListening(a) {
  const explain = $("pooler-explain");
  explain.textContent = a.pooler === trained?.pooler
    ? `The trained pooler of the head folder (${a.pooler.spec.type}), with the weights it learned; the head's prediction is under each text.`
    : POOLERS[a.pooler.spec.type];
  const predictions = trained !== null && a.pooler === trained.pooler ? predict(a) : null;
  const blocks = a.texts.map((text, i) => {
    const shares = tokenShares(a, i);
    const { tokens, offsets } = a.encodings[i];
    const max = shares === null ? 1 : Math.max(...shares);
    const spans = tokens.flatMap((token, t) => {
      const special = offsets[t][0] === offsets[t][1];
      const share = shares === null ? 0 : shares[t];
      // Ġ marks a token that starts a word: the space before it stays outside the shading
      const space = token.startsWith("Ġ") ? [" "] : [];
      return [...space, el("span", {
        textContent: special ? token : text.slice(offsets[t][0], offsets[t][1]),
        className: special ? "special" : "",
        title: `${token}: ${(100 * share).toFixed(1)} %`,
        style: `background: rgba(230, 120, 20, ${(0.85 * share) / max})`,
      })];
    });
    const children = [el("div", { className: "shaded" }, spans)];
    if (predictions !== null) children.push(el("div", { className: "prediction", textContent: `→ ${predictions[i]}` }));
    return el("div", {}, children);
  });
  $("listening").replaceChildren(...blocks);
  const weights = layerWeights(a);
  $("layer-weights").replaceChildren(...(weights === null ? [] : [el("p", { className: "explain", textContent: "Weights of the layers:" }), bars(weights)]));
}

/** The head folder's prediction for each text, as a short phrase. */
function predict(a) {
  const D = a.pooler.outputSize;
  const data = new Float32Array(a.texts.length * D);
  a.vectors.forEach((v, i) => data.set(v, i * D));
  const { logits } = trained.head.forward({ data, shape: [a.texts.length, D] });
  return trained.labels.decode(logits.data).map((p) => {
    if ("label" in p && p.probabilities !== undefined && typeof p.label === "string") return `${p.label} (p = ${p.probabilities[p.label].toFixed(2)})`;
    if ("value" in p) return `${Array.isArray(p.value) ? p.value.map((v) => v.toFixed(3)).join(", ") : p.value.toFixed(3)}`;
    return JSON.stringify(p);
  });
}

function bars(pairs) {
  const max = Math.max(...pairs.map(([, v]) => Math.abs(v)), 1e-9);
  return el("div", { className: "bars" }, pairs.flatMap(([label, v]) => [
    el("span", { textContent: label }),
    el("div", {}, [el("div", { className: "bar", style: `width:${(100 * Math.abs(v)) / max}%` })]),
    el("span", { textContent: v.toFixed(3), dataset: { value: String(v) } }),
  ]));
}

function drawSimilarity(a) {
  const short = (t) => (t.length > 28 ? `${t.slice(0, 27)}…` : t);
  // colour from the lowest similarity shown (white) to 1 (red): the ranking is what a reader compares
  const all = a.vectors.flatMap((u) => a.vectors.map((v) => cosine(u, v)));
  const low = Math.min(...all);
  const header = el("tr", {}, [el("th"), ...a.texts.map((_, j) => el("th", { textContent: `${j + 1}` }))]);
  const rows = a.texts.map((text, i) => el("tr", {}, [
    el("th", { textContent: `${i + 1}. ${short(text)}`, title: text }),
    ...a.texts.map((_, j) => {
      const c = cosine(a.vectors[i], a.vectors[j]);
      return el("td", { textContent: c.toFixed(3), dataset: { cos: String(c) }, style: `background:${diverging(c - low, 1 - low || 1)}` });
    }),
  ]));
  $("similarity").replaceChildren(el("table", { className: "sim" }, [header, ...rows]));
}

/** cos(mean of layer l's tokens, text 1; the same, text 2) for l = 0…L. */
function drawLayers(a) {
  if (a.texts.length < 2) {
    $("layers").replaceChildren(el("p", { textContent: "Type at least two texts." }));
    return;
  }
  const H = model.dims.hiddenSize;
  const T = a.batch.seqLen;
  const meanOf = (layer, i) => {
    const b = a.rowOf[i];
    const n = a.encodings[i].inputIds.length;
    const v = new Float64Array(H);
    for (let t = 0; t < n; t++) for (let h = 0; h < H; h++) v[h] += layer.data[(b * T + t) * H + h] / n;
    return v;
  };
  const pairs = a.hiddenStates.map((layer, l) => [`layer ${l}`, cosine(meanOf(layer, 0), meanOf(layer, 1))]);
  $("layers").replaceChildren(bars(pairs));
}

// ---------------------------------------------------------------------------------------------------
// Running

function run() {
  const texts = $("texts").value.split("\n").map((t) => t.trim()).filter((t) => t !== "");
  if (model === null || texts.length === 0) return;
  try {
    const started = performance.now();
    const a = analyse(texts, $("pooling").value);
    const picked = $("token-text");
    const keep = picked.value;
    picked.replaceChildren(...texts.map((t, i) => el("option", { value: String(i), textContent: `${i + 1}. ${t.slice(0, 40)}` })));
    picked.value = keep !== "" && Number(keep) < texts.length ? keep : "0";
    $("hidden-size").textContent = String(model.dims.hiddenSize);
    drawTokens(a);
    drawListening(a);
    drawSimilarity(a);
    drawLayers(a);
    picked.onchange = () => drawTokens(a);
    const { backend } = model.encoder;
    status(`${modelName}: ${model.dims.numLayers} layers × ${model.dims.hiddenSize} units, ${backend.name} backend × ${backend.threads}; ` +
      `${texts.length} texts in ${(performance.now() - started).toFixed(0)} ms`);
  } catch (err) {
    status(`${err.name}: ${err.message}`, true);
  }
  document.body.dataset.runs = String(++runs);
}

function fillPoolers() {
  const options = Object.keys(POOLERS).map((name) => el("option", { value: name, textContent: name }));
  if (trained !== null) options.unshift(el("option", { value: "trained", textContent: `trained: ${trained.pooler.spec.type} (head folder)` }));
  $("pooling").replaceChildren(...options);
  $("pooling").value = trained !== null ? "trained" : "mean";
}

/** The files of a folder picked with <input webkitdirectory>, by name (the top folder's files only). */
async function filesOf(input) {
  const byName = new Map();
  for (const file of input.files) if (file.webkitRelativePath.split("/").length === 2) byName.set(file.name, file);
  const folder = input.files[0]?.webkitRelativePath.split("/")[0] ?? "folder";
  const text = (name) => byName.get(name)?.text();
  const bytes = async (name) => (byName.has(name) ? new Uint8Array(await byName.get(name).arrayBuffer()) : undefined);
  return { folder, text, bytes };
}

$("model-folder").onchange = async (event) => {
  try {
    const { folder, text, bytes } = await filesOf(event.target);
    status(`Loading ${folder}…`);
    const files = { source: folder, config: await text("config.json"), weights: await bytes("model.safetensors") };
    for (const [key, name] of [["tokenizerJson", "tokenizer.json"], ["vocab", "vocab.json"], ["merges", "merges.txt"]]) {
      const value = await text(name);
      if (value !== undefined) files[key] = value;
    }
    const loaded = await loadModelFromBuffers(files);
    model?.dispose();
    model = loaded;
    modelName = folder;
    trained = null;
    fillPoolers();
    run();
  } catch (err) {
    status(`${err.name}: ${err.message}`, true);
  }
};

$("head-folder").onchange = async (event) => {
  try {
    const { folder, text, bytes } = await filesOf(event.target);
    const files = { "pooling.json": await text("pooling.json"), "head.safetensors": await bytes("head.safetensors") };
    trained = loadHeadFiles(files, model.dims, { dir: folder, model: modelName });
    fillPoolers();
    run();
  } catch (err) {
    status(`${err.name}: ${err.message}`, true);
  }
};

$("run").onclick = run;
$("pooling").onchange = run;
fillPoolers();
try {
  // the model folder served at ./model/ (tokenizer.json when there is one, else vocab.json + merges.txt)
  model = await loadModelFromUrl(new URL("model/", location.href));
  run();
} catch (err) {
  status(`${err.name}: ${err.message}`, true);
  document.body.dataset.runs = "error";
}
