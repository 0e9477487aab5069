// Writing NumPy .npy files (format version 1.0), so that `numpy.load` reads our embeddings directly.
// Layout (numpy/lib/format.py): the magic "\x93NUMPY", version bytes 1 and 0, a little-endian uint16
// HEADER_LEN, then HEADER_LEN bytes of an ASCII Python dict literal padded with spaces and ending in
// "\n" so that the data starts at a multiple of 64 bytes, then the raw array data.
// Pure: returns bytes.
import { InputError } from "../errors.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const PREAMBLE = MAGIC.length + 2 + 2; // magic + version + HEADER_LEN
const ALIGNMENT = 64;

/**
 * The header of a version 1.0 .npy file for a float32 matrix (rows, cols): dtype `<f4`, C order. Its
 * length is a multiple of 64 and is the same (128 bytes) for every shape up to 10^40 rows, so a file
 * written row by row can start with the header of (0, cols) and have it rewritten in place at the end.
 * @example npyHeaderFloat32(2, 3).length // 128
 */
export function npyHeaderFloat32(rows: number, cols: number): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  // Pad with spaces so that preamble + header (including its final "\n") is a multiple of 64.
  const unpadded = PREAMBLE + dict.length + 1;
  const header = dict + " ".repeat((ALIGNMENT - (unpadded % ALIGNMENT)) % ALIGNMENT) + "\n";
  const out = new Uint8Array(PREAMBLE + header.length);
  out.set(MAGIC, 0);
  out[6] = 1; // major version
  out[7] = 0; // minor version
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[PREAMBLE + i] = header.charCodeAt(i);
  return out;
}

/**
 * Encodes a row-major float32 matrix as a version 1.0 .npy file: dtype `<f4`, C order, shape (rows, cols).
 * @example encodeNpyFloat32(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3) // numpy.load gives a (2, 3) float32 array
 */
export function encodeNpyFloat32(data: Float32Array, rows: number, cols: number): Uint8Array {
  if (data.length !== rows * cols) {
    throw new InputError(`encodeNpyFloat32: data has ${data.length} values, shape [${rows},${cols}] needs ${rows * cols}`);
  }
  const header = npyHeaderFloat32(rows, cols);
  const out = new Uint8Array(header.length + data.length * 4);
  out.set(header, 0);
  const view = new DataView(out.buffer);
  // Explicitly little-endian, whatever the host's byte order.
  for (let i = 0; i < data.length; i++) view.setFloat32(header.length + 4 * i, data[i]!, true);
  return out;
}
