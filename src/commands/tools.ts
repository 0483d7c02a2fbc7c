import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config.js';
import { openRuntime } from '../runtime.js';
import { ENDPOINT_META_KEY } from '../server/hosts/endpoints-resource.js';

/** What the meta-tools do, for the listing: they belong to no toolset. */
const META_EFFECT: Record<string, string> = { search_tools: 'read', describe_tool: 'read', call_tool: 'as called' };

/**
 * `openai-admin-mcp tools [--json]`: the tools the current flags list, as a client would see them,
 * with each one's toolset, effect and endpoint. Needs no key. `--json` prints the `tools/list`
 * entries, their `_meta` extended with the endpoint, toolset and effect.
 */
export async function runTools(config: ServerConfig): Promise<number> {
  const runtime = await openRuntime({ ...config, sandbox: false }, { requireKey: false });
  try {
    const host = await runtime.toolHost();
    const facts = new Map(host.listed.map((t) => [t.name, { toolset: t.toolset as string, effect: t.effect as string, endpoint: t.endpoint ? `${t.endpoint.method} ${t.endpoint.path}` : t.workflow ? '(plan)' : '(report)' }]));
    const describe = (tool: Tool) => facts.get(tool.name) ?? { toolset: 'meta', effect: META_EFFECT[tool.name] ?? 'as called', endpoint: '(meta-tool)' };
    const listed = host.listTools();
    if (config.json) {
      const entries = listed.map((tool) => {
        const { toolset, effect, endpoint } = describe(tool);
        // The endpoint is not in tools/list (clients read it from the endpoints resource); shown here.
        const where = endpoint.startsWith('(') ? {} : { [ENDPOINT_META_KEY]: endpoint };
        return { ...tool, _meta: { ...tool._meta, ...where, 'openai-admin/toolset': toolset, 'openai-admin/effect': effect } };
      });
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      return 0;
    }
    const rows = [['tool', 'toolset', 'effect', 'endpoint'], ...listed.map((tool) => [tool.name, describe(tool).toolset, describe(tool).effect, describe(tool).endpoint])];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
    const lines = rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell)).join('  '));
    const unlisted = host.exposed.length - host.listed.length;
    const footer =
      unlisted > 0
        ? `${listed.length} tools listed; ${unlisted} more callable through call_tool (${host.mode === 'dynamic' ? 'search_tools finds them' : '--toolsets all lists every tool'})`
        : `${listed.length} tools`;
    process.stdout.write(`${lines.join('\n')}\n${footer}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
