// Learning-rate schedules against torch LambdaLR driven by Hugging Face's warm-up formulas.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { makeSchedule, type ScheduleKind } from "../../src/train/schedule.js";
import { expectClose } from "../helpers.js";

interface ScheduleCase {
  kind: ScheduleKind;
  warmupSteps: number;
  totalSteps: number;
  baseLr: number;
  lrs: number[];
}
const cases = JSON.parse(readFileSync(new URL("../fixtures/training/schedule.json", import.meta.url), "utf8")) as ScheduleCase[];

describe("schedules vs torch LambdaLR", () => {
  for (const c of cases) {
    it(`${c.kind}, warm-up ${c.warmupSteps} of ${c.totalSteps}: rate at every optimizer step within 1e-12`, () => {
      const lambda = makeSchedule(c);
      const lrs = c.lrs.map((_, step) => c.baseLr * lambda(step));
      expectClose(lrs, c.lrs, 1e-12, `${c.kind} lrs`);
    });
  }
  it("warm-up starts at 0 and reaches the base rate; decay ends at 0", () => {
    const lin = makeSchedule({ kind: "linear", warmupSteps: 4, totalSteps: 12 });
    expect(lin(0)).toBe(0);
    expect(lin(4)).toBe(1);
    expect(lin(12)).toBe(0);
    const cos = makeSchedule({ kind: "cosine", warmupSteps: 0, totalSteps: 10 });
    expectClose([cos(5)], [0.5], 1e-15, "cosine midpoint");
  });
  it("rejects bad sizes and kinds", () => {
    expect(() => makeSchedule({ kind: "linear", warmupSteps: -1, totalSteps: 5 })).toThrow(/warmupSteps/);
    expect(() => makeSchedule({ kind: "step" as ScheduleKind, warmupSteps: 0, totalSteps: 5 })).toThrow(/unknown kind "step"/);
  });
});
