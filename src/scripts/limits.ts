import { z } from 'zod';

/*
 * A script's limits (PRODUCT.md §13). Each has a default, a ceiling the caller may go under, and an
 * error that names it and the fix when it is hit. Wall time is the one a caller may raise, to 60 s.
 */

export const LIMITS = {
  memoryMb: { default: 64, min: 8, max: 64 },
  timeoutS: { default: 10, min: 1, max: 60 },
  maxCalls: { default: 200, min: 1, max: 200 },
} as const;

/** Characters of console output a script may write, in all. */
export const MAX_CONSOLE_CHARS = 16_000;
/** The script's result as JSON, in characters, before the token budget cuts it. */
export const MAX_RESULT_CHARS = 2_000_000;
/** One call's arguments as JSON, in characters (the door checks them again). */
export const MAX_CALL_ARGUMENT_CHARS = 256 * 1024;
/** The script's source, in characters. */
export const MAX_CODE_CHARS = 100_000;
/**
 * QuickJS's stack, in bytes. Its C frames run on the worker's own stack (WebAssembly), so QuickJS
 * must stop deep recursion (and deep JSON) before that stack (4 MB) ends; the worker's stack error
 * is caught all the same, and that worker is not used again.
 */
export const STACK_BYTES = 256 * 1024;

export interface ScriptLimits {
  memoryBytes: number;
  timeoutMs: number;
  maxCalls: number;
}

export const limitArguments = {
  timeout_s: z.number().int().min(LIMITS.timeoutS.min).max(LIMITS.timeoutS.max).optional(),
  max_calls: z.number().int().min(LIMITS.maxCalls.min).max(LIMITS.maxCalls.max).optional(),
  memory_mb: z.number().int().min(LIMITS.memoryMb.min).max(LIMITS.memoryMb.max).optional(),
};

export function limitsFrom(args: { timeout_s?: number; max_calls?: number; memory_mb?: number }): ScriptLimits {
  return {
    memoryBytes: (args.memory_mb ?? LIMITS.memoryMb.default) * 1024 * 1024,
    timeoutMs: (args.timeout_s ?? LIMITS.timeoutS.default) * 1000,
    maxCalls: args.max_calls ?? LIMITS.maxCalls.default,
  };
}

/** The messages of the limits, each naming the limit and what to do. */
export const limitHit = {
  memory: (l: ScriptLimits) => `the script ran out of memory: it may use ${l.memoryBytes / 1024 / 1024} MB (memory_mb, at most ${LIMITS.memoryMb.max}). Keep less data: pass fields or max_items to list tools, or use a report.`,
  time: (l: ScriptLimits) => `the script ran past its time limit of ${l.timeoutMs / 1000} s (timeout_s, at most ${LIMITS.timeoutS.max}) and was stopped with every call in flight. Loop less, call fewer tools, hold less data (a script filling its memory ends here too), or raise timeout_s.`,
  stack: () => `the script's recursion went too deep (the isolate's stack is ${STACK_BYTES / 1024} KB). Use a loop instead.`,
  calls: (l: ScriptLimits) => `the script reached its limit of ${l.maxCalls} API calls (max_calls, at most ${LIMITS.maxCalls.max}). Use reports or list tools that return many items per call, or split the work.`,
  console: () => `console output reached its limit of ${MAX_CONSOLE_CHARS.toLocaleString('en-US')} characters. Log less, or return the data instead.`,
  result: () => `the script's result is over ${MAX_RESULT_CHARS.toLocaleString('en-US')} characters of JSON. Return a summary (counts, IDs) rather than whole objects.`,
  cancelled: () => 'the script was cancelled, and every call in flight with it.',
};
