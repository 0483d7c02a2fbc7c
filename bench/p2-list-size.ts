import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { AdminClient } from '../src/client/index.js';
import { createLogger } from '../src/log.js';
import { allComposites } from '../src/reports/index.js';
import { ToolHost } from '../src/server/mcp.js';
import { TOOLSETS } from '../src/server/registry.js';
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

export async function p2(): Promise<Section> {
  const variants: Array<{ label: string; args: string[]; target?: number }> = [
    { label: 'all tools', args: [], target: 16_000 },
    { label: '`--toolsets reports`', args: ['--toolsets', 'reports'], target: 2_500 },
    { label: '`--dynamic`', args: ['--dynamic'], target: 1_000 },
    { label: '`--read-only`', args: ['--read-only'] },
  ];
  const measured = [];
  for (const v of variants) {
    const { tools, instructions } = await listed(v.args);
    measured.push({ ...v, tools, count: tools.length, tokens: listTokens(tools), instructions: tokens(instructions) });
  }
  const all = measured[0]?.tools ?? [];
  const total = listTokens(all);

  // Marginal cost of each field: the listing's tokens minus the tokens without that field.
  const fields = [...new Set(all.flatMap((t) => Object.keys(t)))];
  const fieldRows = fields
    .map((f) => ({ f, cost: total - listTokens(omit(all, f)) }))
    .sort((a, b) => b.cost - a.cost)
    .map(({ f, cost }) => [`\`${f}\``, int(cost), `${((cost / total) * 100).toFixed(1)}%`]);
  const inner = [
    ['`description` keys inside inputSchema', total - listTokens(strip(all, 'inputSchema', ['description']))],
    ['`description` keys inside outputSchema', total - listTokens(strip(all, 'outputSchema', ['description']))],
    ['`required` lists inside outputSchema', total - listTokens(strip(all, 'outputSchema', ['required']))],
    ['`title` inside annotations (repeats the tool title)', total - listTokens(all.map((t) => ({ ...t, annotations: Object.fromEntries(Object.entries(t.annotations ?? {}).filter(([k]) => k !== 'title')) })))],
  ] as const;

  // What-if trims, computed on the received listing (nothing in src changes): each row's saving is measured, not estimated.
  type T = Record<string, unknown>;
  const minimalAnnotations = (t: T): T => {
    const a = (t.annotations ?? {}) as { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
    // MCP defaults: readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true;
    // destructive and idempotent hints mean nothing on a read-only tool.
    const out: T = {};
    if (a.readOnlyHint) out.readOnlyHint = true;
    else {
      if (a.destructiveHint === false) out.destructiveHint = false;
      if (a.idempotentHint) out.idempotentHint = true;
    }
    if (a.openWorldHint === false) out.openWorldHint = false;
    return { ...t, annotations: out };
  };
  const without = (t: T, ...keys: string[]): T => Object.fromEntries(Object.entries(t).filter(([k]) => !keys.includes(k)));
  const sharedParams = ['limit', 'after', 'page', 'max_items', 'order', 'dry_run', 'confirm'];
  const dropParamDescriptions = (t: T): T => {
    const schema = t.inputSchema as { properties?: Record<string, T> };
    const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sharedParams.includes(k) ? without(v, 'description') : v]));
    return { ...t, inputSchema: { ...schema, properties } };
  };
  const base = all as unknown as T[];
  const trims: Array<[string, (t: T) => T]> = [
    ['annotations: only hints that differ from the MCP defaults, no repeated title', minimalAnnotations],
    ['no `_meta` (the endpoint line)', (t) => without(t, '_meta')],
    ['no `outputSchema`', (t) => without(t, 'outputSchema')],
    [`no descriptions on shared parameters (${sharedParams.join(', ')})`, dropParamDescriptions],
    ['the first three together', (t) => without(minimalAnnotations(t), '_meta', 'outputSchema')],
    ['all four together', (t) => dropParamDescriptions(without(minimalAnnotations(t), '_meta', 'outputSchema'))],
  ];
  const trimRows = trims.map(([label, fn]) => {
    const after = listTokens(base.map(fn));
    return [label, int(total - after), int(after), int(after / base.length)];
  });

  // Per toolset, computed in-process from the same ToolHost the server builds (no network needed).
  const client = new AdminClient({ apiKey: BENCH_KEY, baseUrl: 'http://127.0.0.1:9/v1' });
  const hostFor = (toolsets?: string[]) =>
    new ToolHost({ client, logger: createLogger({ level: 'silent' }), sandbox: true, readOnly: false, dynamic: false, redactSecrets: false, toolsets, composites: allComposites });
  const inProcessAll = listTokens(hostFor().listTools());
  const toolsetRows = TOOLSETS.map((ts) => {
    const list = hostFor([ts]).listTools();
    return [ts, list.length, int(listTokens(list)), int(listTokens(list) / list.length)];
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
        ['listing', 'tools', 'tokens', 'tokens per tool', 'instructions tokens (initialize)'],
        measured.map((m) => [m.label, m.count, int(m.tokens), int(m.tokens / m.count), int(m.instructions)]),
      ),
      `What the all-tools listing spends its ${int(total)} tokens on (marginal cost: the listing's tokens minus its tokens with that field removed from every tool; in-process listing: ${int(inProcessAll)} tokens, ${inProcessAll === total ? 'identical to' : 'differs from'} what the client received):`,
      table(['field', 'tokens', 'share'], fieldRows),
      table(['inside the fields', 'tokens'], inner.map(([what, cost]) => [what, int(cost)])),
      'What-if trims of the all-tools listing (applied to the received listing in the benchmark only; tokens measured, not estimated):',
      table(['trim', 'saves', 'listing after', 'per tool'], trimRows),
      'Per toolset (`--toolsets <name>`):',
      table(['toolset', 'tools', 'tokens', 'per tool'], toolsetRows),
      `Most expensive tools: ${perTool.slice(0, 5).map((t) => `\`${t.name}\` ${int(t.cost)}`).join(', ')}; cheapest: ${perTool.slice(-3).map((t) => `\`${t.name}\` ${int(t.cost)}`).join(', ')}.`,
    ],
    checks: measured
      .filter((m) => m.target !== undefined)
      .map((m) => ({ id: 'P2', what: `tools/list tokens, ${m.label} (${m.count} tools)`, measured: int(m.tokens), target: `≤ ${int(m.target as number)}`, pass: m.tokens <= (m.target as number) })),
  };
}
