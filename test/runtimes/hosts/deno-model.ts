// What the two Deno hosts (deno.ts, deno-worker.ts) share; not a host itself, bundled into each. It reads
// the model folder named by the first argument with Deno's own file API (no node: compatibility layer).
declare const Deno: {
  args: string[];
  version: { deno: string };
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
};

/** The model folder given as `deno run ... <host>.js <model dir>`, read into memory. */
export async function readModelArgument(): Promise<{ config: string; weights: Uint8Array; vocab: string; merges: string }> {
  const dir = Deno.args[0]!;
  return {
    config: await Deno.readTextFile(`${dir}/config.json`),
    weights: await Deno.readFile(`${dir}/model.safetensors`),
    vocab: await Deno.readTextFile(`${dir}/vocab.json`),
    merges: await Deno.readTextFile(`${dir}/merges.txt`),
  };
}

/** `deno <version>`, the start of a ParityReport's runtime. */
export function denoRuntime(): string {
  return `deno ${Deno.version.deno}`;
}
