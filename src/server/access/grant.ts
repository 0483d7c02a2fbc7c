import type { Effect, Toolset } from '../../../tools/define.js';
import type { Right } from './oauth.js';

/*
 * What one person may do over OAuth, and the decisions taken from it: which tools they are shown and
 * whether one call is allowed.
 *
 * A grant is a list of allowances, one per policy rule that matches the person (each capped by the
 * token's scopes). An allowance is used whole: a call is allowed only if one single allowance
 * allows its right, its tool and every project it names, together. Merging rules field by field
 * would let a read rule for reports and a destructive rule for one project's keys add up to
 * destructive rights on every key of the organization. The person is shown the union: every tool
 * some single allowance allows.
 *
 * Projects: an allowance limited to projects allows only tools that name a project (`project_id`,
 * or a `project_ids` filter), and only calls that name some project, all of them its own. A tool
 * whose project is optional (external_storage_list, the usage and cost tools, audit_logs_list)
 * would otherwise read every project's data when the project is left out. Tools that reach the
 * whole organization (users, roles, admin keys, the reports) are outside such an allowance.
 */

export const RIGHTS: readonly Right[] = ['read', 'write', 'destructive'];

/** What one policy rule gives a person, within the token's scopes. */
export interface Allowance {
  right: Right;
  /** Undefined: every toolset. */
  toolsets?: ReadonlySet<Toolset>;
  /** Undefined: every project, and the tools that reach the whole organization. */
  projects?: ReadonlySet<string>;
  /** false: this rule's tools are not for scripts (run_script), only for direct calls. */
  scripts?: false;
}

/** What one person may do: the token's scopes, narrowed by each matching rule of the policy. */
export interface Grant {
  /** Each used whole; never empty. */
  allowances: readonly Allowance[];
  /** Where the limits come from, for refusal messages. */
  source: string;
}

/** The facts of a tool the decisions read. */
export interface GrantedTool {
  name: string;
  effect: Effect;
  toolset: Toolset;
  /** The argument through which it names a project, if any. */
  project?: 'project_id' | 'project_ids';
  /** The call may leave that argument out, and then reaches every project. */
  projectOptional?: boolean;
}

const rank = (right: Right | Effect) => RIGHTS.indexOf(right);

/** The lower of two rights: a rule never gives more than the scopes allow. */
export function lower(a: Right, b: Right): Right {
  return rank(a) <= rank(b) ? a : b;
}

/** Leaves out allowances another one already includes, so messages and session keys list only what counts. */
export function essential(allowances: readonly Allowance[]): Allowance[] {
  const includes = (big: Allowance, small: Allowance) =>
    rank(big.right) >= rank(small.right) && covers(big.toolsets, small.toolsets) && covers(big.projects, small.projects) && (big.scripts !== false || small.scripts === false);
  return allowances.filter((a, i) => !allowances.some((b, j) => j !== i && includes(b, a) && (!includes(a, b) || j < i)));
}

/** Whether a limit (undefined: no limit) includes another. */
function covers<T>(big: ReadonlySet<T> | undefined, small: ReadonlySet<T> | undefined): boolean {
  return big === undefined || (small !== undefined && [...small].every((v) => big.has(v)));
}

/** Why an allowance does not show a tool. */
type Exclusion = 'reads only' | 'not destructive' | 'toolset' | 'organization';

/** Why this allowance does not show the tool, or undefined when it does (cheap: listing asks it of every tool). */
function excludes(allowance: Allowance, tool: GrantedTool): Exclusion | undefined {
  const { right, toolsets, projects } = allowance;
  if (tool.effect !== 'read' && right === 'read') return 'reads only';
  if (tool.effect === 'destructive' && right !== 'destructive') return 'not destructive';
  if (toolsets && !toolsets.has(tool.toolset)) return 'toolset';
  if (projects && !tool.project) return 'organization';
  return undefined;
}

function explain(exclusion: Exclusion | undefined, allowance: Allowance, tool: GrantedTool): string {
  switch (exclusion) {
    case 'reads only':
      return 'you may only read';
    case 'not destructive':
      return 'it is destructive and you may not run destructive tools';
    case 'toolset':
      return `it is in the ${tool.toolset} toolset, and yours are ${[...(allowance.toolsets ?? [])].join(', ')}`;
    case 'organization':
      return `it reaches the whole organization, and your access is limited to projects ${[...(allowance.projects ?? [])].join(', ')}: use the tools that name one of your projects (project_id or project_ids)`;
    default:
      return 'your access does not include it';
  }
}

/** Whether the person is shown this tool: some single allowance allows it for some call. */
export function shows(grant: Grant, tool: GrantedTool): boolean {
  return grant.allowances.some((a) => excludes(a, tool) === undefined);
}

/** Why this person may not make this call, or undefined when one single allowance allows it. */
export function callRefusal(grant: Grant, tool: GrantedTool, args: unknown): string | undefined {
  const fitting = grant.allowances.filter((a) => excludes(a, tool) === undefined);
  if (fitting.length === 0) return `${tool.name} is not available to you: ${whyNot(grant, tool)} (${grant.source}). Ask the operator if you need it.`;
  const named = namedProjects(tool, args);
  const allows = (a: Allowance) => !a.projects || (named.length > 0 && named.every((p) => typeof p === 'string' && (a.projects as ReadonlySet<string>).has(p)));
  if (fitting.some(allows)) return undefined;
  const yours = [...new Set(fitting.flatMap((a) => [...(a.projects ?? [])]))].join(', ');
  if (named.length === 0) {
    const give = tool.project === 'project_id' ? 'give project_id, one of them' : 'give project_ids naming only them';
    const reach = tool.projectOptional ? `${tool.name} without ${tool.project} reaches every project, and your` : `${tool.name} needs ${tool.project}: your`;
    return `${reach} access to it is limited to projects ${yours}: ${give}.`;
  }
  const outside = named.find((p) => typeof p !== 'string' || !fitting.some((a) => a.projects?.has(p)));
  if (outside !== undefined) return `${tool.name} refused: project ${shown(outside)} is not one of yours (${yours}). Your access is limited to those projects by the operator's policy.`;
  return `${tool.name} refused: no single rule of your access covers projects ${named.map(shown).join(', ')} together. Call it once for each project.`;
}

/** A value from the call's arguments, short enough for a message. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** The projects a call names, as given (not yet validated): none when it names none. */
function namedProjects(tool: GrantedTool, args: unknown): unknown[] {
  const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
  if (tool.project === 'project_id') return record.project_id === undefined ? [] : [record.project_id];
  // A filter that is not a list names no project (validation refuses it anyway).
  if (tool.project === 'project_ids') return Array.isArray(record.project_ids) ? record.project_ids : [];
  return [];
}

/** Why no allowance shows the tool: the one reason, or each allowance's. */
function whyNot(grant: Grant, tool: GrantedTool): string {
  const reasons = grant.allowances.map((a) => explain(excludes(a, tool), a, tool));
  if (reasons.length === 1) return reasons[0] as string;
  return `none of the ${reasons.length} rules that give you access allows it (${reasons.map((r, i) => `${i + 1}: ${r}`).join('; ')})`;
}

/** The grant in one sentence, for the person's instructions. */
export function describeGrant(grant: Grant): string {
  const one = ({ right, toolsets, projects }: Allowance) => {
    const parts = [right === 'read' ? 'read only' : right === 'write' ? 'reads and writes, no destructive tools' : 'reads, writes and destructive tools (with confirmation)'];
    if (toolsets) parts.push(`toolsets ${[...toolsets].join(', ')}`);
    if (projects) parts.push(`projects ${[...projects].join(', ')}`);
    return parts.join('; ');
  };
  const tail = 'Tools outside it are neither listed nor callable.';
  if (grant.allowances.length === 1) return `Your access, from ${grant.source}: ${one(grant.allowances[0] as Allowance)}. ${tail}`;
  const each = grant.allowances.map((a, i) => `(${i + 1}) ${one(a)}`).join('; ');
  return `Your access, from ${grant.source}, is ${grant.allowances.length} rules, each used whole (a call must fit one of them): ${each}. ${tail}`;
}

/** The grant as a stable string, so a session is tied to the rights it was opened with. */
export function grantKey(grant: Grant): unknown[] {
  return grant.allowances.map((a) => [a.right, [...(a.toolsets ?? ['*'])], [...(a.projects ?? ['*'])], ...(a.scripts === false ? ['no-scripts'] : [])]);
}

/**
 * The grant as it applies inside a script: only the rules that allow scripts, used whole as ever.
 * Undefined when no rule does, so the person cannot run scripts at all.
 */
export function forScripts(grant: Grant): Grant | undefined {
  const allowances = grant.allowances.filter((a) => a.scripts !== false);
  return allowances.length === 0 ? undefined : { ...grant, allowances };
}
