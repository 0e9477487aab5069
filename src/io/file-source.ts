// Node-only: a file read by range through one file handle, so that a model file is never read whole —
// the safetensors header first (its size checked before it is read), then each tensor straight into
// the loader. Positions are plain numbers (exact to 2^53 bytes), so files over 2 GiB read like any other.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { EncoderPoolingError } from "../errors.js";
import type { ByteSource } from "../encoder/safetensors.js";

/** Bytes per readSync call: below the 2 GiB a single read may return. */
const READ_CHUNK = 1 << 30;

/** A ByteSource over an open file; `close()` it when done. */
export interface FileSource extends ByteSource {
  readonly path: string;
  close(): void;
}

/** Opens `path` for ranged reads; a missing file or a directory is an error naming it and what it was for. */
export function openFileSource(path: string, what: string): FileSource {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new EncoderPoolingError(`${what}: file not found: ${path}`);
    throw new EncoderPoolingError(`${what}: cannot open ${path}: ${(err as Error).message}`);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new EncoderPoolingError(`${what}: ${path} is ${stat.isDirectory() ? "a directory" : "not a regular file"}, expected a file`);
  }
  let open = true;
  return {
    path,
    byteLength: stat.size,
    read(dst, position) {
      if (!open) throw new EncoderPoolingError(`${what}: ${path} was read after it was closed`);
      for (let done = 0; done < dst.length; ) {
        const n = readSync(fd, dst, done, Math.min(READ_CHUNK, dst.length - done), position + done);
        if (n === 0) throw new EncoderPoolingError(`${what}: ${path} ended at byte ${position + done}, expected ${position + dst.length} (file changed while loading?)`);
        done += n;
      }
    },
    view: () => null,
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
