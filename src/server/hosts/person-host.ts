import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Toolset } from '../../../tools/define.js';
import type { CallSession, Host } from './host.js';
import { META_NAMES } from '../listing/meta-listing.js';
import { callRefusal, describeGrant, forScripts, shows, type Grant, type GrantedTool } from '../access/grant.js';
import type { ToolResult } from '../results/results.js';
import type { ListingMode } from '../listing/selection.js';

/*
 * One person's view of the server over OAuth: the tools their grant allows (scopes, then the
 * operator's policy), enforced at listing and at call time as --read-only is. It keeps the server's
 * listing mode, so a person with fewer rights sees the same kind of listing, minus what they cannot use.
 *
 * What the grant allows, rule by rule and project by project, is decided in grant.ts; this host
 * applies it to the tools its base serves.
 */

type Entry = ReturnType<Host['entries']>[number];

const RUN_SCRIPT = 'run_script';

export class PersonHost implements Host {
  readonly instructions: string;
  readonly mode: ListingMode;
  private readonly allowed: Map<string, Entry>;
  /** Every tool the base serves, so a refusal can say why. */
  private readonly every: Map<string, Entry>;

  constructor(
    private readonly base: Host,
    private readonly grant: Grant,
  ) {
    this.every = new Map(base.entries().map((e) => [e.tool.name, e]));
    this.allowed = new Map([...this.every].filter(([, e]) => shows(grant, grantedTool(e))));
    this.mode = base.mode;
    const toolsets = new Set<Toolset>([...this.allowed.values()].map((e) => e.toolset));
    const readOnly = grant.allowances.every((a) => a.right === 'read');
    this.instructions = `${base.instructionsFor({ toolsets, readOnly, mode: this.mode })}\n${describeGrant(grant)}`;
  }

  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string {
    return this.base.instructionsFor(view);
  }

  listTools(): Tool[] {
    const scripts = forScripts(this.grant) !== undefined;
    return this.base.listTools().filter((t) => this.allowed.has(t.name) || (META_NAMES.has(t.name) && (scripts || t.name !== RUN_SCRIPT)));
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
    return this.base.call(name, args, {
      ...session,
      permit: (tool, toolArgs, via) => outer?.(tool, toolArgs, via) ?? this.refusal(tool, toolArgs, via),
      visible: (tool) => this.allowed.has(tool),
    });
  }

  /** Why this person may not make this call (directly, or from a script), or undefined when they may. */
  private refusal(name: string, args: unknown, via?: 'script'): string | undefined {
    const grant = via === 'script' || name === RUN_SCRIPT ? forScripts(this.grant) : this.grant;
    if (!grant) return `${name === RUN_SCRIPT ? name : `${name} from a script`} is not available to you: the operator's policy keeps scripts from every rule that gives you access (${this.grant.source}). Call the tools directly.`;
    if (name === RUN_SCRIPT) return undefined;
    const entry = this.every.get(name);
    if (!entry) return undefined; // the server answers an unknown name itself
    return callRefusal(grant, grantedTool(entry), args);
  }
}

function grantedTool(entry: Entry): GrantedTool {
  const project = projectArgument(entry.tool);
  const optional = project !== undefined && !(entry.tool.inputSchema.required ?? []).includes(project);
  return { name: entry.tool.name, effect: entry.effect, toolset: entry.toolset, ...(project ? { project, projectOptional: optional } : {}) };
}

/** The argument through which a tool names a project, if it has one. */
function projectArgument(tool: Tool): 'project_id' | 'project_ids' | undefined {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  if ('project_id' in properties) return 'project_id';
  if ('project_ids' in properties) return 'project_ids';
  return undefined;
}
