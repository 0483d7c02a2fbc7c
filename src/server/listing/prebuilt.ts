import { readFileSync } from 'node:fs';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Effect, Toolset } from '../../../tools/define.js';
import type { JsonSchema } from './schema.js';

/*
 * The tool listing computed at build time (`dist/tool-listing.json`, written by src/build-assets.ts
 * from this same registry). A server can answer `tools/list` from it before the zod definitions are
 * loaded, and the registry takes its JSON Schemas from it instead of running zod-to-json-schema over
 * every tool. Running from source there is no such file and everything is computed as usual; a test
 * checks that the built file equals what the registry computes.
 */

export interface ListingEntry {
  tool: Tool;
  toolset: Toolset;
  effect: Effect;
  /** `METHOD path`, for endpoint tools (served as the endpoints resource, not in the listing). */
  endpoint?: string;
}

export const LISTING_FILE = 'tool-listing.json';

let cache: ListingEntry[] | null | undefined;
let schemas: Map<string, { inputSchema: JsonSchema; outputSchema: JsonSchema | undefined }> | null | undefined;

export function prebuiltListing(): ListingEntry[] | null {
  if (cache !== undefined) return cache;
  try {
    cache = JSON.parse(readFileSync(new URL(`../../../${LISTING_FILE}`, import.meta.url), 'utf8')) as ListingEntry[];
  } catch {
    cache = null;
  }
  return cache;
}

export function prebuiltSchemas(): Map<string, { inputSchema: JsonSchema; outputSchema: JsonSchema | undefined }> | null {
  if (schemas !== undefined) return schemas;
  const listing = prebuiltListing();
  schemas = listing
    ? new Map(listing.map((e) => [e.tool.name, { inputSchema: e.tool.inputSchema as JsonSchema, outputSchema: e.tool.outputSchema as JsonSchema | undefined }]))
    : null;
  return schemas;
}
