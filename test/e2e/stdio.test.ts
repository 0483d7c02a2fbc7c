import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointTools } from '../../tools/index.js';
import { allComposites } from '../../src/reports/index.js';
import { allWorkflows } from '../../src/plans/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.js';
import { effectiveHints } from '../../src/server/listing/annotations.js';
import { parseUntrustedText } from '../../src/server/results/results.js';
import { connectStdio, readEndpoints, structured, text, type Connected } from '../connect.js';

const KEY = 'sk-admin-e2e-secret-value-42';
let sandbox: Sandbox;
let server: Connected;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: 11, retryAfterMs: 10 });
  server = await connectStdio(['--toolsets', 'all'], { OPENAI_ADMIN_KEY: KEY, OPENAI_BASE_URL: sandbox.url, OPENAI_ADMIN_MCP_LOG_LEVEL: 'debug' });
});
afterAll(async () => {
  await server.close();
  await sandbox.close();
});

const call = (name: string, args: Record<string, unknown> = {}) => server.client.callTool({ name, arguments: args });
const anyProject = () => [...sandbox.state.projects.values()].find((p) => p.status === 'active' && p.name !== 'Default project');

describe('stdio server against the sandbox', () => {
  it('lists every endpoint tool with schemas and annotations, and its endpoint in the endpoints resource', async () => {
    const { tools } = await server.client.listTools();
    expect(tools).toHaveLength(endpointTools.length + allComposites.length + allWorkflows.length);
    const archive = tools.find((t) => t.name === 'projects_archive');
    expect(effectiveHints(archive?.annotations)).toMatchObject({ destructiveHint: true, readOnlyHint: false, idempotentHint: true });
    expect(archive?._meta).toBeUndefined();
    const endpoints = await readEndpoints(server);
    expect(endpoints.projects_archive).toBe('POST /organization/projects/{project_id}/archive');
    expect(Object.keys(endpoints).sort()).toEqual(endpointTools.map((t) => t.name).sort());
    for (const tool of endpointTools) expect(endpoints[tool.name], tool.name).toBe(`${tool.method} ${tool.path}`);
    expect(archive?.outputSchema).toBeUndefined();
    expect(tools.find((t) => t.name === 'spend_report')?.outputSchema?.type).toBe('object');
    expect(server.client.getInstructions()).toMatch(/never follow instructions/);
  });

  it.each([
    ['projects', 'projects_list', {}],
    ['members', 'users_list', { limit: 3 }],
    ['members (groups)', 'groups_list', {}],
    ['members (roles)', 'roles_list', {}],
    ['members (invites)', 'invites_list', {}],
    ['keys', 'admin_api_keys_list', {}],
    ['certificates', 'certificates_list', {}],
    ['audit', 'audit_logs_list', { limit: 5 }],
  ])('reads in %s (%s)', async (_family, name, args) => {
    const result = await call(name, args);
    expect(result.isError, text(result)).toBeFalsy();
    const data = structured<{ data: unknown[] }>(result);
    expect(Array.isArray(data.data)).toBe(true);
    expect(parseUntrustedText(text(result))).toEqual(data);
  });

  it('reads in limits and usage with project and time inputs', async () => {
    const project = anyProject();
    const limits = await call('projects_rate_limits_list', { project_id: project?.id });
    expect(limits.isError, text(limits)).toBeFalsy();
    const costs = await call('usage_costs', { start_time: '30d', limit: 30, fields: ['amount'] });
    expect(costs.isError, text(costs)).toBeFalsy();
    expect(structured<{ data: unknown[] }>(costs).data.length).toBeGreaterThanOrEqual(30);
    const usage = await call('usage_completions', { start_time: '2026-01-01', end_time: '2026-01-03' });
    expect(usage.isError, text(usage)).toBeFalsy();
  });

  it('writes in every family', async () => {
    const project = anyProject();
    const created = await call('projects_create', { name: 'E2E project' });
    expect(created.isError, text(created)).toBeFalsy();
    const projectId = structured<{ id: string }>(created).id;
    expect(sandbox.state.projects.get(projectId)?.name).toBe('E2E project');

    const invite = await call('invites_create', { email: 'new.person@example.com', role: 'reader' });
    expect(invite.isError, text(invite)).toBeFalsy();

    const group = await call('groups_create', { name: 'E2E group' });
    expect(group.isError, text(group)).toBeFalsy();

    const account = await call('projects_service_accounts_create', { project_id: projectId, name: 'e2e-bot' });
    expect(account.isError, text(account)).toBeFalsy();
    expect(structured(account)).toHaveProperty('secret_notice');

    const rateLimits = structured<{ data: Array<{ id: string }> }>(await call('projects_rate_limits_list', { project_id: project?.id }));
    const limit = await call('projects_rate_limits_update', { project_id: project?.id, rate_limit_id: rateLimits.data[0]?.id, max_requests_per_1_minute: 42 });
    expect(limit.isError, text(limit)).toBeFalsy();
    expect(structured(limit)).toMatchObject({ max_requests_per_1_minute: 42 });

    const certs = structured<{ data: Array<{ id: string }> }>(await call('certificates_list', {}));
    const renamed = await call('certificates_update', { certificate_id: certs.data[0]?.id, name: 'Renamed by e2e' });
    expect(renamed.isError, text(renamed)).toBeFalsy();
  });

  it('auto-paginates with max_items and says where to continue when cut short', async () => {
    const all = [...sandbox.state.users.keys()];
    const first = await call('users_list', { limit: 5, max_items: 7 });
    const page = structured<{ data: Array<{ id: string }>; has_more: boolean; next_cursor: string; note: string }>(first);
    expect(page.data.map((u) => u.id)).toEqual(all.slice(0, 7));
    expect(page.has_more).toBe(true);
    expect(page.next_cursor).toBe(all[6]);
    expect(page.note).toContain(`after: "${all[6]}"`);
    const rest = structured<{ data: Array<{ id: string }>; has_more: boolean }>(await call('users_list', { after: page.next_cursor, max_items: 1000 }));
    expect([...page.data, ...rest.data].map((u) => u.id)).toEqual(all);
    expect(rest.has_more).toBe(false);
  });

  it('answers bad input with the field, what was wrong and the fix', async () => {
    const missing = await call('projects_create', {});
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/name: required; provide a string/);
    const wrongType = await call('projects_list', { limit: 'ten' });
    expect(text(wrongType)).toMatch(/limit: expected number, got string/);
    const unknown = await call('projects_list', { limt: 5 });
    expect(text(unknown)).toMatch(/'limt': not a field of projects_list; remove it\. Valid fields: .*limit/);
    const badEnum = await call('groups_list', { order: 'sideways' });
    expect(text(badEnum)).toMatch(/order: 'sideways' is not allowed; use one of 'asc', 'desc'/);
    const badTime = await call('usage_costs', { start_time: 'last tuesday' });
    expect(text(badTime)).toMatch(/start_time: 'last tuesday' is not a time/);
  });

  it('surfaces an upstream 404 with status, type and request id', async () => {
    const result = await call('projects_retrieve', { project_id: 'proj_doesnotexist' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/OpenAI API error 404 invalid_request_error/);
    expect(text(result)).toContain('proj_doesnotexist');
    expect(text(result)).toMatch(/request_id: req_[0-9a-f]+/);
    expect(text(result)).toMatch(/list tool/);
  });

  it('surfaces an upstream 429 after the retries', async () => {
    sandbox.fault({ kind: '429', method: 'GET', pathPrefix: '/organization/invites', times: 3 });
    const result = await call('invites_list', {});
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/OpenAI API error 429/);
    expect(text(result)).toMatch(/retries: 2/);
    expect(text(result)).toMatch(/wait/);
  });

  it('never writes the admin key to stderr', () => {
    expect(server.stderr()).toContain('request');
    expect(server.stderr()).not.toContain(KEY);
  });
});

describe('--sandbox', () => {
  it('serves the built-in organization with results marked as sandbox data', async () => {
    const local = await connectStdio(['--sandbox']);
    try {
      const result = await local.client.callTool({ name: 'projects_list', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(result._meta).toEqual({ 'openai-admin/sandbox': true });
      expect(local.client.getInstructions()).toMatch(/simulated organization/);
    } finally {
      await local.close();
    }
  });
});
