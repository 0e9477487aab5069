// What one execution came to. Only two outcomes are healthy: the input was accepted with finite
// results ("ok"), or refused with one of our typed errors ("typed"). Everything else is a bug: a
// generic error (TypeError, RangeError, …), a hang, a memory blowup, or a NaN/Infinity accepted.
import { EncoderPoolingError } from "../src/node.js";
import type { Case } from "./case.js";
import type { Target } from "./targets.js";

export const OUTCOMES = ["ok", "typed", "generic", "hang", "memory", "nan"] as const;
export type OutcomeKind = (typeof OUTCOMES)[number];

export interface Outcome {
  kind: OutcomeKind;
  /** Groups outcomes of one kind that share a cause: the error code and message shape, or the stack. */
  key: string;
  /** The message as thrown, cut short. */
  detail: string;
}

// RangeErrors that mean "asked for too much memory": a few bytes of input bought a huge allocation.
const MEMORY_MESSAGES = [
  "Array buffer allocation failed", "Invalid typed array length", "Invalid array length", "Invalid array buffer length",
  "Map maximum size exceeded", "Set maximum size exceeded", "Invalid string length", "out of memory",
];

/** The message with its variable parts (numbers, quoted strings) blanked, so that one cause is one key. */
export function messageShape(message: string): string {
  return message.replace(/"(?:[^"\\\n]|\\.)*"/g, '"…"').replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, "N").slice(0, 160);
}

/** The first stack frame inside our sources, to tell generic errors apart. */
function firstOwnFrame(stack: string | undefined): string {
  const line = (stack ?? "").split("\n").find((l) => /src[\\/]/.test(l)) ?? "";
  const m = /src[\\/][^:)]+/.exec(line);
  return m === null ? "?" : m[0];
}

/** Classifies what `run` threw or returned. */
export function classify(thrown: unknown, produced: ArrayLike<number>[] | undefined): Outcome {
  if (thrown === undefined) {
    for (const numbers of produced ?? []) {
      for (let i = 0; i < numbers.length; i++) {
        if (!Number.isFinite(numbers[i])) return { kind: "nan", key: `non-finite result ${numbers[i]}`, detail: `element ${i} of ${numbers.length} is ${numbers[i]}` };
      }
    }
    return { kind: "ok", key: "ok", detail: "" };
  }
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const detail = error.message.slice(0, 300);
  if (error instanceof EncoderPoolingError) return { kind: "typed", key: `${error.code}: ${messageShape(error.message)}`, detail };
  if (error instanceof RangeError && MEMORY_MESSAGES.some((m) => error.message.includes(m))) {
    return { kind: "memory", key: `${error.name}: ${messageShape(error.message)} @ ${firstOwnFrame(error.stack)}`, detail };
  }
  return { kind: "generic", key: `${error.name}: ${messageShape(error.message)} @ ${firstOwnFrame(error.stack)}`, detail };
}

/** Runs one case of a target in this thread and classifies the result (hangs and OOM are the watchdog's). */
export async function runCase(target: Target, c: Case): Promise<Outcome> {
  try {
    const produced = await target.run(c);
    return classify(undefined, produced);
  } catch (err) {
    return classify(err ?? new Error("undefined thrown"), undefined);
  }
}
