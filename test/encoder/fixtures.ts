// Reads the golden encoder fixtures of test/fixtures/encoder/<case>/ (made by make_encoder_fixtures.py).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseSafetensors, toFloat32Array, toInt32Array, type SafeTensor } from "../../src/encoder/safetensors.js";
import type { RobertaInputs } from "../../src/encoder/roberta.js";

export const FIXTURE_DIR = fileURLToPath(new URL("../fixtures/encoder/", import.meta.url));

export const CASES = ["f32-pooler", "no-pooler", "f16", "bf16", "prefixed-lm-head", "padded-batch", "pad-id-0"] as const;

export interface EncoderCase {
  dir: string;
  configText: string;
  modelBytes: Uint8Array;
  inputs: RobertaInputs;
  expected: Map<string, SafeTensor>;
}

export function caseDir(name: string): string {
  return `${FIXTURE_DIR}${name}`;
}

/** config, weights, inputs (as Int32) and expected outputs of one fixture case. */
export function readCase(name: string): EncoderCase {
  const dir = caseDir(name);
  const inputsPath = `${dir}/inputs.safetensors`;
  const inputs = parseSafetensors(new Uint8Array(readFileSync(inputsPath)), inputsPath).tensors;
  const ids = inputs.get("input_ids")!;
  return {
    dir,
    configText: readFileSync(`${dir}/config.json`, "utf8"),
    modelBytes: new Uint8Array(readFileSync(`${dir}/model.safetensors`)),
    inputs: {
      inputIds: toInt32Array(ids, inputsPath, "input_ids"),
      attentionMask: toInt32Array(inputs.get("attention_mask")!, inputsPath, "attention_mask"),
      batchSize: ids.shape[0]!,
      seqLen: ids.shape[1]!,
    },
    expected: parseSafetensors(new Uint8Array(readFileSync(`${dir}/expected.safetensors`)), `${dir}/expected.safetensors`).tensors,
  };
}

/** An expected tensor's Float32 data. */
export function expectedData(c: EncoderCase, name: string): Float32Array {
  const t = c.expected.get(name);
  if (t === undefined) throw new Error(`${c.dir}: expected.safetensors has no ${name}`);
  return toFloat32Array(t, c.dir, name);
}
