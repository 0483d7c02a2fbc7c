import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { allComposites } from '../../../src/reports/index.js';
import { allWorkflows } from '../../../src/plans/index.js';
import { effectiveHints } from '../../../src/server/listing/annotations.js';
import { DEFAULT_TOOLS } from '../../../src/server/listing/default-tools.js';
import { metaInputSchemas, type ServerDeps } from '../../../src/server/hosts/tool-host.js';
import { META_LISTINGS, RUN_SCRIPT_LISTING } from '../../../src/server/listing/meta-listing.js';
import { scriptRunner } from '../../../src/scripts/index.js';
import { NarrowedHost } from '../../../src/server/hosts/narrowed-host.js';
import { descriptionRestatesName, titleRestatesName } from '../../../src/server/listing/schema.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { endpointTools } from '../../../tools/index.js';
import { connectStdio, structured, text } from '../../connect.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';

/*
 * What `tools/list` costs and what it shows, per listing mode. Every token of the listing is paid by
 * every conversation a host has, so each mode has a budget in o200k tokens, the encoding of OpenAI's
 * current models, and the budgets for every tool must hold for the whole Admin API: 143 endpoint
 * tools. While fewer are registered, their average cost is extrapolated to 143.
 */

const API_OPERATIONS = 143;
const BUDGET = {
  /** `--toolsets all`: the whole tools/list answer, PRODUCT.md §9 P2's 21,000 (19,204 since the endpoints became a resource). */
  full: 21_000,
  /**
   * `--toolsets all`: name, description and input schema, as hosts hand them to the model. P2 asks
   * 15,000 and is not met: 15,600 (16,005 before time fields listed as one type and descriptions that
   * restate the name were dropped; since then onboard_project's groups and spend_limit, the reports'
   * `fresh`, run_script and the period names back in the reports' schemas joined); held here until cut
   * (docs/BENCHMARKS.md, P2).
   */
  model: 15_610,
  /**
   * P2 asks 2,500 and is not met: 3,321, of which about 1,950 are the six reports' output schemas
   * (spend_anomalies' view `_meta.ui`, the reports' `fresh` and the period names in each report's
   * schema since 3,101); held here until cut.
   */
  reports: 3_330,
  dynamic: 1_000,
  /** The default listing, which must fit every host (PRODUCT.md §9 P2): ≤ 40 tools and 6,000 tokens, run_script included. */
  default: 6_000,
  /** run_script's own entry (issue 22). */
  runScript: 350,
  defaultTools: 40,
};

const tokens = (value: unknown): number => encode(JSON.stringify(value)).length;
const modelView = (tools: Tool[]) => tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
const isEndpoint = (t: Tool) => endpointTools.some((e) => e.name === t.name);

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 23 }));
});
afterAll(() => close());

const host = (deps: Partial<ServerDeps> = {}) =>
  testHost(client, { composites: allComposites, workflows: allWorkflows, scripts: scriptRunner, ...deps });
const names = (tools: Tool[]) => tools.map((t) => t.name);

/** Tokens of a listing with its endpoint tools' share scaled to every API operation. */
function extrapolated(tools: Tool[], measure: (tools: Tool[]) => number): { now: number; at143: number } {
  const endpoints = tools.filter(isEndpoint);
  const others = tools.filter((t) => !isEndpoint(t));
  const perEndpoint = measure(endpoints) / endpoints.length;
  return { now: measure(tools), at143: Math.round(measure(others) + perEndpoint * Math.max(API_OPERATIONS, endpoints.length)) };
}

describe('listing budgets (o200k tokens)', () => {
  it(`--toolsets all: the whole listing ≤ ${BUDGET.full} and what the model sees ≤ ${BUDGET.model}, at ${API_OPERATIONS} endpoint tools`, () => {
    const all = host({ toolsets: ['all'] }).listTools();
    expect(all.filter(isEndpoint)).toHaveLength(endpointTools.length);
    const full = extrapolated(all, tokens);
    const model = extrapolated(all, (t) => tokens(modelView(t)));
    expect(full.at143, `whole listing ${full.now} now, ${full.at143} extrapolated`).toBeLessThanOrEqual(BUDGET.full);
    expect(model.at143, `model view ${model.now} now, ${model.at143} extrapolated`).toBeLessThanOrEqual(BUDGET.model);
  });

  it(`--toolsets reports ≤ ${BUDGET.reports}`, () => {
    const reports = host({ toolsets: ['reports'] }).listTools();
    expect(names(reports)).toEqual(allComposites.map((c) => c.name));
    expect(tokens(reports)).toBeLessThanOrEqual(BUDGET.reports);
  });

  it(`--dynamic ≤ ${BUDGET.dynamic}`, () => {
    const dynamic = host({ dynamic: true }).listTools();
    expect(names(dynamic)).toEqual(['search_tools', 'describe_tool', 'call_tool', 'run_script']);
    expect(tokens(dynamic)).toBeLessThanOrEqual(BUDGET.dynamic);
  });

  it(`run_script's entry ≤ ${BUDGET.runScript}; listed by default and in --dynamic, not with --scripts off`, () => {
    expect(tokens(RUN_SCRIPT_LISTING)).toBeLessThanOrEqual(BUDGET.runScript);
    expect(names(host().listTools())).toContain('run_script');
    expect(names(host({ scripts: undefined }).listTools())).not.toContain('run_script');
    expect(names(host({ scripts: undefined, dynamic: true }).listTools())).toEqual(['search_tools', 'describe_tool', 'call_tool']);
  });

  it(`the default: at most ${BUDGET.defaultTools} tools and ${BUDGET.default} tokens`, () => {
    const listed = host().listTools();
    expect(listed.length).toBeLessThanOrEqual(BUDGET.defaultTools);
    expect(tokens(listed)).toBeLessThanOrEqual(BUDGET.default);
  });
});

/** Every schema node under `schema` that accepts any value, by path. */
function anything(schema: unknown, path: string): string[] {
  if (schema === true) return [path];
  if (schema === null || typeof schema !== 'object') return [];
  const node = schema as Record<string, unknown>;
  const constrained = ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', 'not'].some((k) => k in node);
  const found = constrained ? [] : [path];
  if (node.type === 'array' && node.items === undefined) found.push(`${path}[] (array items unconstrained)`);
  for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, unknown>)) found.push(...anything(child, `${path}.${key}`));
  if (node.items !== undefined) found.push(...anything(node.items, `${path}[]`));
  if (node.additionalProperties !== undefined && typeof node.additionalProperties !== 'boolean') found.push(...anything(node.additionalProperties, `${path}{*}`));
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const [i, variant] of ((node[k] ?? []) as unknown[]).entries()) found.push(...anything(variant, `${path}.${k}[${i}]`));
  }
  return found;
}

describe('schemas constrain every value', () => {
  const every = [...host({ toolsets: ['all'] }).listTools(), ...META_LISTINGS, RUN_SCRIPT_LISTING];

  it.each(every.map((t) => [t.name, t] as const))('%s: no input or output property accepts any value', (name, tool) => {
    expect(anything(tool.inputSchema, `${name}.input`)).toEqual([]);
    if (tool.outputSchema) expect(anything(tool.outputSchema, `${name}.output`)).toEqual([]);
  });

  it('the walk finds what it looks for', () => {
    expect(anything({ type: 'object', properties: { a: {}, b: { type: 'array' }, c: { type: 'object', additionalProperties: {} } } }, 'x')).toEqual(['x.a', 'x.b[] (array items unconstrained)', 'x.c{*}']);
  });

  it('reports keep typed output schemas; endpoint tools list none', () => {
    for (const tool of every) expect(tool.outputSchema !== undefined, tool.name).toBe(allComposites.some((c) => c.name === tool.name));
  });

  it('annotations list only hints that differ from the MCP defaults, and no repeated title', () => {
    for (const tool of every) {
      const annotations = tool.annotations ?? {};
      expect(annotations, tool.name).not.toHaveProperty('title');
      const hints = effectiveHints(tool.annotations);
      if (annotations.readOnlyHint === false) throw new Error(`${tool.name} states the default readOnlyHint`);
      if (annotations.destructiveHint === true || annotations.idempotentHint === false || annotations.openWorldHint === true) throw new Error(`${tool.name} states a default hint`);
      if (hints.readOnlyHint) expect(Object.keys(annotations).filter((k) => k === 'destructiveHint' || k === 'idempotentHint'), tool.name).toEqual([]);
    }
  });

  it('a title and a description are listed only where they say more than the name', () => {
    const registered = new Map(host({ toolsets: ['all'] }).exposed.map((t) => [t.name, t]));
    const listed = host({ toolsets: ['all'] }).listTools();
    for (const tool of listed) {
      const { title = '', description = '' } = registered.get(tool.name) ?? {};
      expect(tool.title, tool.name).toBe(titleRestatesName(title, tool.name) ? undefined : title);
      expect(tool.description, tool.name).toBe(descriptionRestatesName(description, tool.name) ? undefined : description);
    }
    const find = (name: string) => listed.find((t) => t.name === name);
    expect(find('users_list')?.title).toBeUndefined();
    expect(find('projects_retrieve')?.title).toBeUndefined();
    expect(find('invites_create')?.title).toBe('Invite user');
    expect(find('groups_roles_delete')?.title).toBe('Unassign org role from group');
    expect(titleRestatesName('Text-to-speech usage', 'usage_audio_speeches')).toBe(false);
    expect(find('projects_api_keys_retrieve')?.description).toBeUndefined();
    expect(find('groups_delete')?.description).toBeUndefined();
    // An effect, a limit or a status is more than the name.
    expect(find('projects_users_delete')?.description).toMatch(/keys there stop working/);
    expect(find('certificates_delete')?.description).toMatch(/inactive everywhere/);
    expect(find('projects_retrieve')?.description).toMatch(/status/);
  });

  it('time fields are listed as one string type, and Unix seconds as a number still work', async () => {
    const h = host({ toolsets: ['all'] });
    const listed = h.listTools();
    expect(listed.find((t) => t.name === 'usage_completions')?.inputSchema.properties?.start_time).toEqual({ type: 'string' });
    expect(listed.find((t) => t.name === 'spend_report')?.inputSchema.properties?.start).toEqual({ type: 'string', description: 'Date, Unix s or 30d' });
    const start = Math.floor(Date.UTC(2026, 10, 1) / 1000);
    const asNumber = await h.call('usage_completions', { start_time: start, end_time: start + 2 * 86_400 });
    const asDigits = await h.call('usage_completions', { start_time: String(start), end_time: '2026-11-03' });
    expect(asNumber.isError, text(asNumber)).toBeFalsy();
    expect(structured(asNumber)).toEqual(structured(asDigits));
    const report = await h.call('spend_report', { start, end: start + 86_400 });
    expect(structured<{ period: { start: string } }>(report).period.start).toMatch(/^2026-11-01/);
    expect(text(await h.call('usage_completions', { start_time: -5 }))).toMatch(/start_time/);
  });

  it('page-size bounds are enforced at call time, with the range, though not listed', async () => {
    const h = host({ toolsets: ['all'] });
    const users = h.listTools().find((t) => t.name === 'users_list');
    expect(users?.inputSchema.properties?.limit).toEqual({ type: 'integer' });
    expect(text(await h.call('users_list', { limit: 101 }))).toMatch(/limit.*must be from 1 to 100/);
    expect(text(await h.call('roles_list', { limit: 1001 }))).toMatch(/limit.*must be from 0 to 1000/);
    expect(text(await h.call('usage_completions', { start_time: '1d', limit: 1441 }))).toMatch(/limit.*must be from 1 to 1440/);
    expect(host().instructions).toMatch(/limit is at most 100, 1,000 on role and group lists/);
  });

  it('the meta-tools list exactly the schemas their validators derive', () => {
    for (const { name, inputSchema } of metaInputSchemas()) expect(META_LISTINGS.find((t) => t.name === name)?.inputSchema, name).toEqual(inputSchema);
  });
});

const endpointNames = new Set(endpointTools.map((t) => t.name));
const reports = allComposites.map((c) => c.name);
const workflows = allWorkflows.map((w) => w.name);
const meta = ['search_tools', 'describe_tool', 'call_tool', 'run_script'];

describe('listing modes', () => {
  it('every default tool exists and has its reason written down', () => {
    expect(new Set(DEFAULT_TOOLS.map(([name]) => name)).size).toBe(DEFAULT_TOOLS.length);
    for (const [name, reason] of DEFAULT_TOOLS) {
      expect(endpointNames.has(name), name).toBe(true);
      expect(reason.length, name).toBeGreaterThan(5);
    }
  });

  it('the default lists the reports, the workflows, the curated tools and the meta-tools; everything else is callable', async () => {
    const h = host();
    expect(h.mode).toBe('default');
    expect(names(h.listTools()).sort()).toEqual([...reports, ...workflows, ...DEFAULT_TOOLS.map(([name]) => name), ...meta].sort());
    expect(h.exposed).toHaveLength(endpointTools.length + reports.length + workflows.length);
    // groups_list is not listed; call_tool reaches it, and so does a call by name.
    expect(names(h.listTools())).not.toContain('groups_list');
    const viaMeta = await h.call('call_tool', { name: 'groups_list', arguments: {} });
    expect(viaMeta.isError, text(viaMeta)).toBeFalsy();
    expect(structured<{ data: unknown[] }>(viaMeta).data.length).toBe(sandbox.state.groups.size);
    const found = structured<{ tools: Array<{ name: string }> }>(await h.call('search_tools', { query: 'certificates activate' }));
    expect(found.tools.map((t) => t.name)).toContain('certificates_activate');
    const described = structured<{ name: string; _meta?: Record<string, unknown> }>(await h.call('describe_tool', { name: 'usage_images' }));
    expect(described.name).toBe('usage_images');
    // The endpoint, left out of tools/list, comes with the rest of the tool here.
    expect(described._meta).toEqual({ 'openai-admin/endpoint': 'GET /organization/usage/images' });
  });

  it('in the default, read-only still wins: writes are neither listed nor callable through call_tool', async () => {
    const h = host({ readOnly: true });
    const listed = h.listTools();
    expect(listed.filter((t) => !meta.includes(t.name)).every((t) => effectiveHints(t.annotations).readOnlyHint)).toBe(true);
    expect(names(listed)).toEqual(expect.arrayContaining(meta));
    const before = sandbox.state.groups.size;
    const refused = await h.call('call_tool', { name: 'groups_create', arguments: { name: 'nope' } });
    expect(text(refused)).toMatch(/refused: the server is read-only/);
    expect(sandbox.state.groups.size).toBe(before);
    expect(h.instructions).toMatch(/Read-only mode/);
  });

  it('--toolsets all lists every tool and no meta-tool', () => {
    const h = host({ toolsets: ['all'] });
    expect(h.mode).toBe('selected');
    expect(names(h.listTools()).sort()).toEqual([...reports, ...workflows, ...endpointNames].sort());
  });

  it('--toolsets and --tools list exactly what they select, without meta-tools', async () => {
    const h = host({ toolsets: ['certificates'], tools: ['projects_list'] });
    const listed = names(h.listTools());
    expect(listed.every((n) => n.includes('certificates') || n === 'projects_list')).toBe(true);
    expect(listed).not.toContain('call_tool');
    expect(text(await h.call('call_tool', { name: 'projects_list' }))).toMatch(/Unknown tool 'call_tool'/);
    expect(names(host({ tools: ['users_list'] }).listTools())).toEqual(['users_list']);
  });

  it('--dynamic lists only the meta-tools, and call_tool reaches the selection', async () => {
    const h = host({ dynamic: true, toolsets: ['members'] });
    expect(names(h.listTools())).toEqual(meta);
    expect((await h.call('call_tool', { name: 'users_list', arguments: { limit: 1 } })).isError).toBeFalsy();
    expect(text(await h.call('call_tool', { name: 'projects_list', arguments: {} }))).toMatch(/not enabled on this server/);
  });

  it('scoped to a project, the default hides organization-wide writes from the listing and from call_tool', async () => {
    const atlas = [...sandbox.state.projects.values()].find((p) => p.name === 'Atlas');
    const h = host({ project: atlas?.id });
    expect(names(h.listTools())).not.toContain('projects_create');
    expect(names(h.listTools())).toContain('projects_users_list');
    expect(text(await h.call('call_tool', { name: 'invites_create', arguments: { email: 'x@example.com', role: 'reader' } }))).toMatch(/not available when scoped to project/);
  });

  it('the instructions say how to reach what is not listed', () => {
    expect(host().instructions).toMatch(/Only the most used tools are listed.*call_tool runs it/);
    expect(host({ toolsets: ['all'] }).instructions).not.toMatch(/Only the most used tools/);
  });
});

describe('HTTP sessions narrowed by their request (X-MCP-*)', () => {
  it('on a default server, read-only keeps the default listing minus writes; call_tool still reaches every allowed read', async () => {
    const session = new NarrowedHost(host(), { readOnly: true });
    expect(session.mode).toBe('default');
    const listed = names(session.listTools());
    expect(listed).toEqual(expect.arrayContaining([...reports, ...meta, 'projects_list']));
    expect(listed).not.toContain('projects_create');
    expect((await session.call('call_tool', { name: 'groups_list', arguments: {} })).isError).toBeFalsy();
    expect(text(await session.call('call_tool', { name: 'groups_create', arguments: { name: 'x' } }))).toMatch(/not available in this session/);
  });

  it('on a default server, naming toolsets or tools lists exactly those, as the flags do', async () => {
    const certificates = new NarrowedHost(host(), { readOnly: false, toolsets: ['certificates'] });
    expect(certificates.mode).toBe('selected');
    expect(names(certificates.listTools()).sort()).toEqual(endpointTools.filter((t) => t.toolset === 'certificates').map((t) => t.name).sort());
    expect(certificates.instructions).not.toMatch(/Only the most used tools/);
    expect(text(await certificates.call('users_list', {}))).toMatch(/not available in this session/);
    expect(names(new NarrowedHost(host(), { readOnly: false, tools: ['groups_list'] }).listTools())).toEqual(['groups_list']);
  });

  it('on a dynamic server, a narrowed session still lists only the meta-tools, and call_tool keeps to the narrowing', async () => {
    const session = new NarrowedHost(host({ dynamic: true }), { readOnly: false, toolsets: ['members'] });
    expect(names(session.listTools())).toEqual(meta);
    expect((await session.call('call_tool', { name: 'users_list', arguments: { limit: 1 } })).isError).toBeFalsy();
    expect(text(await session.call('call_tool', { name: 'projects_list', arguments: {} }))).toMatch(/not available in this session/);
  });

  it('a request can never widen: a tool the operator left out cannot be named', () => {
    expect(() => new NarrowedHost(host({ toolsets: ['projects'] }), { readOnly: false, tools: ['groups_list'] })).toThrow(/does not expose/);
  });
});

describe('what a client receives over stdio', () => {
  it('the default listing, with report results that validate against their output schemas in the SDK client', async () => {
    const server = await connectStdio(['--sandbox', '--log-level', 'silent']);
    try {
      const { tools } = await server.client.listTools();
      expect(tools.length).toBeLessThanOrEqual(BUDGET.defaultTools);
      expect(names(tools)).toEqual(expect.arrayContaining([...reports, ...meta]));
      // The SDK Client validates structuredContent against a listed outputSchema and throws on a mismatch.
      for (const [name, args] of [
        ['spend_report', { period: 'last_month', group_by: ['line_item', 'project'], daily: true, top: 3 }],
        ['usage_report', { family: 'all', period: 'last_30_days' }],
        ['usage_report', { period: 'last_30_days', group_by: ['model', 'project'] }],
        ['access_review', { project: 'Atlas' }],
        ['find', { query: 'a', limit: 50 }],
        ['audit_search', { period: 'last_90_days', limit: 5 }],
      ] as const) {
        const result = await server.client.callTool({ name, arguments: args });
        expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
      }
    } finally {
      await server.close();
    }
  });
});
