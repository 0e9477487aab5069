// The command line as a real process in real pipes (the CLI bundled by esbuild into one file):
// `… | head -2` ends embed and tokenize quietly; Ctrl-C (SIGINT) keeps the rows done and --resume
// finishes the file byte for byte; GNU parallel's `--pipe --keep-order` gives one process's output.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const TINY = join(ROOT, "test", "fixtures", "pipeline", "tiny");
const dir = mkdtempSync(join(tmpdir(), "ep-process-"));
const CLI = join(dir, "encoder-pooling.mjs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await build({ entryPoints: [join(ROOT, "src", "cli", "main.ts")], bundle: true, platform: "node", format: "esm", outfile: CLI, logLevel: "silent" });
  const line = (i: number): string => `line ${i}: ${"the keeper wrote the names of the boats ".slice(0, 8 + (i % 30))}`;
  writeFileSync(join(dir, "in.txt"), Array.from({ length: 3000 }, (_, i) => line(i)).join("\n") + "\n");
  // long enough that the run is still going after its first checkpoint (2 s), even on the wasm backend
  writeFileSync(join(dir, "long.txt"), Array.from({ length: 10_000 }, (_, i) => line(i)).join("\n") + "\n");
}, 120_000);

/** Runs a shell pipeline in `dir`; `$CLI` is the bundled command line, `$TINY` the test model. */
function sh(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, CLI: `node ${CLI}`, TINY }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("in a pipe", () => {
  for (const command of ["embed --output -", "tokenize"]) {
    it(`${command.split(" ")[0]} | head -2: two lines, exit 0, not a word on stderr`, () => {
      const r = sh(`$CLI ${command} --model "$TINY" --input in.txt 2>err.txt | head -2; echo "status \${PIPESTATUS[0]}" >&2`);
      expect(r.stdout.trimEnd().split("\n")).toHaveLength(2);
      expect(r.stderr).toBe("status 0\n");
      expect(readFileSync(join(dir, "err.txt"), "utf8")).toBe("");
    });
  }
});

describe("Ctrl-C", () => {
  it("SIGINT stops after the current batch with exit 130, keeps the rows; --resume writes the uninterrupted run's bytes", async () => {
    const argv = [CLI, "embed", "--model", TINY, "--input", "long.txt", "--window", "64", "--batch-size", "8", "--pooling", "mean-max"];
    const child = spawn("node", [...argv, "--output", "out.npy"], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    // wait for a checkpoint with rows in it, then press Ctrl-C
    const progress = join(dir, "out.npy.progress.json");
    for (let waited = 0; ; waited += 50) {
      if (existsSync(progress) && (JSON.parse(readFileSync(progress, "utf8")) as { rows: number }).rows > 0) break;
      if (waited > 60_000) throw new Error(`no checkpoint after 60 s; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain("interrupt: stopping after the current batch, keeping the rows done");
    expect(stderr).toMatch(/encoder-pooling embed: interrupted after \d+ rows; .*out\.npy\.partial keeps them: run the same command with --resume to go on/);
    const kept = Number(/interrupted after (\d+) rows/.exec(stderr)![1]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(10_000);

    const resumed = spawnSync("node", [...argv, "--output", "out.npy", "--resume"], { cwd: dir, encoding: "utf8" });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`(${kept} of them kept from`);
    const clean = spawnSync("node", [...argv, "--output", "clean.npy"], { cwd: dir, encoding: "utf8" });
    expect(clean.status, clean.stderr).toBe(0);
    expect(readFileSync(join(dir, "out.npy"))).toEqual(readFileSync(join(dir, "clean.npy")));
    expect(existsSync(join(dir, "out.npy.partial"))).toBe(false);
  }, 300_000);
});

const hasParallel = spawnSync("parallel", ["--version"], { encoding: "utf8" }).stdout?.startsWith("GNU parallel") === true;
const IN_CI = process.env["CI"] !== undefined && process.env["CI"] !== "" && process.env["CI"] !== "false";

// Without GNU parallel the test is skipped with the reason in its name (and a warning); under CI it
// fails instead, since .ci/run installs it.
describe("GNU parallel", () => {
  const name = "parallel --pipe --keep-order -N 1000 encoder-pooling embed --input - --output - equals one process's output";
  if (!hasParallel && !IN_CI) {
    console.warn(`${name}: skipped, GNU parallel is not installed (apt-get install parallel)`);
    it.skip(`${name} — skipped: GNU parallel is not installed (apt-get install parallel)`, () => {});
    return;
  }
  // Byte for byte on the js backend, whose rows do not depend on the batch they share. On wasm a row's
  // last bits depend on its batch's padded length, which the shards' windows change: equal within 1e-6.
  it(`${name} (byte for byte with --backend js; within 1e-6 with the default backend)`, () => {
    expect(hasParallel, "GNU parallel must be installed under CI (.ci/run installs it)").toBe(true);
    for (const backend of ["js", "auto"]) {
      const flags = `--model "$TINY" --backend ${backend} --input - --output - --quiet`;
      const single = sh(`$CLI embed ${flags} < in.txt`);
      const parallel = sh(`parallel --pipe --keep-order -N 1000 $CLI embed ${flags} < in.txt`);
      expect(single.status, single.stderr).toBe(0);
      expect(parallel.status, parallel.stderr).toBe(0);
      expect(parallel.stdout.split("\n")).toHaveLength(3001);
      if (backend === "js") {
        expect(parallel.stdout === single.stdout).toBe(true);
        continue;
      }
      const rows = (out: string): { text: string; embedding: number[] }[] => out.trimEnd().split("\n").map((l) => JSON.parse(l) as { text: string; embedding: number[] });
      const [a, b] = [rows(single.stdout), rows(parallel.stdout)];
      expect(b.map((r) => r.text)).toEqual(a.map((r) => r.text));
      let worst = 0;
      a.forEach((r, i) => r.embedding.forEach((x, d) => (worst = Math.max(worst, Math.abs(x - b[i]!.embedding[d]!)))));
      expect(worst).toBeLessThan(1e-6);
    }
  }, 300_000);
});
