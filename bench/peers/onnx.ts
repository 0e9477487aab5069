// The few ONNX messages a RoBERTa graph needs, written with our protobuf writer. Field numbers are
// those of onnx/onnx.proto (IR version 8 goes with opset 17):
//   ModelProto         ir_version 1, opset_import 8, producer_name 2, graph 7
//   OperatorSetIdProto domain 1, version 2
//   GraphProto         node 1, name 2, initializer 5, input 11, output 12
//   NodeProto          input 1, output 2, name 3, op_type 4, attribute 5
//   AttributeProto     name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7)
//   TensorProto        dims 1, data_type 2, name 8, raw_data 9 (FLOAT 1, INT64 7)
//   ValueInfoProto     name 1, type 2;  TypeProto tensor_type 1;  TypeProto.Tensor elem_type 1, shape 2
//   TensorShapeProto   dim 1;  Dimension dim_value 1, dim_param 2
import { closeSync, openSync, writeSync } from "node:fs";
import { ProtoMessage } from "./protobuf.js";

export const IR_VERSION = 8;
export const OPSET = 17;

/** TensorProto.DataType values we use. */
export const FLOAT = 1;
export const INT64 = 7;
export type ElemType = typeof FLOAT | typeof INT64;

/** An attribute value: a float, an int, or a list of ints (`{ ints: [...] }`). */
export type Attribute = { f: number } | { i: number } | { ints: number[] };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, Attribute>;
}

/** A graph input or output: name, element type and dims (a string names a dynamic axis). */
export interface OnnxValue {
  name: string;
  type: ElemType;
  dims: (number | string)[];
}

/** An initializer: raw little-endian data, referenced (not copied) until the model is written. */
export interface OnnxInitializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

function attributeMessage(name: string, value: Attribute): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if ("f" in value) return m.int(20, 1).float(2, value.f);
  if ("i" in value) return m.int(20, 2).int(3, value.i);
  return m.int(20, 7).packedInts(8, value.ints);
}

function nodeMessage(node: OnnxNode): ProtoMessage {
  const m = new ProtoMessage();
  for (const input of node.inputs) m.string(1, input);
  for (const output of node.outputs) m.string(2, output);
  m.string(3, node.name).string(4, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) m.message(5, attributeMessage(name, value));
  return m;
}

function tensorMessage(t: OnnxInitializer): ProtoMessage {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return new ProtoMessage().packedInts(1, t.dims).int(2, t.type).string(8, t.name).bytes(9, raw);
}

function valueInfoMessage(v: OnnxValue): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) shape.message(1, typeof d === "number" ? new ProtoMessage().int(1, d) : new ProtoMessage().string(2, d));
  const tensorType = new ProtoMessage().int(1, v.type).message(2, shape);
  return new ProtoMessage().string(1, v.name).message(2, new ProtoMessage().message(1, tensorType));
}

/** The ModelProto of `graph` (default ONNX domain, opset 17). */
export function modelMessage(graph: OnnxGraph, producer: string): ProtoMessage {
  const g = new ProtoMessage();
  for (const node of graph.nodes) g.message(1, nodeMessage(node));
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, tensorMessage(t));
  for (const v of graph.inputs) g.message(11, valueInfoMessage(v));
  for (const v of graph.outputs) g.message(12, valueInfoMessage(v));
  return new ProtoMessage()
    .int(1, IR_VERSION)
    .string(2, producer)
    .message(7, g)
    .message(8, new ProtoMessage().int(2, OPSET)); // domain left out: the default ONNX domain
}

/** Writes a message to `path` chunk by chunk (a big model is never joined into one buffer). */
export function writeMessage(path: string, message: ProtoMessage): void {
  const fd = openSync(path, "w");
  try {
    for (const chunk of message.chunks) {
      let at = 0;
      while (at < chunk.byteLength) at += writeSync(fd, chunk, at, chunk.byteLength - at);
    }
  } finally {
    closeSync(fd);
  }
}
