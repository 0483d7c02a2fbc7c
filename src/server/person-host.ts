import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Toolset } from './endpoint.js';
import type { CallSession, Host } from './host.js';
import { META_NAMES } from './meta-listing.js';
import type { Grant } from './policy.js';
import type { ToolResult } from './results.js';
import type { ListingMode } from './selection.js';

/*
 * One person's view of the server over OAuth: the tools their grant allows (scopes, then the
 * operator's policy), enforced at listing and at call time as --read-only is. It keeps the server's
 * listing mode, so a person with fewer rights sees the same kind of listing, minus what they cannot use.
 *
 * Projects: a grant limited to projects allows only tools that name a project (`project_id`, or a
 * `project_ids` filter, which must then be given), and only with those projects. Tools that reach
 * the whole organization (users, roles, org-wide reports) are outside such a grant.
 */

type Entry = ReturnType<Host['entries']>[number];

export class PersonHost implements Host {
  readonly instructions: string;
  readonly mode: ListingMode;
  private readonly allowed: Map<string, Entry>;

  constructor(
    private readonly base: Host,
    private readonly grant: Grant,
  ) {
    this.allowed = new Map(base.entries().filter((e) => this.permits(e)).map((e) => [e.tool.name, e]));
    this.mode = base.mode;
    const toolsets = new Set<Toolset>([...this.allowed.values()].map((e) => e.toolset));
    this.instructions = `${base.instructionsFor({ toolsets, readOnly: grant.right === 'read', mode: this.mode })}\n${this.describeGrant()}`;
  }

  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string {
    return this.base.instructionsFor(view);
  }

  listTools(): Tool[] {
    return this.base.listTools().filter((t) => this.allowed.has(t.name) || META_NAMES.has(t.name));
  }

  entries(): ReturnType<Host['entries']> {
    return [...this.allowed.values()];
  }

  /**
   * The grant is checked where the server dispatches each tool (`permit`), by name or through
   * call_tool, so that a refused write is audited with its caller, as --read-only's refusals are.
   */
  async call(name: string, args: unknown, session: CallSession = {}): Promise<ToolResult> {
    // Composed with any narrowing already on the session, so a plan's steps meet both.
    const outer = session.permit;
    return this.base.call(name, args, { ...session, permit: (tool, toolArgs) => outer?.(tool, toolArgs) ?? this.refusal(tool, toolArgs), visible: (tool) => this.allowed.has(tool) });
  }

  private permits(entry: Entry): boolean {
    const { right, toolsets, projects } = this.grant;
    if (entry.effect === 'destructive' && right !== 'destructive') return false;
    if (entry.effect !== 'read' && right === 'read') return false;
    if (toolsets && !toolsets.has(entry.toolset)) return false;
    if (projects && !projectArgument(entry.tool)) return false;
    return true;
  }

  /** Why this person may not make this call, or undefined when they may. */
  private refusal(name: string, args: unknown): string | undefined {
    const entry = this.allowed.get(name);
    if (!entry) {
      const exists = this.base.entries().find((e) => e.tool.name === name);
      if (!exists) return undefined; // the server answers an unknown name itself
      return `${name} is not available to you: ${this.whyNot(exists)} (${this.grant.source}). Ask the operator if you need it.`;
    }
    const projects = this.grant.projects;
    if (!projects) return undefined;
    const record = typeof args === 'object' && args !== null ? (args as Record<string, unknown>) : {};
    const named = projectArgument(entry.tool) === 'project_id' ? [record.project_id] : Array.isArray(record.project_ids) ? record.project_ids : [];
    const allowed = [...projects].join(', ');
    if (named.length === 0) return `${name} needs project_ids naming your projects (${allowed}): your access is limited to them.`;
    const outside = named.find((p) => typeof p !== 'string' || !projects.has(p));
    if (outside !== undefined) return `${name} refused: project ${String(outside)} is not one of yours (${allowed}). Your access is limited to those projects by the operator's policy.`;
    return undefined;
  }

  private whyNot(entry: Entry): string {
    const { right, toolsets, projects } = this.grant;
    if (entry.effect !== 'read' && right === 'read') return 'you may only read';
    if (entry.effect === 'destructive' && right !== 'destructive') return 'it is destructive and you may not run destructive tools';
    if (toolsets && !toolsets.has(entry.toolset)) return `it is in the ${entry.toolset} toolset, and yours are ${[...toolsets].join(', ')}`;
    if (projects && !projectArgument(entry.tool)) return 'it reaches the whole organization, and your access is limited to projects';
    return 'your access does not include it';
  }

  private describeGrant(): string {
    const { right, toolsets, projects, source } = this.grant;
    const parts = [right === 'read' ? 'read only' : right === 'write' ? 'reads and writes, no destructive tools' : 'reads, writes and destructive tools (with confirmation)'];
    if (toolsets) parts.push(`toolsets ${[...toolsets].join(', ')}`);
    if (projects) parts.push(`projects ${[...projects].join(', ')}`);
    return `Your access, from ${source}: ${parts.join('; ')}. Tools outside it are neither listed nor callable.`;
  }
}

/** The argument through which a tool names a project, if it has one. */
function projectArgument(tool: Tool): 'project_id' | 'project_ids' | undefined {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  if ('project_id' in properties) return 'project_id';
  if ('project_ids' in properties) return 'project_ids';
  return undefined;
}
