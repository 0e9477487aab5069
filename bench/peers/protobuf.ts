// The Protocol Buffers wire format, write side only: just enough to write an ONNX model (onnx.proto).
// A message is a sequence of fields; each field is a tag varint (field number << 3 | wire type) then
//   wire type 0  a varint (int32, int64, enum, bool): 7 bits a byte, low bits first, top bit = "more"
//   wire type 2  a varint byte length, then that many bytes (string, bytes, a nested message, packed list)
//   wire type 5  4 bytes little-endian (float)
// Negative int64 values are their two's complement as an unsigned 64-bit varint (10 bytes).
// A message is kept as a list of byte chunks, never concatenated: the weights of a 500 MB model are
// referenced as views of their arrays and written to the file chunk by chunk.

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

function varintBytes(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return new Uint8Array(out);
}

/** One protobuf message under construction: fields appended in order, bytes kept as chunks. */
export class ProtoMessage {
  readonly chunks: Uint8Array[] = [];
  byteLength = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.byteLength += bytes.byteLength;
  }

  private tag(field: number, wireType: number): void {
    this.push(varintBytes((field << 3) | wireType));
  }

  /** int32 / int64 / enum field. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(varintBytes(value));
    return this;
  }

  /** float field (IEEE 754 single, little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** bytes field; `bytes` is referenced, not copied, so it must not change until the message is written. */
  bytes(field: number, bytes: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.push(varintBytes(bytes.byteLength));
    this.push(bytes);
    return this;
  }

  /** string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** A nested message field. */
  message(field: number, message: ProtoMessage): this {
    this.tag(field, WIRE_BYTES);
    this.push(varintBytes(message.byteLength));
    for (const chunk of message.chunks) this.push(chunk);
    return this;
  }

  /** A repeated int64 field, packed (one length-delimited run of varints). */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const parts = values.map(varintBytes);
    const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      body.set(p, at);
      at += p.byteLength;
    }
    return this.bytes(field, body);
  }

  /** All chunks joined (for tests and small messages; large ones are written chunk by chunk). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}
