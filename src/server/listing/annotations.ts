import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Effect } from '../../../tools/define.js';

/*
 * Tool annotations as listed: only the hints that differ from the defaults the MCP specification
 * gives them (readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true),
 * and no `title` (the tool's own `title` says it). A client that applies the spec's defaults reads
 * exactly what the full form said, for about a fifth of the tokens. destructiveHint and
 * idempotentHint mean something only when readOnlyHint is false, so a read states neither.
 * Zod-free, so the prebuilt listing and the CLI can use it.
 */

export interface Hints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** The spec's defaults for hints a tool leaves out. */
export const HINT_DEFAULTS: Hints = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/** What a tool's effect means in hints: a read changes nothing; a write changes but does not destroy. */
export function hintsFor(effect: Effect, idempotent: boolean, openWorld = true): Hints {
  const read = effect === 'read';
  return { readOnlyHint: read, destructiveHint: effect === 'destructive', idempotentHint: read || idempotent, openWorldHint: openWorld };
}

/** The annotations to list for these hints: only what differs from the defaults; undefined when nothing does. */
export function compactAnnotations(hints: Hints): ToolAnnotations | undefined {
  const out: ToolAnnotations = {};
  if (hints.readOnlyHint) out.readOnlyHint = true;
  else {
    if (!hints.destructiveHint) out.destructiveHint = false;
    if (hints.idempotentHint) out.idempotentHint = true;
  }
  if (!hints.openWorldHint) out.openWorldHint = false;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The hints as a client that follows the spec reads them from a listing: defaults filled in, and
 * destructive/idempotent read as false/true for a read-only tool (which destroys nothing and can be
 * repeated). Code that reads annotations goes through this, never through the raw fields.
 */
export function effectiveHints(annotations: ToolAnnotations | undefined): Hints {
  const readOnlyHint = annotations?.readOnlyHint ?? HINT_DEFAULTS.readOnlyHint;
  return {
    readOnlyHint,
    destructiveHint: readOnlyHint ? false : (annotations?.destructiveHint ?? HINT_DEFAULTS.destructiveHint),
    idempotentHint: readOnlyHint ? true : (annotations?.idempotentHint ?? HINT_DEFAULTS.idempotentHint),
    openWorldHint: annotations?.openWorldHint ?? HINT_DEFAULTS.openWorldHint,
  };
}
