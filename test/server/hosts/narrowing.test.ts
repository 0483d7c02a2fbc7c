import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import { allComposites } from '../../../src/reports/index.js';
import { ToolHost, type ServerDeps } from '../../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { structured, text } from '../../connect.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 91 }));
});
afterAll(() => close());

const host = (deps: Partial<ServerDeps> = {}) =>
  testHost(client, { composites: allComposites, ...deps });
const names = (h: ToolHost) => h.listTools().map((t) => t.name);
const atlas = () => [...sandbox.state.projects.values()].find((p) => p.name === 'Atlas');

describe('toolsets and tools', () => {
  it('combine as a union', () => {
    const h = host({ toolsets: ['certificates'], tools: ['projects_list'] });
    expect(names(h).sort()).toEqual([...names(host({ toolsets: ['certificates'] })), 'projects_list'].sort());
    expect(names(h).every((n) => n.includes('certificates') || n === 'projects_list')).toBe(true);
  });

  it('read-only wins over a write named in --tools', async () => {
    const h = host({ readOnly: true, tools: ['projects_create', 'projects_list'] });
    expect(names(h)).toEqual(['projects_list']);
    const refused = await h.call('projects_create', { name: 'x' });
    expect(text(refused)).toMatch(/refused: the server is read-only/);
  });

  it('a tool outside the selection is refused by name', async () => {
    const result = await host({ toolsets: ['usage'] }).call('groups_list', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/not enabled on this server/);
  });
});

describe('--project scoping', () => {
  it('drops project_id from project tools and fills it in', async () => {
    const project = atlas();
    const h = host({ project: project?.id, toolsets: ['all'] });
    const tool = h.listTools().find((t) => t.name === 'projects_users_list');
    expect(tool).toBeDefined();
    expect(Object.keys(tool?.inputSchema.properties ?? {})).not.toContain('project_id');
    const result = await h.call('projects_users_list', { limit: 100 });
    expect(result.isError, text(result)).toBeFalsy();
    expect(structured<{ data: unknown[] }>(result).data).toHaveLength(sandbox.state.projectUsers.get(project?.id ?? '')?.size ?? -1);
    const stray = await h.call('projects_users_list', { project_id: 'proj_other' });
    expect(text(stray)).toMatch(/'project_id': not a field of projects_users_list/);
  });

  it('hides organization-wide writes and says why when one is called', async () => {
    const h = host({ project: atlas()?.id, toolsets: ['all'] });
    expect(names(h)).not.toContain('projects_create');
    expect(names(h)).not.toContain('invites_create');
    expect(names(h)).toContain('projects_users_create');
    expect(names(h)).toContain('users_list');
    const refused = await h.call('invites_create', { email: 'x@example.com', role: 'reader' });
    expect(text(refused)).toMatch(/not available when scoped to project/);
  });

  it('narrows usage and reports to the project', async () => {
    const project = atlas();
    const h = host({ project: project?.id, toolsets: ['all'] });
    const usage = h.listTools().find((t) => t.name === 'usage_costs');
    expect(usage).toBeDefined();
    expect(Object.keys(usage?.inputSchema.properties ?? {})).not.toContain('project_ids');
    const from = sandbox.requests.length;
    await h.call('usage_costs', { start_time: '7d' });
    expect(decodeURIComponent(sandbox.requests[from]?.query ?? '')).toContain(`project_ids[]=${project?.id}`);
    const spend = h.listTools().find((t) => t.name === 'spend_report');
    expect(spend).toBeDefined();
    expect(Object.keys(spend?.inputSchema.properties ?? {})).not.toContain('project');
    const report = await h.call('spend_report', { period: 'last_month' });
    expect(structured<{ project: { id: string } }>(report).project.id).toBe(project?.id);
  });
});

describe('--dynamic', () => {
  it('lists three meta-tools that search, describe and call under the same policy', async () => {
    const h = host({ dynamic: true, readOnly: true });
    expect(names(h)).toEqual(['search_tools', 'describe_tool', 'call_tool']);
    const found = structured<{ tools: Array<{ name: string }> }>(await h.call('search_tools', { query: 'project rate limits' }));
    expect(found.tools.map((t) => t.name)).toContain('projects_rate_limits_list');
    expect(found.tools.map((t) => t.name)).not.toContain('projects_rate_limits_update');
    const described = structured<{ name: string; inputSchema: { required: string[] } }>(await h.call('describe_tool', { name: 'projects_rate_limits_list' }));
    expect(described.inputSchema.required).toEqual(['project_id']);
    const listed = await h.call('call_tool', { name: 'projects_rate_limits_list', arguments: { project_id: atlas()?.id } });
    expect(listed.isError, text(listed)).toBeFalsy();
    const write = await h.call('call_tool', { name: 'projects_rate_limits_update', arguments: { project_id: atlas()?.id, rate_limit_id: 'rl-gpt-4o' } });
    expect(text(write)).toMatch(/refused: the server is read-only/);
    const bad = await h.call('call_tool', { name: 'projects_rate_limits_list', arguments: {} });
    expect(text(bad)).toMatch(/project_id: required/);
  });

  it('call_tool keeps the two-step confirmation', async () => {
    const h = host({ dynamic: true });
    const group = [...sandbox.state.groups.values()].find((g) => !g.is_scim_managed);
    const preview = await h.call('call_tool', { name: 'groups_delete', arguments: { group_id: group?.id } });
    expect(structured(preview)).toMatchObject({ status: 'confirmation_required' });
    expect(sandbox.state.groups.has(group?.id ?? '')).toBe(true);
  });
});
