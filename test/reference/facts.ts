import { readFileSync } from 'node:fs';

/*
 * The facts of the Admin API reference that tests use, committed beside this file by
 * `npm run reference` (scripts/extract-reference.ts), so a clone with nothing beside it tests itself.
 */

export interface ParamFact {
  name: string;
  type: string;
  required: boolean;
  enum?: string[];
  items_enum?: string[];
}

/** One operation of the reference catalog. */
export interface OperationFact {
  /** The tool name, e.g. `projects_archive`. */
  tool: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  effect: 'read' | 'write' | 'destructive';
  idempotent: boolean;
  pagination: 'none' | 'cursor_id' | 'cursor_next' | 'page_token';
  path_params: string[];
  query_params: ParamFact[];
  body_fields: ParamFact[];
}

/** The 200 response schema of each operation (keyed `METHOD path`), with the components they use. */
export interface ResponseFacts {
  responses: Record<string, unknown>;
  components: { schemas: Record<string, unknown> };
}

const read = (file: string): unknown => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'));

export const referenceCatalog = read('./catalog.json') as OperationFact[];
export const referenceResponses = read('./responses.json') as ResponseFacts;
