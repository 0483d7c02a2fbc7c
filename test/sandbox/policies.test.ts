import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { DailyActivity, ProjectRecord } from '../../src/sandbox/state.js';
import { expectError, failure, pickArchivedProject, projectsIn, sandboxWithClient, useSandbox, withSandboxes } from '../helpers.js';

interface SpendLimit {
  object: string;
  threshold_amount: number;
  currency: string;
  interval: string;
  enforcement: { status: string };
}
interface Retention {
  object: string;
  type: string;
}

const ORG_TYPES = ['zero_data_retention', 'modified_abuse_monitoring', 'enhanced_zero_data_retention', 'enhanced_modified_abuse_monitoring'];
const PROJECT_TYPES = ['organization_default', 'none', ...ORG_TYPES];
const LIMIT = { threshold_amount: 1_250_000, currency: 'USD', interval: 'month' };

function expectSpendLimit(body: SpendLimit, object: string): void {
  expect(body.object).toBe(object);
  expect(Number.isInteger(body.threshold_amount)).toBe(true);
  expect(body.threshold_amount).toBeGreaterThanOrEqual(1);
  expect(body.currency).toBe('USD');
  expect(body.interval).toBe('month');
  expect(['inactive', 'enforcing']).toContain(body.enforcement.status);
}

let sandbox: Sandbox;
let client: AdminClient;
/** An active project without a spend limit of its own. */
let active: ProjectRecord;
let archived: ProjectRecord;

useSandbox({ seed: 7 }, (started) => {
  ({ sandbox, client } = started);
  active = projectsIn(sandbox.state).find((p) => p.status === 'active' && !sandbox.state.projectSpendLimits.has(p.id)) as ProjectRecord;
  archived = pickArchivedProject(sandbox.state);
});

describe('seed', () => {
  it('has an org spend limit, a couple of project limits, org retention and project overrides', () => {
    const { state } = sandbox;
    expect(state.orgSpendLimit).not.toBeNull();
    expect(state.projectSpendLimits.size).toBeGreaterThanOrEqual(2);
    expect(ORG_TYPES).toContain(state.orgDataRetention);
    expect(state.projectDataRetention.size).toBeGreaterThanOrEqual(2);
    for (const [projectId, type] of state.projectDataRetention) {
      expect(state.projects.has(projectId)).toBe(true);
      expect(PROJECT_TYPES).toContain(type);
      expect(type).not.toBe('organization_default');
    }
    for (const projectId of state.projectSpendLimits.keys()) expect(state.projects.get(projectId)?.status).toBe('active');
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 21 }, { seed: 21 }], ([a, b]) => {
      const snapshot = (s: Sandbox) => ({
        org: s.state.orgSpendLimit,
        projects: [...s.state.projectSpendLimits],
        retention: s.state.orgDataRetention,
        overrides: [...s.state.projectDataRetention],
      });
      expect(snapshot(a)).toEqual(snapshot(b));
    });
  });
});

describe('organization spend limit', () => {
  it('GET answers the seeded limit in the documented shape', async () => {
    const limit = await client.get<SpendLimit>('/organization/spend_limit');
    expectSpendLimit(limit, 'organization.spend_limit');
    expect(limit.threshold_amount).toBe(sandbox.state.orgSpendLimit?.threshold_amount);
  });

  it('round trip: replace, read, delete, 404 while absent, create again', async () => {
    const set = await client.post<SpendLimit>('/organization/spend_limit', LIMIT, { idempotent: true });
    expectSpendLimit(set, 'organization.spend_limit');
    expect(set.threshold_amount).toBe(1_250_000);
    expect(sandbox.state.orgSpendLimit).toMatchObject(LIMIT);
    expect(await client.get<SpendLimit>('/organization/spend_limit')).toEqual(set);

    const removed = await client.delete<{ object: string; deleted: boolean }>('/organization/spend_limit');
    expect(removed).toEqual({ object: 'organization.spend_limit.deleted', deleted: true });
    expect(sandbox.state.orgSpendLimit).toBeNull();

    const missing = await failure(client.get('/organization/spend_limit'));
    expect(missing.status).toBe(404);
    expect((await failure(client.delete('/organization/spend_limit'))).status).toBe(404);

    const again = await client.post<SpendLimit>('/organization/spend_limit', { ...LIMIT, threshold_amount: 1 }, { idempotent: true });
    expect(again.threshold_amount).toBe(1);
    await client.post('/organization/spend_limit', LIMIT, { idempotent: true });
  });

  it.each([
    [{ ...LIMIT, threshold_amount: 0 }, 'threshold_amount'],
    [{ ...LIMIT, threshold_amount: -5 }, 'threshold_amount'],
    [{ ...LIMIT, threshold_amount: 10.5 }, 'threshold_amount'],
    [{ ...LIMIT, threshold_amount: '1000' }, 'threshold_amount'],
    [{ currency: 'USD', interval: 'month' }, 'threshold_amount'],
    [{ ...LIMIT, currency: 'EUR' }, 'currency'],
    [{ ...LIMIT, currency: 'usd' }, 'currency'],
    [{ threshold_amount: 100, interval: 'month' }, 'currency'],
    [{ ...LIMIT, interval: 'week' }, 'interval'],
    [{ threshold_amount: 100, currency: 'USD' }, 'interval'],
    [{ ...LIMIT, hard: true }, 'hard'],
  ])('POST rejects %o with 400 on %s and keeps the old limit', async (body, param) => {
    const before = structuredClone(sandbox.state.orgSpendLimit);
    await expectError(client.post('/organization/spend_limit', body, { idempotent: true }), 400, param);
    expect(sandbox.state.orgSpendLimit).toEqual(before);
  });

  it('is enforcing once month-to-date spend reaches the threshold', async () => {
    const { sandbox: own, client: c, close: done } = await sandboxWithClient({ seed: 3 });
    try {
      const project = [...own.state.projects.values()][0]!;
      // Today's spend, after everything seeded: $12.34 on one project.
      const today: DailyActivity = {
        day: own.state.anchor,
        project_id: project.id,
        api_key_id: 'key_test',
        user_id: null,
        family: 'completions',
        model: 'gpt-4o',
        batch: false,
        input_tokens: 0,
        output_tokens: 0,
        input_cached_tokens: 0,
        input_audio_tokens: 0,
        output_audio_tokens: 0,
        num_model_requests: 1,
        units: 0,
        costs: [{ line_item: 'gpt-4o, input', amount: 12.34, quantity: 1, quantity_unit: 'tokens' }],
      };
      own.state.activity.push(today);
      const tiny = await c.post<SpendLimit>(`/organization/projects/${project.id}/spend_limit`, { ...LIMIT, threshold_amount: 1_000 }, { idempotent: true });
      expect(tiny.enforcement.status).toBe('enforcing');
      const org = await c.post<SpendLimit>('/organization/spend_limit', { ...LIMIT, threshold_amount: 1 }, { idempotent: true });
      expect(org.enforcement.status).toBe('enforcing');
      const huge = await c.post<SpendLimit>(`/organization/projects/${project.id}/spend_limit`, { ...LIMIT, threshold_amount: 2 ** 50 }, { idempotent: true });
      expect(huge.enforcement.status).toBe('inactive');
      expect(own.state.projectSpendLimits.get(project.id)?.enforcement).toBe('inactive');
    } finally {
      await done();
    }
  });
});

describe('project spend limits', () => {
  it('GET answers each seeded project limit in the documented shape', async () => {
    for (const [projectId, record] of sandbox.state.projectSpendLimits) {
      const limit = await client.get<SpendLimit>(`/organization/projects/${projectId}/spend_limit`);
      expectSpendLimit(limit, 'project.spend_limit');
      expect(limit.threshold_amount).toBe(record.threshold_amount);
    }
  });

  it('round trip on a project without a limit: 404, set, read, replace, delete, 404', async () => {
    const path = `/organization/projects/${active.id}/spend_limit`;
    expect((await failure(client.get(path))).status).toBe(404);
    const set = await client.post<SpendLimit>(path, { ...LIMIT, threshold_amount: 50_000 }, { idempotent: true });
    expectSpendLimit(set, 'project.spend_limit');
    expect(await client.get<SpendLimit>(path)).toEqual(set);
    const replaced = await client.post<SpendLimit>(path, { ...LIMIT, threshold_amount: 75_000 }, { idempotent: true });
    expect(replaced.threshold_amount).toBe(75_000);
    expect(sandbox.state.projectSpendLimits.get(active.id)?.threshold_amount).toBe(75_000);
    expect(await client.delete(path)).toEqual({ object: 'project.spend_limit.deleted', deleted: true });
    expect(sandbox.state.projectSpendLimits.has(active.id)).toBe(false);
    expect((await failure(client.get(path))).status).toBe(404);
    expect((await failure(client.delete(path))).status).toBe(404);
  });

  it.each([
    [{ ...LIMIT, threshold_amount: 0 }, 'threshold_amount'],
    [{ ...LIMIT, currency: 'GBP' }, 'currency'],
    [{ ...LIMIT, interval: 'day' }, 'interval'],
    [{ ...LIMIT, project_id: 'x' }, 'project_id'],
  ])('POST rejects %o with 400 on %s and stores nothing', async (body, param) => {
    await expectError(client.post(`/organization/projects/${active.id}/spend_limit`, body, { idempotent: true }), 400, param);
    expect(sandbox.state.projectSpendLimits.has(active.id)).toBe(false);
  });

  it('answers 404 for an unknown project and refuses to set a limit on an archived one', async () => {
    for (const request of [
      client.get('/organization/projects/proj_missing/spend_limit'),
      client.post('/organization/projects/proj_missing/spend_limit', LIMIT, { idempotent: true }),
      client.delete('/organization/projects/proj_missing/spend_limit'),
    ]) {
      await expectError(request, 404, 'project_id');
    }
    await expectError(client.post(`/organization/projects/${archived.id}/spend_limit`, LIMIT, { idempotent: true }), 400, 'project_id');
    expect(sandbox.state.projectSpendLimits.has(archived.id)).toBe(false);
  });
});

describe('organization data retention', () => {
  it('GET answers the current control', async () => {
    const body = await client.get<Retention>('/organization/data_retention');
    expect(body).toEqual({ object: 'organization.data_retention', type: sandbox.state.orgDataRetention });
  });

  it('POST sets every documented value', async () => {
    const original = sandbox.state.orgDataRetention;
    for (const type of ORG_TYPES) {
      const body = await client.post<Retention>('/organization/data_retention', { retention_type: type }, { idempotent: true });
      expect(body).toEqual({ object: 'organization.data_retention', type });
      expect(await client.get<Retention>('/organization/data_retention')).toEqual(body);
    }
    await client.post('/organization/data_retention', { retention_type: original }, { idempotent: true });
    expect(sandbox.state.orgDataRetention).toBe(original);
  });

  it.each([
    [{}, 'retention_type'],
    [{ retention_type: 'organization_default' }, 'retention_type'],
    [{ retention_type: 'none' }, 'retention_type'],
    [{ retention_type: 'forever' }, 'retention_type'],
    [{ retention_type: null }, 'retention_type'],
    [{ retention_type: 'zero_data_retention', scope: 'all' }, 'scope'],
  ])('POST rejects %o with 400 on %s', async (body, param) => {
    const before = sandbox.state.orgDataRetention;
    await expectError(client.post('/organization/data_retention', body, { idempotent: true }), 400, param);
    expect(sandbox.state.orgDataRetention).toBe(before);
  });
});

describe('project data retention', () => {
  it('GET answers the override, or organization_default where there is none', async () => {
    for (const project of sandbox.state.projects.values()) {
      const body = await client.get<Retention>(`/organization/projects/${project.id}/data_retention`);
      expect(body).toEqual({ object: 'project.data_retention', type: sandbox.state.projectDataRetention.get(project.id) ?? 'organization_default' });
    }
  });

  it('POST sets every documented value; organization_default clears the override', async () => {
    const path = `/organization/projects/${active.id}/data_retention`;
    for (const type of PROJECT_TYPES) {
      const body = await client.post<Retention>(path, { retention_type: type }, { idempotent: true });
      expect(body).toEqual({ object: 'project.data_retention', type });
      expect(await client.get<Retention>(path)).toEqual(body);
    }
    await client.post(path, { retention_type: 'none' }, { idempotent: true });
    expect(sandbox.state.projectDataRetention.get(active.id)).toBe('none');
    await client.post(path, { retention_type: 'organization_default' }, { idempotent: true });
    expect(sandbox.state.projectDataRetention.has(active.id)).toBe(false);
  });

  it.each([
    [{}, 'retention_type'],
    [{ retention_type: 'inherit' }, 'retention_type'],
    [{ retention_type: 3 }, 'retention_type'],
    [{ retention_type: 'none', extra: 1 }, 'extra'],
  ])('POST rejects %o with 400 on %s', async (body, param) => {
    await expectError(client.post(`/organization/projects/${active.id}/data_retention`, body, { idempotent: true }), 400, param);
    expect(sandbox.state.projectDataRetention.has(active.id)).toBe(false);
  });

  it('answers 404 for an unknown project and refuses changes to an archived one', async () => {
    for (const request of [
      client.get('/organization/projects/proj_missing/data_retention'),
      client.post('/organization/projects/proj_missing/data_retention', { retention_type: 'none' }, { idempotent: true }),
    ]) {
      await expectError(request, 404, 'project_id');
    }
    const before = sandbox.state.projectDataRetention.get(archived.id);
    await expectError(client.post(`/organization/projects/${archived.id}/data_retention`, { retention_type: 'none' }, { idempotent: true }), 400, 'project_id');
    expect(sandbox.state.projectDataRetention.get(archived.id)).toBe(before);
    // Reading an archived project's control still works.
    expect((await client.get<Retention>(`/organization/projects/${archived.id}/data_retention`)).object).toBe('project.data_retention');
  });
});
