// A .npy reader written from the format spec, independently of the encoder under test.

/** Parses a .npy file by the letter of the format spec, independently of the encoder under test. */
export function readNpy(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  const version = [bytes[6], bytes[7]];
  const headerLen = view.getUint16(8, true);
  const header = new TextDecoder("latin1").decode(bytes.subarray(10, 10 + headerLen));
  const dataOffset = 10 + headerLen;
  const m = /^\{'descr': '([^']+)', 'fortran_order': (True|False), 'shape': \((\d+), (\d+)\), \}( *)\n$/.exec(header);
  if (m === null) throw new Error(`unparseable npy header ${JSON.stringify(header)}`);
  const shape = [Number(m[3]), Number(m[4])];
  const data = new Float32Array(shape[0]! * shape[1]!);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataOffset + 4 * i, true);
  return { magic, version, dataOffset, descr: m[1], fortranOrder: m[2], shape, data, trailing: bytes.length - dataOffset - 4 * data.length };
}
