// The RoBERTa encoder as an ONNX graph (opset 17), built from the same Hugging Face tensors our
// RobertaModel loads, so that onnxruntime-node runs exactly the model we run. It mirrors
// src/encoder/roberta.ts step by step, in plain ONNX ops (onnxruntime fuses them as it would an export
// from PyTorch):
//   position_ids   = cumsum(ids ≠ pad) · (ids ≠ pad) + pad                         (HF's create_position_ids)
//   embeddings     x = LayerNorm(word[ids] + token_type[0] + position[position_ids])
//   mask_add       [B,1,1,T] = (1 − attention_mask) · float32 min
//   layer l        q, k, v = x·Wᵀ + b, heads split by Reshape [B,T,nh,hd] + Transpose
//                  ctx = softmax(q·kᵀ / √hd + mask_add) · v, heads joined back to [B,T,H]
//                  a = LayerNorm(ctx·Woᵀ + bo + x);  x = LayerNorm(GELU(a·W1ᵀ + b1)·W2ᵀ + b2 + a)
//   GELU           exact: x · 0.5 · (1 + erf(x / √2))
// Inputs input_ids, attention_mask: int64 [batch, sequence]; output last_hidden_state: float [batch, sequence, H].
// Linear weights are stored transposed ([in,out]) so that MatMul(x, Wᵀ) needs no Transpose node.
// Legend: B batch, T tokens, H hidden, nh heads, hd head size, I intermediate, V vocab, P positions.
import type { RobertaConfig } from "../../src/encoder/config.js";
import { FLOAT, INT64, type Attribute, type OnnxGraph, type OnnxInitializer, type OnnxNode } from "./onnx.js";

/** float32's most negative finite value, the additive mask of a padding key (as HF and roberta.ts use). */
const MASK_VALUE = -3.4028234663852886e38;

/** W [out,in] (PyTorch layout) -> Wᵀ [in,out]. */
function transpose(w: Float32Array, out: number, inp: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i]!;
  }
  return t;
}

/** Nodes and initializers under construction; every node gets a unique name and output. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];

  constructor(private readonly tensor: (name: string) => Float32Array) {}

  /** Adds a node with one output named `output`; returns that name. */
  op(op: string, inputs: string[], output: string, attributes?: Record<string, Attribute>): string {
    this.nodes.push({ op, inputs, outputs: [output], name: `${op}:${output}`, ...(attributes ? { attributes } : {}) });
    return output;
  }

  constFloat(name: string, values: number[], dims: number[] = []): string {
    this.initializers.push({ name, type: FLOAT, dims, data: Float32Array.from(values) });
    return name;
  }

  constInt64(name: string, values: number[], dims: number[] = [values.length]): string {
    this.initializers.push({ name, type: INT64, dims, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }

  /** An HF tensor as an initializer under its own name. */
  weight(name: string, dims: number[]): string {
    this.initializers.push({ name, type: FLOAT, dims, data: this.tensor(name) });
    return name;
  }

  // y[B,T,out] = x[B,T,in]·Wᵀ + b, W given as `${prefix}.weight` [out,in]
  linear(x: string, prefix: string, out: number, inp: number): string {
    const wT = `${prefix}.weight.T`;
    this.initializers.push({ name: wT, type: FLOAT, dims: [inp, out], data: transpose(this.tensor(`${prefix}.weight`), out, inp) });
    const product = this.op("MatMul", [x, wT], `${prefix}/matmul`);
    return this.op("Add", [product, this.weight(`${prefix}.bias`, [out])], `${prefix}/out`);
  }

  // y = LayerNorm(x)·weight + bias over the last axis
  layerNorm(x: string, prefix: string, H: number, eps: number): string {
    const inputs = [x, this.weight(`${prefix}.weight`, [H]), this.weight(`${prefix}.bias`, [H])];
    return this.op("LayerNormalization", inputs, `${prefix}/out`, { axis: { i: -1 }, epsilon: { f: eps } });
  }
}

// position_ids[B,T] = cumsum(real, axis 1) · real + pad, with real = (input_ids ≠ pad) as int64
function positionIds(g: GraphBuilder, pad: string): string {
  const isPad = g.op("Equal", ["input_ids", pad], "position_ids/is_pad");
  const real = g.op("Cast", [g.op("Not", [isPad], "position_ids/not_pad")], "position_ids/real", { to: { i: INT64 } });
  const count = g.op("CumSum", [real, g.constInt64("axis_1", [1], [])], "position_ids/cumsum");
  return g.op("Add", [g.op("Mul", [count, real], "position_ids/counted"), pad], "position_ids");
}

// x[B,T,H] = LayerNorm(word[ids] + token_type[0] + position[position_ids])
function embeddings(g: GraphBuilder, c: RobertaConfig, tensor: (name: string) => Float32Array): string {
  const H = c.hiddenSize;
  const pad = g.constInt64("pad_token_id", [c.padTokenId], []);
  const word = g.op("Gather", [g.weight("embeddings.word_embeddings.weight", [c.vocabSize, H]), "input_ids"], "embeddings/word");
  // token_type_ids are all 0 (as in HF when none are given): row 0 of the table, broadcast over [B,T]
  const typeRow = "embeddings.token_type_embeddings.weight[0]";
  g.initializers.push({ name: typeRow, type: FLOAT, dims: [H], data: tensor("embeddings.token_type_embeddings.weight").subarray(0, H) });
  const withType = g.op("Add", [word, typeRow], "embeddings/word_and_type");
  const positionTable = g.weight("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, H]);
  const position = g.op("Gather", [positionTable, positionIds(g, pad)], "embeddings/position");
  const sum = g.op("Add", [withType, position], "embeddings/sum");
  return g.layerNorm(sum, "embeddings.LayerNorm", H, c.layerNormEps);
}

// mask_add[B,1,1,T] = (1 − attention_mask) · float32 min, added to every query's scores
function maskAdd(g: GraphBuilder): string {
  const mask = g.op("Cast", ["attention_mask"], "mask/float", { to: { i: FLOAT } });
  const inverted = g.op("Sub", [g.constFloat("one", [1]), mask], "mask/inverted");
  const add = g.op("Mul", [inverted, g.constFloat("mask_value", [MASK_VALUE])], "mask/add");
  return g.op("Unsqueeze", [add, g.constInt64("axes_1_2", [1, 2])], "mask_add");
}

// One post-LN layer: [B,T,H] -> [B,T,H]
function layer(g: GraphBuilder, c: RobertaConfig, l: number, x: string, mask: string): string {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const p = `encoder.layer.${l}`;
  const heads = "shape_B_T_nh_hd";
  // [B,T,H] -> [B,T,nh,hd] -> transposed by `perm`
  const split = (y: string, name: string, perm: number[]): string =>
    g.op("Transpose", [g.op("Reshape", [y, heads], `${p}/${name}/heads`)], `${p}/${name}/transposed`, { perm: { ints: perm } });
  const q = split(g.linear(x, `${p}.attention.self.query`, H, H), "q", [0, 2, 1, 3]); // [B,nh,T,hd]
  const kT = split(g.linear(x, `${p}.attention.self.key`, H, H), "k", [0, 2, 3, 1]); // [B,nh,hd,T]
  const v = split(g.linear(x, `${p}.attention.self.value`, H, H), "v", [0, 2, 1, 3]); // [B,nh,T,hd]
  // scores[B,nh,T,T] = q·kᵀ / √hd + mask_add;  ctx[B,nh,T,hd] = softmax(scores)·v
  const scores = g.op("Div", [g.op("MatMul", [q, kT], `${p}/scores/qk`), "sqrt_head_size"], `${p}/scores/scaled`);
  const probs = g.op("Softmax", [g.op("Add", [scores, mask], `${p}/scores`)], `${p}/probs`, { axis: { i: -1 } });
  const ctxHeads = g.op("MatMul", [probs, v], `${p}/ctx/heads`);
  const ctxT = g.op("Transpose", [ctxHeads], `${p}/ctx/transposed`, { perm: { ints: [0, 2, 1, 3] } }); // [B,T,nh,hd]
  const ctx = g.op("Reshape", [ctxT, "shape_B_T_H"], `${p}/ctx`); // [B,T,H]
  // a = LayerNorm(ctx·Woᵀ + bo + x)
  const attnOut = g.linear(ctx, `${p}.attention.output.dense`, H, H);
  const a = g.layerNorm(g.op("Add", [attnOut, x], `${p}/attention/residual`), `${p}.attention.output.LayerNorm`, H, c.layerNormEps);
  // out = LayerNorm(GELU(a·W1ᵀ + b1)·W2ᵀ + b2 + a), GELU(u) = u · 0.5 · (1 + erf(u / √2))
  const u = g.linear(a, `${p}.intermediate.dense`, I, H);
  const erf = g.op("Erf", [g.op("Div", [u, "sqrt_2"], `${p}/gelu/scaled`)], `${p}/gelu/erf`);
  const gelu = g.op("Mul", [g.op("Mul", [u, "half"], `${p}/gelu/half`), g.op("Add", [erf, "one"], `${p}/gelu/one_plus_erf`)], `${p}/gelu`);
  const down = g.linear(gelu, `${p}.output.dense`, H, I);
  return g.layerNorm(g.op("Add", [down, a], `${p}/output/residual`), `${p}.output.LayerNorm`, H, c.layerNormEps);
}

/**
 * The ONNX graph of RobertaModel (no pooler) over HF-named Float32 tensors.
 * `tensor(name)` returns a tensor's data; the graph references those arrays (Wᵀ copies for the linears).
 */
export function robertaOnnxGraph(config: RobertaConfig, tensor: (name: string) => Float32Array): OnnxGraph {
  const c = config;
  const H = c.hiddenSize;
  const nh = c.numAttentionHeads;
  const g = new GraphBuilder(tensor);
  g.constFloat("sqrt_head_size", [Math.sqrt(H / nh)]);
  g.constFloat("sqrt_2", [Math.SQRT2]);
  g.constFloat("half", [0.5]);
  g.constInt64("shape_B_T_nh_hd", [0, 0, nh, H / nh]); // Reshape: 0 keeps the input's dimension
  g.constInt64("shape_B_T_H", [0, 0, H]);
  let x = embeddings(g, c, tensor);
  const mask = maskAdd(g);
  for (let l = 0; l < c.numHiddenLayers; l++) x = layer(g, c, l, x, mask);
  g.op("Identity", [x], "last_hidden_state");
  return {
    name: "roberta",
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [
      { name: "input_ids", type: INT64, dims: ["batch", "sequence"] },
      { name: "attention_mask", type: INT64, dims: ["batch", "sequence"] },
    ],
    outputs: [{ name: "last_hidden_state", type: FLOAT, dims: ["batch", "sequence", H] }],
  };
}
