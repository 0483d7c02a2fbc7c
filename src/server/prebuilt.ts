import { readFileSync } from 'node:fs';
import type { JsonSchema } from './schema.js';

/*
 * JSON Schemas computed at build time (`dist/tool-schemas.json`, written by src/build-assets.ts from
 * this same registry), so a server start does not run zod-to-json-schema over every tool. Running
 * from source there is no such file and the schemas are computed as usual; a test checks that the
 * built file equals what the registry computes.
 */

export interface PrebuiltSchemas {
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
}

export const PREBUILT_FILE = 'tool-schemas.json';

let cache: Map<string, PrebuiltSchemas> | null | undefined;

export function prebuiltSchemas(): Map<string, PrebuiltSchemas> | null {
  if (cache !== undefined) return cache;
  try {
    const entries = JSON.parse(readFileSync(new URL(`../../${PREBUILT_FILE}`, import.meta.url), 'utf8')) as Record<string, PrebuiltSchemas>;
    cache = new Map(Object.entries(entries));
  } catch {
    cache = null;
  }
  return cache;
}
