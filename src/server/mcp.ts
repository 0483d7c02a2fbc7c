import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AdminClient } from '../client/index.js';
import type { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { Confirmations } from './confirm.js';
import type { Toolset } from './endpoint.js';
import { executeEndpoint, type ExecContext } from './executor.js';
import { buildInstructions } from './instructions.js';
import { selectTools, type CompositeTool, type RegisteredTool } from './registry.js';
import { failure, success, describeValidation, type ToolResult } from './results.js';
import { toJsonSchema } from './schema.js';

export interface PolicyOptions {
  readOnly: boolean;
  toolsets?: readonly string[];
  tools?: readonly string[];
  project?: string;
  dynamic: boolean;
  redactSecrets: boolean;
  confirmSecret?: string;
}

export interface ServerDeps extends PolicyOptions {
  client: AdminClient;
  sandbox: boolean;
  logger: Logger;
  composites?: readonly CompositeTool[];
  /** Clock for confirmation tokens (ms). Tests inject one. */
  now?: () => number;
}

/** What a running server exposes and how it dispatches: shared by MCP transports and `call`. */
export class ToolHost {
  readonly exposed: RegisteredTool[];
  readonly instructions: string;
  private readonly byName: Map<string, RegisteredTool>;
  private readonly everyName: Set<string>;
  private readonly confirmations: Confirmations;

  constructor(private readonly deps: ServerDeps) {
    this.exposed = selectTools(deps, deps.composites ?? []);
    this.byName = new Map(this.exposed.map((t) => [t.name, t]));
    this.everyName = new Set(selectTools({ readOnly: false }, deps.composites ?? []).map((t) => t.name));
    this.confirmations = new Confirmations(deps.confirmSecret, deps.now);
    this.instructions = buildInstructions({
      toolsets: new Set(this.exposed.map((t) => t.toolset as Toolset)),
      readOnly: deps.readOnly,
      sandbox: deps.sandbox,
      dynamic: deps.dynamic,
      project: deps.project,
    });
  }

  /** The `tools/list` answer: every exposed tool, or the three meta-tools in dynamic mode. */
  listTools(): Tool[] {
    if (this.deps.dynamic) return META_TOOLS.map((m) => m.listing);
    return this.exposed.map(listing);
  }

  async call(name: string, args: unknown, signal?: AbortSignal): Promise<ToolResult> {
    if (this.deps.dynamic) {
      const meta = META_TOOLS.find((m) => m.listing.name === name);
      if (meta) return meta.run(this, args, signal);
    }
    return this.callTool(name, args, signal);
  }

  /** Dispatches one tool by name under the full policy; dynamic `call_tool` comes through here too. */
  async callTool(name: string, args: unknown, signal?: AbortSignal): Promise<ToolResult> {
    const tool = this.byName.get(name);
    const opts = { sandbox: this.deps.sandbox };
    if (!tool) {
      if (this.everyName.has(name)) {
        return failure(
          this.deps.readOnly
            ? `${name} refused: the server is read-only and ${name} can change the organization.`
            : `${name} is not enabled on this server (see --toolsets, --tools and --project).`,
          opts,
        );
      }
      return failure(`Unknown tool '${name}'. ${this.deps.dynamic ? 'Use search_tools to find one.' : 'List the tools to see what exists.'}`, opts);
    }
    const ctx: ExecContext = { client: this.deps.client, confirmations: this.confirmations, sandbox: this.deps.sandbox, redactSecrets: this.deps.redactSecrets, signal };
    if (tool.endpoint) return executeEndpoint(tool, args, ctx);
    return failure(`${name} has no runner.`, opts);
  }

  find(name: string): RegisteredTool | undefined {
    return this.byName.get(name);
  }

  search(query: string, limit: number): RegisteredTool[] {
    const words = query.toLowerCase().split(/[\s_,.-]+/).filter(Boolean);
    const scored = this.exposed.map((tool) => {
      const hay = `${tool.name.replace(/_/g, ' ')} ${tool.title} ${tool.description} ${tool.toolset}`.toLowerCase();
      const score = words.reduce((s, w) => s + (tool.name.includes(w) ? 3 : 0) + (hay.includes(w) ? 1 : 0), 0);
      return { tool, score };
    });
    return scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.tool.name.localeCompare(b.tool.name))
      .slice(0, limit)
      .map((s) => s.tool);
  }
}

function listing(tool: RegisteredTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    outputSchema: tool.outputSchema as Tool['outputSchema'],
    annotations: tool.annotations,
    ...(tool.meta ? { _meta: tool.meta } : {}),
  };
}

interface MetaTool {
  listing: Tool;
  run(host: ToolHost, args: unknown, signal?: AbortSignal): Promise<ToolResult>;
}

function metaTool<S extends z.ZodRawShape>(name: string, title: string, description: string, shape: S, run: (host: ToolHost, args: z.infer<z.ZodObject<S>>, signal?: AbortSignal) => Promise<ToolResult>): MetaTool {
  const input = z.object(shape).strict();
  return {
    listing: { name, title, description, inputSchema: toJsonSchema(input) as Tool['inputSchema'], annotations: { title, readOnlyHint: name !== 'call_tool', openWorldHint: name === 'call_tool' } },
    async run(host, args, signal) {
      const parsed = input.safeParse(args ?? {});
      if (!parsed.success) return failure(describeValidation(name, parsed.error, Object.keys(shape)));
      return run(host, parsed.data, signal);
    },
  };
}

const META_TOOLS: MetaTool[] = [
  metaTool(
    'search_tools',
    'Search tools',
    'Find Admin API tools by keywords; returns names with one-line summaries.',
    { query: z.string().min(1).describe('Keywords, e.g. "archive project"'), limit: z.number().int().min(1).max(50).optional().describe('Max results, default 10') },
    async (host, { query, limit }) =>
      success({ tools: host.search(query, limit ?? 10).map((t) => ({ name: t.name, effect: t.effect, summary: t.description })) }),
  ),
  metaTool('describe_tool', 'Describe tool', "A tool's full input schema and annotations.", { name: z.string().min(1).describe('Tool name') }, async (host, { name }) => {
    const tool = host.find(name);
    if (!tool) return failure(`Unknown or disabled tool '${name}'. Use search_tools to find one.`);
    return success({ ...listing(tool) } as Record<string, unknown>);
  }),
  metaTool(
    'call_tool',
    'Call tool',
    'Run a tool by name with its arguments, under the same validation and safety policy.',
    { name: z.string().min(1).describe('Tool name'), arguments: z.record(z.unknown()).optional().describe('The tool arguments') },
    async (host, { name, arguments: args }, signal) => host.callTool(name, args ?? {}, signal),
  ),
];

/** An MCP server (low-level SDK `Server`) serving a ToolHost. One per connection or session. */
export function createMcpServer(host: ToolHost): Server {
  const server = new Server({ name: 'openai-admin-mcp', version: VERSION }, { capabilities: { tools: {} }, instructions: host.instructions });
  const tools = host.listTools();
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => host.call(request.params.name, request.params.arguments, extra.signal));
  return server;
}
