import { UsageError } from '../../config.js';
import { DEFAULT_LISTED } from './default-tools.js';
import { TOOLSETS, type Effect, type Toolset } from '../../../tools/define.js';

/*
 * Which tools a server exposes, computed from the same `effect` and `toolset` that clients see in
 * the annotations. Kept free of zod so a server can answer `tools/list` from the prebuilt listing
 * before the tool definitions are loaded.
 */

export { TOOLSETS };

/** `--toolsets all`: every toolset. */
export const ALL_TOOLSETS = 'all';

export interface Selection {
  readOnly: boolean;
  toolsets?: readonly string[];
  tools?: readonly string[];
  project?: string;
  /** `--dynamic`: list only the meta-tools. */
  dynamic?: boolean;
}

/**
 * How `tools/list` is answered:
 * - `default` (no --toolsets, --tools or --dynamic): the reports, the workflows, the curated tools of
 *   default-tools.ts and the meta-tools; every tool the operator allowed is callable, the rest
 *   through `call_tool`. Fits every host (at most 40 tools).
 * - `selected` (--toolsets or --tools, `--toolsets all` included): exactly the selection, no
 *   meta-tools, since nothing callable is left unlisted.
 * - `dynamic` (--dynamic): only the meta-tools, over the selection.
 */
export type ListingMode = 'default' | 'selected' | 'dynamic';

export function listingMode(selection: Selection): ListingMode {
  if (selection.dynamic) return 'dynamic';
  if (selection.toolsets !== undefined || selection.tools !== undefined) return 'selected';
  return 'default';
}

/** What a server can call and what it lists, for one selection. */
export interface Plan<T> {
  mode: ListingMode;
  /** Every tool the operator allowed: callable by name and through call_tool. */
  callable: T[];
  /** The endpoint and report tools `tools/list` shows. */
  listed: T[];
  /** Whether `tools/list` adds search_tools, describe_tool and call_tool. */
  meta: boolean;
}

/** The callable set (see `narrow`) and, by listing mode, the tools listed beside it. */
export function plan<T extends Listable>(all: readonly T[], selection: Selection, known: ReadonlySet<string>): Plan<T> {
  const callable = narrow(all, selection, known);
  const mode = listingMode(selection);
  if (mode === 'dynamic') return { mode, callable, listed: [], meta: true };
  if (mode === 'selected') return { mode, callable, listed: callable, meta: false };
  return { mode, callable, listed: callable.filter((t) => t.toolset === 'reports' || t.toolset === 'workflows' || DEFAULT_LISTED.has(t.name)), meta: true };
}

/** A tool as selection sees it (not registry.ts's Selectable, the fields `fields` may keep). */
export interface Listable {
  name: string;
  effect: Effect;
  toolset: Toolset;
}

/**
 * `--toolsets` and `--tools` combine as a union; read-only always wins over both. Unknown names are
 * a usage error, never silently ignored. `all` is what exists under the current project scope;
 * `known` is every tool name there is, to tell an unknown name from one hidden by scoping.
 */
export function narrow<T extends Listable>(all: readonly T[], selection: Selection, known: ReadonlySet<string>): T[] {
  const names = new Set(all.map((t) => t.name));
  for (const toolset of selection.toolsets ?? []) {
    if (toolset !== ALL_TOOLSETS && !(TOOLSETS as readonly string[]).includes(toolset)) {
      throw new UsageError(`Unknown toolset '${toolset}'. Expected one or more of: ${ALL_TOOLSETS}, ${TOOLSETS.join(', ')}.`);
    }
  }
  const everyToolset = selection.toolsets?.includes(ALL_TOOLSETS) === true;
  for (const name of selection.tools ?? []) {
    if (!known.has(name)) throw new UsageError(`Unknown tool '${name}'. Run 'openai-admin-mcp tools' to list them.`);
    if (!names.has(name)) throw new UsageError(`Tool '${name}' is not available when scoped to a project (--project): it changes the whole organization.`);
  }
  const narrowed = selection.toolsets !== undefined || selection.tools !== undefined;
  return all.filter((tool) => {
    if (selection.readOnly && tool.effect !== 'read') return false;
    if (!narrowed || everyToolset) return true;
    return (selection.toolsets ?? []).includes(tool.toolset) || (selection.tools ?? []).includes(tool.name);
  });
}
