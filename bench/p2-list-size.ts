import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../src/client/index.js';
import { createLogger } from '../src/log.js';
import { allComposites } from '../src/reports/index.js';
import { ToolHost } from '../src/server/hosts/tool-host.js';
import { TOOLSETS } from '../src/server/listing/registry.js';
import { endpointTools } from '../tools/index.js';
import { BENCH_KEY, CLI, connectStdio, int, table, type Section } from './lib.js';

export const tokens = (text: string): number => encode(text).length;
const listTokens = (tools: unknown[]): number => tokens(JSON.stringify(tools));

/** The tools array exactly as the MCP SDK Client hands it over, plus the server's instructions. */
async function listed(args: string[]): Promise<{ tools: Tool[]; instructions: string }> {
  const session = await connectStdio(CLI, ['--sandbox', '--log-level', 'silent', ...args]);
  try {
    const { tools } = await session.client.listTools();
    return { tools, instructions: session.client.getInstructions() ?? '' };
  } finally {
    await session.close();
  }
}

function omit(tools: Tool[], field: string): unknown[] {
  return tools.map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== field)));
}

/** A deep copy without the given keys anywhere under the given top-level field. */
function strip(tools: Tool[], field: string, keys: string[]): unknown[] {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).filter(([k]) => !keys.includes(k)).map(([k, v]) => [k, walk(v)]));
  };
  return tools.map((t) => ({ ...t, [field]: walk((t as Record<string, unknown>)[field]) }));
}

/** Name, description and input schema: what hosts hand the model for each tool. */
const modelView = (tools: Tool[]): unknown[] => tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));

/** The Admin API's operations today: the budgets for every tool must hold at this many endpoint tools. */
const API_OPERATIONS = 143;

export async function p2(): Promise<Section> {
  const variants: Array<{ label: string; args: string[]; target?: number; modelTarget?: number }> = [
    { label: '`--toolsets all`', args: ['--toolsets', 'all'], target: 21_000, modelTarget: 15_000 },
    { label: 'the default', args: [], target: 6_000 },
    { label: '`--toolsets reports`', args: ['--toolsets', 'reports'], target: 2_500 },
    { label: '`--dynamic`', args: ['--dynamic'], target: 1_000 },
    { label: '`--read-only`', args: ['--read-only'] },
  ];
  const measured = [];
  for (const v of variants) {
    const { tools, instructions } = await listed(v.args);
    measured.push({ ...v, tools, count: tools.length, tokens: listTokens(tools), model: listTokens(modelView(tools)), instructions: tokens(instructions) });
  }
  const all = measured[0]?.tools ?? [];
  const total = listTokens(all);
  // Endpoint tools carry no endpoint in the listing (it is a resource): they are known by name.
  const endpointNames = new Set(endpointTools.map((t) => t.name));
  const endpoints = all.filter((t) => endpointNames.has(t.name));
  const others = all.filter((t) => !endpointNames.has(t.name));
  const at143 = (measure: (tools: Tool[]) => number) => Math.round(measure(others) + (measure(endpoints) / endpoints.length) * Math.max(API_OPERATIONS, endpoints.length));
  const fullAt143 = at143(listTokens);
  const modelAt143 = at143((t) => listTokens(modelView(t)));

  // Marginal cost of each field: the listing's tokens minus the tokens without that field.
  const fields = [...new Set(all.flatMap((t) => Object.keys(t)))];
  const fieldRows = fields
    .map((f) => ({ f, cost: total - listTokens(omit(all, f)) }))
    .sort((a, b) => b.cost - a.cost)
    .map(({ f, cost }) => [`\`${f}\``, int(cost), `${((cost / total) * 100).toFixed(1)}%`]);
  const inner = [
    ['`description` keys inside inputSchema', total - listTokens(strip(all, 'inputSchema', ['description']))],
    ['`required` lists inside outputSchema', total - listTokens(strip(all, 'outputSchema', ['required']))],
  ] as const;

  // Per toolset, computed in-process from the same ToolHost the server builds (no network needed).
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: 'http://127.0.0.1:9/v1' });
  const hostFor = (toolsets?: string[]) =>
    new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, toolsets, composites: allComposites });
  const inProcessAll = listTokens(hostFor(['all']).listTools());
  const toolsetRows = TOOLSETS.map((ts) => {
    const list = hostFor([ts]).listTools();
    return [ts, list.length, int(listTokens(list)), list.length > 0 ? int(listTokens(list) / list.length) : '—'];
  });
  await client.close();

  const perTool = all.map((t) => ({ name: t.name, cost: tokens(JSON.stringify(t)) })).sort((a, b) => b.cost - a.cost);

  return {
    id: 'P2',
    title: 'tools/list size in o200k tokens',
    method:
      'For each flag set, `node dist/cli.js --sandbox <flags>` is spawned, the MCP SDK Client lists the tools over stdio, and the tokens of `JSON.stringify(tools)` ' +
      '(the array as the client receives it) are counted with gpt-tokenizer\'s o200k_base encoding. The server\'s `instructions` (sent once in `initialize`, not part of tools/list) are shown separately.',
    body: [
      table(
        ['listing', 'tools', 'tokens', 'what the model sees', 'tokens per tool', 'instructions tokens (initialize)'],
        measured.map((m) => [m.label, m.count, int(m.tokens), int(m.model), int(m.tokens / m.count), int(m.instructions)]),
      ),
      `With every tool, extrapolated to ${API_OPERATIONS} endpoint tools from the ${endpoints.length} listed (their average cost per tool): the whole listing ${int(fullAt143)} tokens, what the model sees ${int(modelAt143)}.`,
      `What the all-tools listing spends its ${int(total)} tokens on (marginal cost: the listing's tokens minus its tokens with that field removed from every tool; in-process listing: ${int(inProcessAll)} tokens, ${inProcessAll === total ? 'identical to' : 'differs from'} what the client received):`,
      table(['field', 'tokens', 'share'], fieldRows),
      table(['inside the fields', 'tokens'], inner.map(([what, cost]) => [what, int(cost)])),
      'Per toolset (`--toolsets <name>`):',
      table(['toolset', 'tools', 'tokens', 'per tool'], toolsetRows),
      `Most expensive tools: ${perTool.slice(0, 5).map((t) => `\`${t.name}\` ${int(t.cost)}`).join(', ')}; cheapest: ${perTool.slice(-3).map((t) => `\`${t.name}\` ${int(t.cost)}`).join(', ')}.`,
    ],
    checks: [
      ...measured
        .filter((m) => m.target !== undefined)
        .map((m) => ({ id: 'P2', what: `tools/list tokens, ${m.label} (${m.count} tools)`, measured: int(m.tokens), target: `≤ ${int(m.target as number)}`, pass: m.tokens <= (m.target as number) })),
      { id: 'P2', what: `tools/list tokens with every tool, at ${API_OPERATIONS} endpoint tools`, measured: int(fullAt143), target: '≤ 21,000', pass: fullAt143 <= 21_000 },
      { id: 'P2', what: `what the model sees with every tool, at ${API_OPERATIONS} endpoint tools`, measured: int(modelAt143), target: '≤ 15,000', pass: modelAt143 <= 15_000 },
      { id: 'P2', what: 'tools in the default listing', measured: String(measured[1]?.count ?? 0), target: '≤ 40', pass: (measured[1]?.count ?? 99) <= 40 },
    ],
  };
}
