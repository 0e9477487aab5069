// The command table of src/cli/main.ts: help, per-command usage, and the exit codes of usage errors.
import { describe, expect, it } from "vitest";
import type { Command } from "../../src/cli/command.js";
import { embedCommand } from "../../src/cli/embed.js";
import { forwardCommand } from "../../src/cli/forward.js";
import { poolCommand } from "../../src/cli/pool.js";
import { tokenizeCommand } from "../../src/cli/tokenize.js";
import { mergeCommand } from "../../src/cli/merge.js";
import { runMain, type Run } from "./training-helpers.js";

const COMMANDS: Command[] = [embedCommand, tokenizeCommand, forwardCommand, poolCommand, mergeCommand];

const run = (argv: string[]): Promise<Run> => runMain(argv, process.cwd());

describe("encoder-pooling (main)", () => {
  for (const argv of [["--help"], ["-h"], ["help"], []]) {
    it(`${JSON.stringify(argv)} lists every command with its summary, exit 0`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    });
  }

  for (const c of COMMANDS) {
    it(`${c.name} --help prints its usage and runs nothing, exit 0`, async () => {
      const r = await run([c.name, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout.trimEnd()).toBe(c.usage.trimEnd());
      expect(r.stdout).toContain(`Usage: encoder-pooling ${c.name}`);
      expect(r.stderr).toBe("");
    });
  }

  it("an unknown command exits 2, naming it and printing the command list", async () => {
    const r = await run(["frobnicate", "--x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    for (const c of COMMANDS) expect(r.stderr).toContain(c.name);
    expect(r.stdout).toBe("");
  });

  for (const c of COMMANDS) {
    it(`${c.name} with an unknown flag exits 2, naming the flag`, async () => {
      const r = await run([c.name, "--frobnicate", "1"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^encoder-pooling ${c.name}: .*--frobnicate`, "m"));
    });
  }

  it("a flag without its value, or a stray positional argument, exits 2", async () => {
    const missing = await run(["embed", "--text", "a", "--output"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--output");
    const stray = await run(["tokenize", "--text", "a", "extra"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("extra");
  });
});
