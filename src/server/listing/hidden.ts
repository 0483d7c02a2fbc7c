import type { Effect, Toolset } from '../../../tools/define.js';

/*
 * What the current mode hides, and the way forward. search_tools counts the matching
 * tools it cannot offer, describe_tool says that a hidden tool exists and which setting hides it,
 * and a refused call names its target and what would allow it. One place says why, so the three
 * never disagree.
 */

/** The facts about a tool that decide why a mode hides it. */
export interface HideableTool {
  name: string;
  effect: Effect;
  toolset: Toolset;
}

/** The operator's settings that narrow a server, as hidden.ts needs them. */
export interface HidingSettings {
  readOnly: boolean;
  project?: string;
  /** Names the operator allowed (after --toolsets, --tools, --read-only and --project). */
  exposed: ReadonlySet<string>;
  /** Names every tool under the current project scope has (a name missing here is hidden by --project). */
  scoped: ReadonlySet<string>;
  /** The person's grant, under OAuth: whether they may see a tool the operator allowed. */
  visible?: (name: string) => boolean;
}

/** Why `tool` is hidden (one short clause naming the setting and the way forward), or undefined when it is not. */
export function hiddenBecause(tool: HideableTool, settings: HidingSettings): string | undefined {
  if (!settings.scoped.has(tool.name)) {
    return `${tool.name} is not available when scoped to project ${settings.project ?? ''} (--project): it reaches the whole organization; a server started without --project can run it`;
  }
  if (settings.readOnly && tool.effect !== 'read') {
    return `the server is read-only (--read-only) and ${tool.name} ${tool.effect === 'destructive' ? 'deletes or replaces' : 'changes'} things; a server started without --read-only (OPENAI_ADMIN_MCP_READ_ONLY unset) can run it`;
  }
  if (!settings.exposed.has(tool.name)) {
    return `${tool.name} is not enabled on this server: its --toolsets/--tools leave it out; a server started with --toolsets ${tool.toolset} (or --tools ${tool.name}) can run it`;
  }
  if (settings.visible && !settings.visible(tool.name)) {
    return `your access (the OAuth policy) does not include ${tool.name}; the operator can grant it in the policy file`;
  }
  return undefined;
}

/** The hidden matches of a search, grouped by reason: how many, and the first few names. */
export function summariseHidden(tools: readonly HideableTool[], settings: HidingSettings): Array<{ count: number; why: string; tools: string[] }> {
  const groups = new Map<string, string[]>();
  for (const tool of tools) {
    const why = hiddenBecause(tool, settings);
    if (why === undefined) continue;
    // Group by the setting, not the tool: the way forward differs only in the toolset named.
    const key = why
      .replaceAll(tool.name, 'they')
      .replace(/--toolsets \S+ \(or --tools they\)/, '--toolsets or --tools naming them')
      .replace(/they (deletes or replaces|changes) things/, 'they change things')
      .replace('they is not', 'they are not')
      .replace('it reaches', 'they reach')
      .replace('leave it out', 'leave them out')
      .replace('include they', 'include them')
      .replace('can run it', 'can run them')
      .replace('can grant it', 'can grant them');
    groups.set(key, [...(groups.get(key) ?? []), tool.name]);
  }
  return [...groups].map(([why, names]) => ({ count: names.length, why, tools: names.slice(0, 5) }));
}
