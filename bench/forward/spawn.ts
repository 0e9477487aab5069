// Starting one child process of the forward benchmark (child.ts) and reading its answer. A child that
// prints nothing for STALL_SECONDS is killed and reported as hung: every forward call prints a progress
// line, and the slowest single call (the pure-TS backend on 8 × 128 tokens, on a busy machine) takes
// under two minutes, so ten silent minutes mean a deadlock, not slowness.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { PROGRESS_PREFIX, RESULT_PREFIX, type ChildResult, type Job } from "./systems.js";

const CHILD = fileURLToPath(new URL("./child.js", import.meta.url));
const STALL_SECONDS = 600;

export type ChildOutcome = { result: ChildResult } | { error: string } | { hung: string };

/** Runs one job in a fresh node process: its result, a crash or failed check (`error`, stderr's tail), or a hang. */
export function runChild(job: Job): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, CHILD, JSON.stringify(job)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let lastProgress = "start";
    let hung = false;
    let watchdog: NodeJS.Timeout;
    const rearm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        hung = true;
        child.kill("SIGKILL");
      }, STALL_SECONDS * 1000);
    };
    rearm();
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const progress = stdout.split("\n").filter((l) => l.startsWith(PROGRESS_PREFIX)).pop();
      if (progress !== undefined) lastProgress = progress.slice(PROGRESS_PREFIX.length);
      rearm();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code, signal) => {
      clearTimeout(watchdog);
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
      if (hung) resolve({ hung: `no progress for ${STALL_SECONDS} s after "${lastProgress}"; killed` });
      else if (code === 0 && line !== undefined) resolve({ result: JSON.parse(line.slice(RESULT_PREFIX.length)) as ChildResult });
      else resolve({ error: stderr.trim().split("\n").slice(-3).join(" ") || `exited with ${signal ?? `code ${code}`}` });
    });
  });
}
