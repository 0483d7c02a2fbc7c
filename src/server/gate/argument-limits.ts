/*
 * The door every tool call passes before anything else looks at its arguments. Arguments come from
 * a model or whoever speaks to the server, so their shape is hostile until checked: nesting deep
 * enough to overflow any recursive walk (validation messages, the audit line, digests), strings big
 * enough to fill the audit log, lone surrogates that no UTF-8 encoder can send unchanged, values that
 * are not JSON at all (in-process callers). The walk is iterative and stops at the first problem, so
 * its cost is bounded by the limits, not by the input.
 */

/** Objects and arrays inside objects and arrays, counting the arguments object itself as level 1. */
export const MAX_ARGUMENT_DEPTH = 32;
/**
 * The arguments as JSON, in characters (UTF-16 code units; string escapes are not counted): about
 * 256 KB of ASCII. A certificate chain is a few KB; nothing an admin task sends comes near this.
 */
export const MAX_ARGUMENT_CHARS = 256 * 1024;

export interface ArgumentProblem {
  /** Dotted path to the value at fault (`(arguments)` for the whole). */
  field: string;
  /** What is wrong and how to fix it, without quoting the value. */
  message: string;
  /** For the audit line. */
  decision: 'arguments_over_limit' | 'invalid_arguments';
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string;
}

// In unicode mode a well-formed pair is one code point, so this matches only a surrogate on its own.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
// Any surrogate code unit: a cheap first look, since unicode-mode matching costs more and most text has none.
const ANY_SURROGATE = /[\ud800-\udfff]/;
const loneSurrogateAt = (text: string): number => (ANY_SURROGATE.test(text) ? text.search(LONE_SURROGATE) : -1);

/** The first problem with these arguments, or null when they are within every limit. */
export function checkArguments(args: unknown): ArgumentProblem | null {
  let size = 0;
  const stack: Frame[] = [{ value: args, depth: 0, parent: null, key: '' }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value } = frame;
    switch (typeof value) {
      case 'string': {
        size += value.length + 2;
        const at = loneSurrogateAt(value);
        if (at >= 0) {
          return {
            field: fieldOf(frame),
            message: `holds a lone surrogate (\\u${value.charCodeAt(at).toString(16)} at index ${at}), which is not valid Unicode text and cannot be sent as UTF-8; remove it or send the whole character`,
            decision: 'invalid_arguments',
          };
        }
        break;
      }
      case 'number':
      case 'boolean':
        size += 8;
        break;
      case 'undefined':
        break;
      case 'object': {
        if (value === null) {
          size += 4;
          break;
        }
        const depth = frame.depth + 1;
        if (depth > MAX_ARGUMENT_DEPTH) {
          return {
            field: topField(frame),
            message: `is nested more than ${MAX_ARGUMENT_DEPTH} levels deep (objects and arrays); arguments may nest at most ${MAX_ARGUMENT_DEPTH} levels, so flatten the value`,
            decision: 'arguments_over_limit',
          };
        }
        size += 2;
        if (Array.isArray(value)) {
          size += value.length;
          if (size > MAX_ARGUMENT_CHARS) return overLimit(frame);
          for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth, parent: frame, key: String(i) });
        } else {
          const keys = Object.keys(value);
          for (let i = keys.length - 1; i >= 0; i--) {
            const key = keys[i] as string;
            size += key.length + 4;
            if (loneSurrogateAt(key) >= 0) {
              return { field: fieldOf(frame), message: 'has a field name with a lone surrogate, which is not valid Unicode text; rename it', decision: 'invalid_arguments' };
            }
            stack.push({ value: (value as Record<string, unknown>)[key], depth, parent: frame, key });
            if (size > MAX_ARGUMENT_CHARS) break;
          }
        }
        break;
      }
      default:
        return { field: fieldOf(frame), message: `is a ${typeof value}, which is not a JSON value; send a string, number, boolean, null, array or object`, decision: 'invalid_arguments' };
    }
    if (size > MAX_ARGUMENT_CHARS) return overLimit(frame);
  }
  return null;
}

function overLimit(frame: Frame): ArgumentProblem {
  return {
    field: topField(frame),
    message: `makes the arguments larger than ${MAX_ARGUMENT_CHARS / 1024} KB as JSON, the most a tool call may carry; send less (shorter strings, fewer items)`,
    decision: 'arguments_over_limit',
  };
}

/** One line that names the field and the fix, in the form validation refusals take. */
export function describeArgumentProblem(tool: string, problem: ArgumentProblem): string {
  return `Invalid arguments for ${tool}:\n- ${problem.field}: ${problem.message}. Nothing was sent.`;
}

/** The dotted path of a frame, at most 8 levels shown (the rest is summarised, as the path itself can be huge). */
function fieldOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) keys.push(f.key);
  if (keys.length === 0) return '(arguments)';
  keys.reverse();
  const shown = keys
    .slice(0, 8)
    .map((k) => (k.length > 40 ? `${k.slice(0, 40)}…` : k).replace(/[\ud800-\udfff]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16)}`))
    .join('.');
  return keys.length > 8 ? `${shown}.…(${keys.length - 8} more levels)` : shown;
}

/** The top-level field a frame lies in. */
function topField(frame: Frame): string {
  let f = frame;
  while (f.parent && f.parent.parent) f = f.parent;
  return f.parent ? fieldOf(f) : '(arguments)';
}
