// bench/RESULTS.md: one section per benchmark suite (forward, kernels), each with the machine, the versions,
// the date and the command that produced it. Only the text between a suite's markers is replaced, and the
// file is written whole through a rename.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/io/load-model.js";


function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** "AMD EPYC, 2 cores" from lscpu (or os.cpus when lscpu is missing). */
function machine(): string {
  const lscpu = run("lscpu", []) ?? "";
  const field = (name: string) => lscpu.match(new RegExp(`^${name}:\\s*(.+)$`, "m"))?.[1]?.trim();
  const model = field("Model name") ?? "unknown CPU";
  const cpus = field("CPU\\(s\\)");
  const cores = field("Core\\(s\\) per socket");
  return `${model}, ${cpus ?? "?"} CPUs (${cores ?? "?"} cores per socket), ${(Number(run("nproc", [])) || "?")} usable`;
}

/** The header lines: machine, versions, date, commit, command. */
export function environmentLines(ortVersion: string | null, command: string): string[] {
  const root = packageRoot();
  const commit = run("git", ["-C", root, "log", "-1", "--format=%h %s"]) ?? "unknown";
  const branch = run("git", ["-C", root, "rev-parse", "--abbrev-ref", "HEAD"]) ?? "unknown";
  const dirty = (run("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]) ?? "") !== "" ? " (uncommitted changes)" : "";
  return [
    `- machine: ${machine()}`,
    `- Node ${process.versions.node}, V8 ${process.versions.v8}, onnxruntime-node ${ortVersion ?? "not installed"}`,
    `- date: ${new Date().toISOString()}`,
    `- code: branch ${branch}, commit ${commit}${dirty}`,
    `- command: \`${command}\``,
  ];
}

/** Replaces (or appends) the section of suite `name` in bench/RESULTS.md; returns the file's path. */
export function writeResultsSection(name: string, section: string): string {
  const BEGIN = `<!-- ${name}:begin (written by \`npm run bench -- ${name}\`; edits inside are lost) -->`;
  const END = `<!-- ${name}:end -->`;
  const path = join(packageRoot(), "bench", "RESULTS.md");
  const block = `${BEGIN}\n${section.trim()}\n${END}`;
  let text = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmark results\n\nWritten by the benchmark suites (`npm run bench`).\n\n";
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin >= 0 && end > begin) text = text.slice(0, begin) + block + text.slice(end + END.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}
