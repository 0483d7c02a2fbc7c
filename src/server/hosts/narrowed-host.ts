import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { BOOLEAN_WORDS, parseBoolean } from '../../boolean.js';
import { firstHeader } from '../../headers.js';
import type { Toolset } from '../../../tools/define.js';
import type { CallSession, Host } from './host.js';
import { META_NAMES } from '../listing/meta-listing.js';
import { failure, type ToolResult } from '../results/results.js';
import { narrow, type ListingMode, type Selection } from '../listing/selection.js';

/** What a request may ask for (headers X-MCP-Readonly, X-MCP-Toolsets, X-MCP-Tools). */
export type RequestedSelection = Omit<Selection, 'project' | 'dynamic'>;

/**
 * A view of a host for one HTTP session whose request asked for less: read-only, fewer toolsets or
 * tools. It can only narrow what the operator started the server with, never widen it: the
 * selection is applied to the tools the host can call, and a name outside them is refused.
 *
 * A request that names toolsets or tools lists exactly those, as the flags do (unless the server is
 * dynamic, which keeps listing only the meta-tools). A request that only asks for read-only keeps
 * the server's listing, minus its writes.
 */
export class NarrowedHost implements Host {
  readonly instructions: string;
  readonly mode: ListingMode;
  private readonly allowed: Set<string>;
  private readonly exposedEntries: ReturnType<Host['entries']>;

  constructor(
    private readonly base: Host,
    selection: RequestedSelection,
  ) {
    const entries = base.entries().map((e) => ({ ...e, name: e.tool.name }));
    const served = new Set(entries.map((e) => e.name));
    for (const name of selection.tools ?? []) {
      if (!served.has(name)) throw new RangeError(`X-MCP-Tools names '${name}', which this server does not expose: a request can only narrow the tools the server was started with.`);
    }
    this.exposedEntries = narrow(entries, selection, served);
    this.allowed = new Set(this.exposedEntries.map((e) => e.tool.name));
    const named = selection.toolsets !== undefined || selection.tools !== undefined;
    this.mode = base.mode !== 'dynamic' && named ? 'selected' : base.mode;
    const toolsets = new Set<Toolset>(this.exposedEntries.map((e) => e.toolset));
    this.instructions = `${base.instructionsFor({ toolsets, readOnly: selection.readOnly, mode: this.mode })}\nThis session was narrowed by its request${selection.readOnly ? ' to read-only tools' : ''}: only the tools it allows can be called.`;
  }

  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string {
    return this.base.instructionsFor(view);
  }

  listTools(): Tool[] {
    if (this.mode === 'selected' && this.base.mode !== 'selected') return this.exposedEntries.map((e) => e.tool);
    return this.base.listTools().filter((t) => this.allowed.has(t.name) || META_NAMES.has(t.name));
  }

  entries(): ReturnType<Host['entries']> {
    return this.exposedEntries;
  }

  onListed(): void {
    this.base.onListed?.();
  }

  async call(name: string, args: unknown, session?: CallSession): Promise<ToolResult> {
    const target = name === 'call_tool' ? (args as { name?: unknown } | null)?.name : name;
    if (!META_NAMES.has(name) || name === 'call_tool') {
      if (typeof target !== 'string' || !this.allowed.has(target)) {
        return failure(`${String(target)} is not available in this session: its request narrowed the tools (X-MCP-Readonly, X-MCP-Toolsets, X-MCP-Tools).`);
      }
    }
    // The steps of a plan are dispatched inside the server: they meet the narrowing through `permit`.
    const outer = session?.permit;
    const permit = (tool: string, toolArgs: unknown, via?: 'script') =>
      outer?.(tool, toolArgs, via) ?? (this.allowed.has(tool) || META_NAMES.has(tool) ? undefined : `${tool} is not available in this session: its request narrowed the tools (X-MCP-Readonly, X-MCP-Toolsets, X-MCP-Tools)`);
    return this.base.call(name, args, { ...session, permit });
  }
}

/** Reads a narrowing request from headers; null when the request asks for nothing. */
export function requestedSelection(headers: Record<string, string | string[] | undefined>): RequestedSelection | null {
  const header = (name: string) => firstHeader(headers[name])?.trim();
  const readOnly = header('x-mcp-readonly');
  const toolsets = header('x-mcp-toolsets');
  const tools = header('x-mcp-tools');
  if (readOnly === undefined && toolsets === undefined && tools === undefined) return null;
  const readOnlyValue = readOnly === undefined ? false : parseBoolean(readOnly);
  if (readOnlyValue === undefined) throw new RangeError(`X-MCP-Readonly='${readOnly}' is not a boolean: use ${BOOLEAN_WORDS}.`);
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  return { readOnly: readOnlyValue, toolsets: list(toolsets), tools: list(tools) };
}
