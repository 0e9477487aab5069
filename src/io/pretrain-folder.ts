// Node-only: a pre-training checkpoint folder on disk (src/train/pretrain-checkpoint.ts says what is in
// it), and the model folder a run exports. Every file is written to a temporary name and renamed, so an
// interrupted write leaves the previous checkpoint whole (and the step check finds a mixed one).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseCheckpoint, checkpointFiles, type Checkpoint } from "../train/pretrain-checkpoint.js";
import { readBytes, readText, writeFilesAtomic } from "./files.js";

/** The checkpoint in `dir`, or null when the folder holds none (a fresh run). */
export async function readCheckpointFolder(dir: string): Promise<Checkpoint | null> {
  if (!existsSync(join(dir, "trainer_state.json"))) return null;
  return parseCheckpoint(
    {
      model: await readBytes(join(dir, "model.safetensors"), "checkpoint"),
      optimizer: await readBytes(join(dir, "optimizer.safetensors"), "checkpoint"),
      trainer: await readText(join(dir, "trainer_state.json"), "checkpoint"),
    },
    dir,
  );
}

/** Writes (over) the checkpoint in `dir`, creating the folder, plus `extra` files (e.g. the loss curve). */
export async function writeCheckpointFolder(dir: string, checkpoint: Checkpoint, extra: Record<string, string | Uint8Array> = {}): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const files = [...checkpointFiles(checkpoint), ...Object.entries(extra)];
  await writeFilesAtomic(files.map(([name, data]) => [join(dir, name), data] as [string, string | Uint8Array]), true);
}

/** Writes the files of a model folder (config.json, model.safetensors, tokenizer files, …) into `dir`. */
export async function writeModelFolder(dir: string, files: Record<string, string | Uint8Array>, force: boolean): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeFilesAtomic(Object.entries(files).map(([name, data]) => [join(dir, name), data] as [string, string | Uint8Array]), force);
}
