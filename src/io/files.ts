// Node-only file helpers: reading with errors that name the file, and atomic writes that never
// leave a partial file behind and never overwrite without being asked.
import { existsSync, statSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { EncoderPoolingError, UsageError } from "../errors.js";

/** Reads a whole file as bytes; a missing file is an error naming it and what it was for. */
export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new EncoderPoolingError(`${what}: file not found: ${path}`, { code: "EP_IO" });
    if (code === "EISDIR") throw new EncoderPoolingError(`${what}: ${path} is a directory, expected a file`, { code: "EP_IO" });
    throw new EncoderPoolingError(`${what}: cannot read ${path}: ${(err as Error).message}`, { code: "EP_IO", cause: err });
  }
}

/**
 * A Node file-system error met while streaming (ENOSPC, EACCES, EISDIR, …) as a typed EP_IO error, so
 * that it is reported as a file problem rather than as an internal one; any other error is unchanged.
 */
export function asIoError(err: unknown): unknown {
  if (err instanceof EncoderPoolingError || !(err instanceof Error)) return err;
  const { syscall } = err as NodeJS.ErrnoException;
  if (typeof syscall !== "string") return err;
  return new EncoderPoolingError(`cannot ${syscall}: ${err.message}`, { code: "EP_IO", cause: err });
}

/** Reads a whole file as UTF-8 text (invalid bytes become U+FFFD). */
export async function readText(path: string, what: string): Promise<string> {
  return new TextDecoder("utf-8").decode(await readBytes(path, what));
}

/** Refuses to go on if `path` exists and `force` is false. Call before long work, not after. */
export function assertWritable(path: string, force: boolean): void {
  if (!force && existsSync(path)) {
    throw new UsageError(`${path} already exists; pass --force to overwrite it`);
  }
  const folder = dirname(path);
  if (!existsSync(folder)) {
    throw new EncoderPoolingError(`cannot write ${path}: folder ${folder} does not exist`, { code: "EP_IO" });
  }
  // `--output notes.txt/x.npy`: the "folder" is a file (writing gave ENOTDIR, and its cleanup hid it)
  if (!statSync(folder).isDirectory()) {
    throw new EncoderPoolingError(`cannot write ${path}: ${folder} is a file, not a folder`, { code: "EP_IO" });
  }
}

/**
 * Writes `data` to `path` through a temporary file in the same folder and a rename, so that a failed
 * or interrupted run leaves either the old file or the complete new one, never a partial one.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, force: boolean): Promise<void> {
  await writeFilesAtomic([[path, data]], force);
}

/**
 * Writes several files as a unit: every one to a temporary file first, and only when all are written
 * (a full disk fails here, with the old files untouched) renamed into place, in the order given.
 */
export async function writeFilesAtomic(files: readonly [string, Uint8Array | string][], force: boolean): Promise<void> {
  for (const [path] of files) assertWritable(path, force);
  const temps = files.map(([path]) => join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`));
  let current = files[0]?.[0] ?? "";
  try {
    for (const [i, [path, data]] of files.entries()) {
      current = path;
      await writeFile(temps[i]!, data);
    }
    for (const [i, [path]] of files.entries()) {
      current = path;
      await rename(temps[i]!, path);
    }
  } catch (err) {
    // the cleanup's own failure must not hide why the write failed
    for (const tmp of temps) await rm(tmp, { force: true }).catch(() => undefined);
    throw new EncoderPoolingError(`cannot write ${current}: ${(err as Error).message}`, { code: "EP_IO", cause: err });
  }
}
