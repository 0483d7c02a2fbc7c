import { UsageError } from '../config.js';
import type { Effect, Toolset } from './endpoint.js';

/*
 * Which tools a server exposes, computed from the same `effect` and `toolset` that clients see in
 * the annotations. Kept free of zod so a server can answer `tools/list` from the prebuilt listing
 * before the tool definitions are loaded.
 */

export const TOOLSETS: readonly Toolset[] = ['reports', 'projects', 'members', 'keys', 'limits', 'certificates', 'usage', 'audit', 'security'];

export interface Selection {
  readOnly: boolean;
  toolsets?: readonly string[];
  tools?: readonly string[];
  project?: string;
}

export interface Selectable {
  name: string;
  effect: Effect;
  toolset: Toolset;
}

/**
 * `--toolsets` and `--tools` combine as a union; read-only always wins over both. Unknown names are
 * a usage error, never silently ignored. `all` is what exists under the current project scope;
 * `known` is every tool name there is, to tell an unknown name from one hidden by scoping.
 */
export function narrow<T extends Selectable>(all: readonly T[], selection: Selection, known: ReadonlySet<string>): T[] {
  const names = new Set(all.map((t) => t.name));
  for (const toolset of selection.toolsets ?? []) {
    if (!(TOOLSETS as readonly string[]).includes(toolset)) {
      throw new UsageError(`Unknown toolset '${toolset}'. Expected one or more of: ${TOOLSETS.join(', ')}.`);
    }
  }
  for (const name of selection.tools ?? []) {
    if (!known.has(name)) throw new UsageError(`Unknown tool '${name}'. Run 'openai-admin-mcp tools' to list them.`);
    if (!names.has(name)) throw new UsageError(`Tool '${name}' is not available when scoped to a project (--project): it changes the whole organization.`);
  }
  const narrowed = selection.toolsets !== undefined || selection.tools !== undefined;
  return all.filter((tool) => {
    if (selection.readOnly && tool.effect !== 'read') return false;
    if (!narrowed) return true;
    return (selection.toolsets ?? []).includes(tool.toolset) || (selection.tools ?? []).includes(tool.name);
  });
}
