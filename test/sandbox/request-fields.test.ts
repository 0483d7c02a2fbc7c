import { describe, expect, it } from 'vitest';
import type { AdminClient, Query } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { expectError, pickActiveNonDefaultProject, pickProjectNamed, stateSnapshot, useSandbox } from '../helpers.js';

/*
 * Request fields the pinned SDK sends that the older catalog lacked (test/reference/sdk-fields.test.ts
 * finds them): the sandbox accepts them, validates them and does what they say.
 */

const DAY = 86_400;
/** A fixed clock: Wednesday 2026-02-18 15:30 UTC. */
const NOW = Date.UTC(2026, 1, 18, 15, 30) / 1000;
const ANCHOR = Date.UTC(2026, 1, 18) / 1000;

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 7, now: () => NOW }, (started) => ({ sandbox, client } = started));

type Result = Record<string, unknown>;
interface Page {
  data: Array<{ start_time: number; results: Result[] }>;
}
const costs = (query: Query) => client.get<Page>('/organization/costs', query);
const usage = (family: string, query: Query) => client.get<Page>(`/organization/usage/${family}`, query);
const micros = (results: readonly Result[]) => results.reduce((n, r) => n + Math.round((r.amount as { value: number }).value * 1e6), 0);
const sum = (results: readonly Result[], measure: string) => results.reduce((n, r) => n + (r[measure] as number), 0);

describe('projects: the deprecated geography', () => {
  it('creates the project in the residency of that region', async () => {
    const project = await client.post<{ residency?: string }>('/organization/projects', { name: 'Geo EU', geography: 'eu' });
    expect(project.residency).toBe('EU_STORAGE_PROCESSING');
  });

  it('refuses geography with residency, and a region the organization has no access to', async () => {
    const unchanged = () => stateSnapshot(sandbox.state.projects);
    await expectError(client.post('/organization/projects', { name: 'x', geography: 'EU', residency: 'EU_STORAGE_PROCESSING' }), 400, 'geography', { unchanged });
    const error = await expectError(client.post('/organization/projects', { name: 'x', geography: 'JP' }), 400, 'geography', {
      unchanged,
      code: 'residency_not_available',
    });
    expect(error.message).toContain('residency');
    await expectError(client.post('/organization/projects', { name: 'x', geography: 7 }), 400, 'geography', { unchanged });
  });

  it('accepts geography on update only as the region the project already has', async () => {
    const eu = await client.post<{ id: string }>('/organization/projects', { name: 'Geo update', residency: 'EU_STORAGE_PROCESSING' });
    const renamed = await client.post<{ name: string; residency?: string }>(`/organization/projects/${eu.id}`, { name: 'Geo renamed', geography: 'EU' });
    expect(renamed).toMatchObject({ name: 'Geo renamed', residency: 'EU_STORAGE_PROCESSING' });
    await expectError(client.post(`/organization/projects/${eu.id}`, { name: 'Moved', geography: 'US' }), 400, 'geography', {
      unchanged: () => stateSnapshot(sandbox.state.projects.get(eu.id)),
    });
  });
});

describe('service accounts: expires_in_seconds', () => {
  const project = () => pickActiveNonDefaultProject(sandbox.state).id;

  it('sets the expiry of the first key, as listed afterwards', async () => {
    const account = await client.post<{ api_key: { id: string; expires_at: number | null } }>(`/organization/projects/${project()}/service_accounts`, {
      name: 'expiring-bot',
      expires_in_seconds: 3600,
    });
    expect(account.api_key.expires_at).toBe(NOW + 3600);
    const listed = await client.get<{ expires_at: number | null }>(`/organization/projects/${project()}/api_keys/${account.api_key.id}`);
    expect(listed.expires_at).toBe(NOW + 3600);
  });

  it('leaves a key without expiry when omitted or null', async () => {
    const account = await client.post<{ api_key: { expires_at: number | null } }>(`/organization/projects/${project()}/service_accounts`, {
      name: 'forever-bot',
      expires_in_seconds: null,
    });
    expect(account.api_key.expires_at).toBeNull();
  });

  it('refuses an expiry without a key, and a lifetime under one second', async () => {
    const unchanged = () => stateSnapshot(sandbox.state.serviceAccounts, sandbox.state.projectApiKeys);
    const path = `/organization/projects/${project()}/service_accounts`;
    await expectError(client.post(path, { name: 'x', create_service_account_only: true, expires_in_seconds: 60 }), 400, 'expires_in_seconds', { unchanged });
    await expectError(client.post(path, { name: 'x', expires_in_seconds: 0 }), 400, 'expires_in_seconds', { unchanged });
    await expectError(client.post(path, { name: 'x', expires_in_seconds: 1.5 }), 400, 'expires_in_seconds', { unchanged });
  });

  it('sets the expiry of another key of the account', async () => {
    const account = await client.post<{ id: string }>(`/organization/projects/${project()}/service_accounts`, { name: 'rotating-bot' });
    const path = `/organization/projects/${project()}/service_accounts/${account.id}/api_keys`;
    const key = await client.post<{ expires_at: number | null }>(path, { name: 'rotation', expires_in_seconds: 86_400 });
    expect(key.expires_at).toBe(NOW + 86_400);
    await expectError(client.post(path, { expires_in_seconds: -5 }), 400, 'expires_in_seconds', {
      unchanged: () => stateSnapshot(sandbox.state.projectApiKeys),
    });
  });
});

describe('costs: line_items, and grouping by user and source', () => {
  const query = { start_time: ANCHOR - 10 * DAY, limit: 10 };

  it('line_items keeps exactly those line items', async () => {
    const byLine = await costs({ ...query, group_by: ['line_item'] });
    const lines = [...new Set(byLine.data.flatMap((b) => b.results.map((r) => r.line_item as string)))];
    expect(lines.length).toBeGreaterThan(3);
    const chosen = lines.slice(0, 2);
    const filtered = await costs({ ...query, line_items: chosen });
    filtered.data.forEach((bucket, i) => {
      expect(micros(bucket.results)).toBe(micros(byLine.data[i]!.results.filter((r) => chosen.includes(r.line_item as string))));
    });
    expect(filtered.data.some((b) => micros(b.results) > 0)).toBe(true);
    const none = await costs({ ...query, line_items: ['no such line item'] });
    expect(none.data.every((b) => b.results.length === 0)).toBe(true);
  });

  it('group_by user_id and api_source each sum to the total, and name their groups', async () => {
    const total = await costs(query);
    const byUser = await costs({ ...query, group_by: ['user_id'] });
    const bySource = await costs({ ...query, group_by: ['api_source'] });
    total.data.forEach((bucket, i) => {
      expect(micros(byUser.data[i]!.results)).toBe(micros(bucket.results));
      expect(micros(bySource.data[i]!.results)).toBe(micros(bucket.results));
    });
    const users = new Set(byUser.data.flatMap((b) => b.results.map((r) => r.user_id)));
    expect([...users].some((u) => typeof u === 'string' && u.startsWith('user-'))).toBe(true);
    const sources = new Set(bySource.data.flatMap((b) => b.results.map((r) => r.api_source)));
    expect([...sources].sort()).toEqual(['agents_api', 'unlabeled']);
    // Without source grouping the field is there, and null.
    expect(total.data.flatMap((b) => b.results).every((r) => r.api_source === null && r.user_id === null)).toBe(true);
  });

  it('refuses a group_by value outside the documented list', async () => {
    await expectError(costs({ ...query, group_by: ['model'] }), 400, 'group_by');
  });
});

describe('usage: grouping by api_source', () => {
  it.each(['completions', 'web_search_calls'])('%s: agents_api is the attributed traffic, the rest is unlabeled', async (family) => {
    const query = { start_time: ANCHOR - 7 * DAY, limit: 7 };
    const bySource = await usage(family, { ...query, group_by: ['api_source'] });
    const plain = await usage(family, query);
    const measure = 'num_model_requests';
    plain.data.forEach((bucket, i) => expect(sum(bySource.data[i]!.results, measure)).toBe(sum(bucket.results, measure)));
    // The seeded organization runs one attributed workload of each family, in a known project.
    const project = pickProjectNamed(sandbox.state, family === 'completions' ? 'Support Assistant' : 'Atlas').id;
    const attributed = sandbox.state.activity.filter((r) => r.family === family && r.api_source === 'agents_api');
    expect(attributed.length).toBeGreaterThan(0);
    expect(attributed.every((r) => r.project_id === project)).toBe(true);
    const agents = bySource.data.map((b) => sum(b.results.filter((r) => r.api_source === 'agents_api'), measure));
    const expected = bySource.data.map((b) => attributed.filter((r) => r.day === b.start_time).reduce((n, r) => n + r.num_model_requests, 0));
    expect(agents).toEqual(expected);
    expect(plain.data.flatMap((b) => b.results).every((r) => r.api_source === null)).toBe(true);
  });

  it('refuses api_source on a family that does not group by it', async () => {
    await expectError(usage('embeddings', { start_time: ANCHOR - DAY, group_by: ['api_source'] }), 400, 'group_by');
  });
});
