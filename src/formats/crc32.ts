// CRC-32 (IEEE 802.3, the checksum of zip and PNG): enough to tell that two files were not written
// together, which is what a head folder's manifest needs. Not a defence against tampering.

let table: Uint32Array | null = null;

/** The 256 remainders of one byte, built on first use. */
function crcTable(): Uint32Array {
  if (table !== null) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    // c = c >>> 1, xor the reversed polynomial 0xEDB88320 when the bit shifted out was 1
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of `bytes` as 8 hex digits.
 * @example crc32(new TextEncoder().encode("123456789")) // "cbf43926"
 */
export function crc32(bytes: Uint8Array): string {
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}
