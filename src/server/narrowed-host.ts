import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { CallSession, Host } from './host.js';
import { failure, type ToolResult } from './results.js';
import { narrow, type Selection } from './selection.js';

/** What a request may ask for (headers X-MCP-Readonly, X-MCP-Toolsets, X-MCP-Tools). */
export type RequestedSelection = Omit<Selection, 'project'>;

/**
 * A view of a host for one HTTP session whose request asked for less: read-only, fewer toolsets or
 * tools. It can only narrow what the operator started the server with, never widen it: the
 * selection is applied to the tools the host already exposes, and a name outside them is refused.
 */
export class NarrowedHost implements Host {
  readonly instructions: string;
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
    this.exposedEntries = narrow(entries, selection, new Set(entries.map((e) => e.name)));
    this.allowed = new Set(this.exposedEntries.map((e) => e.tool.name));
    this.instructions = `${base.instructions}\nThis session was narrowed by its request${selection.readOnly ? ' to read-only tools' : ''}: only the listed tools can be called.`;
  }

  listTools(): Tool[] {
    return this.base.listTools().filter((t) => this.allowed.has(t.name) || META.has(t.name));
  }

  entries(): ReturnType<Host['entries']> {
    return this.exposedEntries;
  }

  listed(): void {
    this.base.listed?.();
  }

  async call(name: string, args: unknown, session?: CallSession): Promise<ToolResult> {
    const target = name === 'call_tool' ? (args as { name?: unknown } | null)?.name : name;
    if (!META.has(name) || name === 'call_tool') {
      if (typeof target !== 'string' || !this.allowed.has(target)) {
        return failure(`${String(target)} is not available in this session: its request narrowed the tools (X-MCP-Readonly, X-MCP-Toolsets, X-MCP-Tools).`);
      }
    }
    return this.base.call(name, args, session);
  }
}

/** Dynamic mode's meta-tools stay listed; call_tool is checked against the narrowed set. */
const META = new Set(['search_tools', 'describe_tool', 'call_tool']);

/** Reads a narrowing request from headers; null when the request asks for nothing. */
export function requestedSelection(headers: Record<string, string | string[] | undefined>): RequestedSelection | null {
  const header = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  const readOnly = header('x-mcp-readonly');
  const toolsets = header('x-mcp-toolsets');
  const tools = header('x-mcp-tools');
  if (readOnly === undefined && toolsets === undefined && tools === undefined) return null;
  if (readOnly !== undefined && !['1', 'true', '0', 'false'].includes(readOnly.toLowerCase())) {
    throw new RangeError(`X-MCP-Readonly must be 1 or 0 (true/false), got '${readOnly}'.`);
  }
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  return { readOnly: readOnly === '1' || readOnly?.toLowerCase() === 'true', toolsets: list(toolsets), tools: list(tools) };
}
