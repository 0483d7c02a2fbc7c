import type { ZodTypeAny } from 'zod';
import type { RegisteredTool } from '../../src/server/listing/registry.js';

/*
 * Arguments that pass a tool's validation, derived from its zod schema: the smallest value of every
 * required field. Property and fuzz tests start from them and make one field hostile, so that what
 * decides the outcome is that field, not a missing neighbour.
 */

const STRINGS = ['abc', 'a@example.test', 'https://example.test', '2026-01-01', 'gpt-4o'];
const NUMBERS = [1, 0, 10, 100, 1000, 1_700_000_000];

interface Def {
  typeName?: string;
  innerType?: ZodTypeAny;
  schema?: ZodTypeAny;
  type?: ZodTypeAny;
  values?: readonly unknown[];
  value?: unknown;
  options?: readonly ZodTypeAny[];
  minLength?: { value: number } | null;
  shape?: () => Record<string, ZodTypeAny>;
}

/** A value the schema accepts, or undefined if none of the candidates fits. */
export function sampleValue(schema: ZodTypeAny): unknown {
  const def = schema._def as Def;
  const accept = (candidates: readonly unknown[]) => candidates.find((c) => schema.safeParse(c).success);
  switch (def.typeName) {
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      return sampleValue(def.innerType as ZodTypeAny);
    case 'ZodEffects':
      // A transformed number-or-string is a time (tools/common `time()`): a few days ago keeps ranges short.
      if ((def.schema?._def as Def | undefined)?.typeName === 'ZodUnion') return accept([Math.floor(Date.now() / 1000) - 3 * 86_400, ...NUMBERS]);
      return accept([sampleValue(def.schema as ZodTypeAny), ...STRINGS, ...NUMBERS]);
    case 'ZodString':
      return accept(STRINGS);
    case 'ZodNumber':
      return accept(NUMBERS);
    case 'ZodBoolean':
      return true;
    case 'ZodEnum':
      return def.values?.[0];
    case 'ZodLiteral':
      return def.value;
    case 'ZodUnion':
      return accept((def.options ?? []).map((o) => sampleValue(o)));
    case 'ZodArray': {
      const item = sampleValue(def.type as ZodTypeAny);
      return accept([[item], Array.from({ length: def.minLength?.value ?? 1 }, () => item), []]);
    }
    case 'ZodObject':
      return sampleObject(def.shape?.() ?? {});
    case 'ZodRecord':
      return {};
    default:
      return undefined;
  }
}

function sampleObject(shape: Record<string, ZodTypeAny>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    if (field.isOptional()) continue;
    out[key] = sampleValue(field);
  }
  return out;
}

/** Valid arguments for a tool: every required field filled. */
export function sampleArguments(tool: RegisteredTool): Record<string, unknown> {
  return sampleObject(tool.input.shape as Record<string, ZodTypeAny>);
}

/** The names of a tool's path parameters, as its template has them. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}
