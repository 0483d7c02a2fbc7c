import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { expectError, pickArchivedProject, pickProjectNamed, stateSnapshot, useSandbox, withSandboxes, type List } from '../helpers.js';

let sandbox: Sandbox;
let client: AdminClient;
useSandbox({ seed: 7 }, (started) => ({ sandbox, client } = started));

// Helpers

interface RateLimit {
  object: string;
  id: string;
  model: string;
  max_requests_per_1_minute: number;
  max_tokens_per_1_minute: number;
  max_images_per_1_minute?: number;
  max_audio_megabytes_per_1_minute?: number;
  max_requests_per_1_day?: number;
  batch_1_day_max_input_tokens?: number;
}
interface Alert {
  id: string;
  object: string;
  threshold_amount: number;
  currency: string;
  interval: string;
  notification_channel: { type: string; recipients: string[]; subject_prefix?: string | null };
}

const projectNamed = (name: string) => pickProjectNamed(sandbox.state, name);
const active = () => projectNamed('Atlas');
const archived = () => pickArchivedProject(sandbox.state);

function validAlert(overrides: Record<string, unknown> = {}) {
  return {
    threshold_amount: 150_000,
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: ['ops@northwind-labs.test'], subject_prefix: 'Heads up' },
    ...overrides,
  };
}

const rateLimitsPath = (projectId: string) => `/organization/projects/${projectId}/rate_limits`;
const modelPermissionsPath = (projectId: string) => `/organization/projects/${projectId}/model_permissions`;
const hostedToolsPath = (projectId: string) => `/organization/projects/${projectId}/hosted_tool_permissions`;
const projectAlertsPath = (projectId: string) => `/organization/projects/${projectId}/spend_alerts`;

// Seed

describe('seed', () => {
  it('gives every project rate limits for several models, with fields that fit the model', () => {
    for (const project of sandbox.state.projects.values()) {
      const limits = [...(sandbox.state.rateLimits.get(project.id)?.values() ?? [])];
      expect(limits.length).toBeGreaterThanOrEqual(5);
      for (const id of ['rl-gpt-4o', 'rl-gpt-4o-mini', 'rl-text-embedding-3-small']) {
        expect(limits.map((l) => l.id)).toContain(id);
      }
      for (const limit of limits) {
        expect(limit.id).toBe(`rl-${limit.model}`);
        expect(limit.max_requests_per_1_minute).toBeGreaterThan(0);
        expect(limit.max_tokens_per_1_minute).toBeGreaterThan(0);
        const image = ['dall-e-3', 'gpt-image-1'].includes(limit.model);
        const audio = ['whisper-1', 'tts-1'].includes(limit.model);
        expect(limit.max_images_per_1_minute !== undefined).toBe(image);
        expect(limit.max_audio_megabytes_per_1_minute !== undefined).toBe(audio);
        if (limit.model.startsWith('gpt-4') || limit.model.startsWith('text-embedding')) {
          expect(limit.batch_1_day_max_input_tokens).toBeGreaterThan(0);
        }
      }
    }
  });

  it('seeds one allow-list and one deny-list model policy, hosted tools and spend alerts', () => {
    expect(sandbox.state.modelPermissions.get(projectNamed('Support Assistant').id)?.mode).toBe('allow_list');
    expect(sandbox.state.modelPermissions.get(projectNamed('Marketing Copy').id)?.mode).toBe('deny_list');
    expect(sandbox.state.hostedToolPermissions.size).toBe(sandbox.state.projects.size);
    expect(sandbox.state.orgSpendAlerts.size).toBeGreaterThanOrEqual(2);
    const projectAlerts = [...sandbox.state.projectSpendAlerts.values()].reduce((n, m) => n + m.size, 0);
    expect(projectAlerts).toBeGreaterThanOrEqual(2);
  });

  it('is deterministic for a seed', async () => {
    // Fresh sandboxes: the shared one is mutated by the tests below.
    await withSandboxes([{ seed: 7 }, { seed: 7 }, { seed: 8 }], ([a, b, other]) => {
      const data = (s: Sandbox) =>
        stateSnapshot({
          rateLimits: s.state.rateLimits,
          modelPermissions: s.state.modelPermissions,
          hostedTools: s.state.hostedToolPermissions,
          orgAlerts: s.state.orgSpendAlerts,
          projectAlerts: s.state.projectSpendAlerts,
        });
      expect(data(a)).toEqual(data(b));
      expect([...other.state.orgSpendAlerts.keys()]).not.toEqual([...a.state.orgSpendAlerts.keys()]);
    });
  });
});

// Rate limits

describe('rate limits', () => {
  it('lists a project\'s limits with the documented shape', async () => {
    const project = projectNamed('Default project');
    const page = await client.get<List<RateLimit>>(rateLimitsPath(project.id));
    expect(page.object).toBe('list');
    expect(page.has_more).toBe(false);
    expect(page.data.length).toBe(sandbox.state.rateLimits.get(project.id)?.size);
    expect(page.first_id).toBe(page.data[0]?.id);
    expect(page.last_id).toBe(page.data.at(-1)?.id);
    for (const limit of page.data) {
      expect(limit.object).toBe('project.rate_limit');
      expect(typeof limit.model).toBe('string');
      expect(Number.isInteger(limit.max_requests_per_1_minute)).toBe(true);
      expect(Number.isInteger(limit.max_tokens_per_1_minute)).toBe(true);
    }
    const dalle = page.data.find((l) => l.model === 'dall-e-3');
    expect(dalle?.max_images_per_1_minute).toBeGreaterThan(0);
    const whisper = page.data.find((l) => l.model === 'whisper-1');
    expect(whisper?.max_audio_megabytes_per_1_minute).toBeGreaterThan(0);
  });

  it('pages forward with after and back with before', async () => {
    const project = projectNamed('Default project');
    const all = [...(sandbox.state.rateLimits.get(project.id)?.keys() ?? [])];
    const first = await client.get<List<RateLimit>>(rateLimitsPath(project.id), { limit: 3 });
    expect(first.data.map((l) => l.id)).toEqual(all.slice(0, 3));
    expect(first.has_more).toBe(true);
    const second = await client.get<List<RateLimit>>(rateLimitsPath(project.id), { limit: 3, after: first.last_id as string });
    expect(second.data.map((l) => l.id)).toEqual(all.slice(3, 6));
    const back = await client.get<List<RateLimit>>(rateLimitsPath(project.id), { limit: 2, before: second.first_id as string });
    expect(back.data.map((l) => l.id)).toEqual(all.slice(1, 3));
    expect(back.has_more).toBe(true);
    const walked: RateLimit[] = [];
    for await (const limit of client.paginate<RateLimit>({ path: rateLimitsPath(project.id), query: { limit: 4 }, style: 'cursor_id' })) {
      walked.push(limit);
    }
    expect(walked.map((l) => l.id)).toEqual(all);
  });

  it('validates limit and cursors', async () => {
    const project = active();
    await expectError(client.get(rateLimitsPath(project.id), { limit: 0 }), 400, 'limit');
    await expectError(client.get(rateLimitsPath(project.id), { limit: 'many' }), 400, 'limit');
    await expectError(client.get(rateLimitsPath(project.id), { after: 'rl-nope' }), 400, 'after');
    await expectError(client.get(rateLimitsPath(project.id), { before: 'rl-nope' }), 400, 'before');
  });

  it('has no documented maximum page size', async () => {
    const page = await client.get<List<RateLimit>>(rateLimitsPath(active().id), { limit: 1000 });
    expect(page.data.length).toBe(sandbox.state.rateLimits.get(active().id)?.size);
  });

  it('updates a limit and records a rate_limit.updated audit event', async () => {
    const project = active();
    const before = sandbox.state.rateLimits.get(project.id)?.get('rl-gpt-4o') as RateLimit;
    const tokensBefore = before.max_tokens_per_1_minute;
    const audits = sandbox.state.auditLogs.length;
    const updated = await client.post<RateLimit>(`${rateLimitsPath(project.id)}/rl-gpt-4o`, { max_requests_per_1_minute: 1_234, batch_1_day_max_input_tokens: 0 }, { idempotent: true });
    expect(updated).toMatchObject({ object: 'project.rate_limit', id: 'rl-gpt-4o', model: 'gpt-4o', max_requests_per_1_minute: 1_234, batch_1_day_max_input_tokens: 0 });
    expect(updated.max_tokens_per_1_minute).toBe(tokensBefore);
    const listed = await client.get<List<RateLimit>>(rateLimitsPath(project.id));
    expect(listed.data.find((l) => l.id === 'rl-gpt-4o')?.max_requests_per_1_minute).toBe(1_234);
    const event = sandbox.state.auditLogs.at(-1);
    expect(sandbox.state.auditLogs.length).toBe(audits + 1);
    expect(event?.type).toBe('rate_limit.updated');
    expect(event?.project?.id).toBe(project.id);
    expect(event?.payload).toEqual({ id: 'rl-gpt-4o', changes_requested: { max_requests_per_1_minute: 1_234, batch_1_day_max_input_tokens: 0 } });
  });

  it('treats an empty update as a no-op', async () => {
    const project = active();
    const audits = sandbox.state.auditLogs.length;
    const before = structuredClone(sandbox.state.rateLimits.get(project.id)?.get('rl-gpt-4o-mini'));
    const result = await client.post<RateLimit>(`${rateLimitsPath(project.id)}/rl-gpt-4o-mini`, {});
    expect(result).toEqual(before);
    expect(sandbox.state.auditLogs.length).toBe(audits);
  });

  it.each([
    ['max_requests_per_1_minute', -1],
    ['max_tokens_per_1_minute', 1.5],
    ['max_tokens_per_1_minute', '1000'],
    ['max_requests_per_1_minute', null],
  ])('rejects %s = %j and changes nothing', async (field, value) => {
    const project = active();
    await expectError(client.post(`${rateLimitsPath(project.id)}/rl-gpt-4o-mini`, { [field]: value }), 400, field, {
      unchanged: () => stateSnapshot(sandbox.state.rateLimits.get(project.id)),
    });
  });

  it('rejects undocumented fields and limits the model does not have', async () => {
    const project = active();
    const before = stateSnapshot(sandbox.state.rateLimits.get(project.id));
    await expectError(client.post(`${rateLimitsPath(project.id)}/rl-gpt-4o`, { max_requests_per_1_hour: 5 }), 400, 'max_requests_per_1_hour');
    await expectError(client.post(`${rateLimitsPath(project.id)}/rl-gpt-4o`, { max_images_per_1_minute: 5 }), 400, 'max_images_per_1_minute');
    await expectError(
      client.post(`${rateLimitsPath(project.id)}/rl-gpt-4o`, { max_requests_per_1_minute: 10, max_audio_megabytes_per_1_minute: 5 }),
      400,
      'max_audio_megabytes_per_1_minute',
    );
    expect(stateSnapshot(sandbox.state.rateLimits.get(project.id))).toEqual(before);
  });

  it('sets image and audio limits on the models that have them', async () => {
    const project = projectNamed('Default project');
    const dalle = await client.post<RateLimit>(`${rateLimitsPath(project.id)}/rl-dall-e-3`, { max_images_per_1_minute: 3, max_requests_per_1_day: 200 });
    expect(dalle).toMatchObject({ max_images_per_1_minute: 3, max_requests_per_1_day: 200 });
    const whisper = await client.post<RateLimit>(`${rateLimitsPath(project.id)}/rl-whisper-1`, { max_audio_megabytes_per_1_minute: 20 });
    expect(whisper.max_audio_megabytes_per_1_minute).toBe(20);
  });

  it('answers 404 for unknown rate limits and projects', async () => {
    await expectError(client.post(`${rateLimitsPath(active().id)}/rl-gpt-9`, { max_requests_per_1_minute: 1 }), 404, 'rate_limit_id');
    await expectError(client.post(`${rateLimitsPath(active().id)}/rl_gpt-4o`, { max_requests_per_1_minute: 1 }), 404, 'rate_limit_id');
    await expectError(client.get(rateLimitsPath('proj_missing')), 404, 'project_id');
    await expectError(client.post(`${rateLimitsPath('proj_missing')}/rl-gpt-4o`, { max_requests_per_1_minute: 1 }), 404, 'project_id');
  });

  it('reads but refuses changes on an archived project', async () => {
    const project = archived();
    const page = await client.get<List<RateLimit>>(rateLimitsPath(project.id));
    expect(page.data.length).toBeGreaterThan(0);
    await expectError(client.post(`${rateLimitsPath(project.id)}/rl-gpt-4o`, { max_requests_per_1_minute: 1 }), 400, 'project_id', {
      unchanged: () => stateSnapshot(sandbox.state.rateLimits.get(project.id)),
    });
  });
});

// Model permissions

describe('model permissions', () => {
  interface Permissions {
    object: string;
    mode: string;
    model_ids: string[];
  }

  it('retrieves seeded policies and defaults to allowing every model', async () => {
    const allow = await client.get<Permissions>(modelPermissionsPath(projectNamed('Support Assistant').id));
    expect(allow.object).toBe('project.model_permissions');
    expect(allow.mode).toBe('allow_list');
    expect(allow.model_ids).toContain('gpt-4o-mini');
    const deny = await client.get<Permissions>(modelPermissionsPath(projectNamed('Marketing Copy').id));
    expect(deny.mode).toBe('deny_list');
    expect(deny.model_ids.length).toBeGreaterThan(0);
    const open = await client.get<Permissions>(modelPermissionsPath(projectNamed('Data Platform').id));
    expect(open).toEqual({ object: 'project.model_permissions', mode: 'deny_list', model_ids: [] });
  });

  it('replaces the whole policy, then resets it on delete', async () => {
    const project = projectNamed('Research');
    const set = await client.post<Permissions>(modelPermissionsPath(project.id), { mode: 'allow_list', model_ids: ['gpt-4.1', 'o3', 'o3'] }, { idempotent: true });
    expect(set).toEqual({ object: 'project.model_permissions', mode: 'allow_list', model_ids: ['gpt-4.1', 'o3'] });
    const replaced = await client.post<Permissions>(modelPermissionsPath(project.id), { mode: 'deny_list', model_ids: ['dall-e-3'] });
    expect(replaced.model_ids).toEqual(['dall-e-3']);
    expect(await client.get<Permissions>(modelPermissionsPath(project.id))).toEqual(replaced);
    const removed = await client.delete<{ object: string; deleted: boolean }>(modelPermissionsPath(project.id));
    expect(removed).toEqual({ object: 'project.model_permissions.deleted', deleted: true });
    expect(sandbox.state.modelPermissions.has(project.id)).toBe(false);
    expect(await client.get<Permissions>(modelPermissionsPath(project.id))).toEqual({ object: 'project.model_permissions', mode: 'deny_list', model_ids: [] });
    // Deleting again converges on the same state.
    expect((await client.delete<{ deleted: boolean }>(modelPermissionsPath(project.id))).deleted).toBe(true);
  });

  it.each([
    [{ mode: 'block_list', model_ids: ['gpt-4o'] }, 'mode'],
    [{ model_ids: ['gpt-4o'] }, 'mode'],
    [{ mode: 'allow_list' }, 'model_ids'],
    [{ mode: 'allow_list', model_ids: 'gpt-4o' }, 'model_ids'],
    [{ mode: 'allow_list', model_ids: [42] }, 'model_ids'],
    [{ mode: 'allow_list', model_ids: [''] }, 'model_ids'],
    [{ mode: 'allow_list', model_ids: ['gpt-4o'], projects: [] }, 'projects'],
  ])('rejects %j (param %s) and keeps the policy', async (body, param) => {
    const project = projectNamed('Support Assistant');
    await expectError(client.post(modelPermissionsPath(project.id), body), 400, param, {
      unchanged: () => stateSnapshot(sandbox.state.modelPermissions.get(project.id)),
    });
  });

  it('refuses changes on archived projects and answers 404 for unknown ones', async () => {
    const project = archived();
    await client.get(modelPermissionsPath(project.id));
    const before = sandbox.state.modelPermissions.get(project.id);
    await expectError(client.post(modelPermissionsPath(project.id), { mode: 'allow_list', model_ids: [] }), 400, 'project_id');
    await expectError(client.delete(modelPermissionsPath(project.id)), 400, 'project_id');
    expect(sandbox.state.modelPermissions.get(project.id)).toEqual(before);
    await expectError(client.get(modelPermissionsPath('proj_missing')), 404, 'project_id');
    await expectError(client.post(modelPermissionsPath('proj_missing'), { mode: 'allow_list', model_ids: [] }), 404, 'project_id');
    await expectError(client.delete(modelPermissionsPath('proj_missing')), 404, 'project_id');
  });
});

// Hosted tool permissions

describe('hosted tool permissions', () => {
  const TOOLS = ['file_search', 'web_search', 'image_generation', 'mcp', 'code_interpreter'];
  type Tools = Record<string, { enabled: boolean }>;

  it('retrieves all five tools', async () => {
    const tools = await client.get<Tools>(hostedToolsPath(projectNamed('Support Assistant').id));
    expect(Object.keys(tools).sort()).toEqual([...TOOLS].sort());
    for (const tool of TOOLS) expect(typeof tools[tool]?.enabled).toBe('boolean');
    expect(tools.code_interpreter?.enabled).toBe(false);
    expect(tools.file_search?.enabled).toBe(true);
  });

  it('updates only the tools given', async () => {
    const project = projectNamed('Data Platform');
    const before = await client.get<Tools>(hostedToolsPath(project.id));
    const updated = await client.post<Tools>(hostedToolsPath(project.id), { web_search: { enabled: false }, mcp: null }, { idempotent: true });
    expect(updated).toEqual({ ...before, web_search: { enabled: false } });
    expect(await client.get<Tools>(hostedToolsPath(project.id))).toEqual(updated);
    const restored = await client.post<Tools>(hostedToolsPath(project.id), { web_search: { enabled: true } });
    expect(restored).toEqual(before);
    expect(await client.post<Tools>(hostedToolsPath(project.id), {})).toEqual(before);
  });

  it.each([
    [{ file_search: {} }, 'file_search.enabled'],
    [{ file_search: { enabled: 'yes' } }, 'file_search.enabled'],
    [{ mcp: { enabled: true, servers: [] } }, 'mcp.servers'],
    [{ mcp: true }, 'mcp'],
    [{ browser: { enabled: true } }, 'browser'],
  ])('rejects %j (param %s) and changes nothing', async (body, param) => {
    const project = projectNamed('Billing');
    await expectError(client.post(hostedToolsPath(project.id), { web_search: { enabled: true }, ...body }), 400, param, {
      unchanged: () => stateSnapshot(sandbox.state.hostedToolPermissions.get(project.id)),
    });
  });

  it('refuses changes on archived projects and answers 404 for unknown ones', async () => {
    const project = archived();
    await client.get(hostedToolsPath(project.id));
    await expectError(client.post(hostedToolsPath(project.id), { mcp: { enabled: true } }), 400, 'project_id', {
      unchanged: () => stateSnapshot(sandbox.state.hostedToolPermissions.get(project.id)),
    });
    await expectError(client.get(hostedToolsPath('proj_missing')), 404, 'project_id');
    await expectError(client.post(hostedToolsPath('proj_missing'), {}), 404, 'project_id');
  });
});

// Spend alerts

const INVALID_ALERTS: Array<[string, Record<string, unknown>, string]> = [
  ['missing threshold', { threshold_amount: undefined }, 'threshold_amount'],
  ['negative threshold', { threshold_amount: -1 }, 'threshold_amount'],
  ['fractional threshold', { threshold_amount: 10.5 }, 'threshold_amount'],
  ['missing currency', { currency: undefined }, 'currency'],
  ['unsupported currency', { currency: 'EUR' }, 'currency'],
  ['missing interval', { interval: undefined }, 'interval'],
  ['unsupported interval', { interval: 'week' }, 'interval'],
  ['missing channel', { notification_channel: undefined }, 'notification_channel'],
  ['channel not an object', { notification_channel: 'email' }, 'notification_channel'],
  ['unsupported channel type', { notification_channel: { type: 'slack', recipients: ['a@b.test'] } }, 'notification_channel.type'],
  ['missing channel type', { notification_channel: { recipients: ['a@b.test'] } }, 'notification_channel.type'],
  ['missing recipients', { notification_channel: { type: 'email' } }, 'notification_channel.recipients'],
  ['empty recipients', { notification_channel: { type: 'email', recipients: [] } }, 'notification_channel.recipients'],
  ['bad recipient', { notification_channel: { type: 'email', recipients: ['finance'] } }, 'notification_channel.recipients'],
  ['bad subject prefix', { notification_channel: { type: 'email', recipients: ['a@b.test'], subject_prefix: 5 } }, 'notification_channel.subject_prefix'],
  ['unknown channel field', { notification_channel: { type: 'email', recipients: ['a@b.test'], cc: [] } }, 'notification_channel.cc'],
  ['unknown field', { enforcement: 'block' }, 'enforcement'],
];

describe('organization spend alerts', () => {
  it('lists and retrieves seeded alerts with the documented shape', async () => {
    const page = await client.get<List<Alert>>('/organization/spend_alerts');
    expect(page.object).toBe('list');
    expect(page.data.length).toBe(sandbox.state.orgSpendAlerts.size);
    expect(page.first_id).toBe(page.data[0]?.id);
    expect(page.last_id).toBe(page.data.at(-1)?.id);
    for (const alert of page.data) {
      expect(Object.keys(alert).sort()).toEqual(['currency', 'id', 'interval', 'notification_channel', 'object', 'threshold_amount']);
      expect(alert).toMatchObject({ object: 'organization.spend_alert', currency: 'USD', interval: 'month' });
      expect(alert.notification_channel.type).toBe('email');
      expect(alert.notification_channel.recipients.length).toBeGreaterThan(0);
    }
    const first = page.data[0] as Alert;
    expect(await client.get<Alert>(`/organization/spend_alerts/${first.id}`)).toEqual(first);
  });

  it('round-trips create, retrieve, list, update and delete', async () => {
    const created = await client.post<Alert>('/organization/spend_alerts', validAlert());
    expect(created).toMatchObject({ object: 'organization.spend_alert', threshold_amount: 150_000, currency: 'USD', interval: 'month' });
    expect(created.id).toMatch(/^alert_/);
    expect(created.notification_channel).toEqual({ type: 'email', recipients: ['ops@northwind-labs.test'], subject_prefix: 'Heads up' });
    expect(await client.get<Alert>(`/organization/spend_alerts/${created.id}`)).toEqual(created);
    const listed = await client.get<List<Alert>>('/organization/spend_alerts', { limit: 100 });
    expect(listed.data.at(-1)).toEqual(created);

    const updated = await client.post<Alert>(
      `/organization/spend_alerts/${created.id}`,
      validAlert({ threshold_amount: 300_000, notification_channel: { type: 'email', recipients: ['cfo@northwind-labs.test'] } }),
      { idempotent: true },
    );
    expect(updated).toMatchObject({ id: created.id, threshold_amount: 300_000 });
    expect(updated.notification_channel).toEqual({ type: 'email', recipients: ['cfo@northwind-labs.test'], subject_prefix: null });

    const removed = await client.delete(`/organization/spend_alerts/${created.id}`);
    expect(removed).toEqual({ id: created.id, object: 'organization.spend_alert.deleted', deleted: true });
    expect(sandbox.state.orgSpendAlerts.has(created.id)).toBe(false);
    await expectError(client.get(`/organization/spend_alerts/${created.id}`), 404, 'alert_id');
    await expectError(client.delete(`/organization/spend_alerts/${created.id}`), 404, 'alert_id');
  });

  it('pages with limit, order, after and before', async () => {
    const ids = [...sandbox.state.orgSpendAlerts.keys()];
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const first = await client.get<List<Alert>>('/organization/spend_alerts', { limit: 1 });
    expect(first.data.map((a) => a.id)).toEqual([ids[0]]);
    expect(first.has_more).toBe(true);
    const next = await client.get<List<Alert>>('/organization/spend_alerts', { limit: 1, after: first.last_id as string });
    expect(next.data.map((a) => a.id)).toEqual([ids[1]]);
    const back = await client.get<List<Alert>>('/organization/spend_alerts', { limit: 5, before: ids[2] as string });
    expect(back.data.map((a) => a.id)).toEqual(ids.slice(0, 2));
    expect(back.has_more).toBe(false);
    const desc = await client.get<List<Alert>>('/organization/spend_alerts', { order: 'desc' });
    expect(desc.data.map((a) => a.id)).toEqual([...ids].reverse());
    const empty = await client.get<List<Alert>>('/organization/spend_alerts', { limit: 0 });
    expect(empty).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: true });
  });

  it.each([
    [{ limit: 101 }, 'limit'],
    [{ limit: -1 }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ order: 'newest' }, 'order'],
    [{ after: 'alert_missing' }, 'after'],
    [{ before: 'alert_missing' }, 'before'],
  ])('rejects list query %j (param %s)', async (query, param) => {
    await expectError(client.get('/organization/spend_alerts', query), 400, param);
  });

  it.each(INVALID_ALERTS)('create rejects %s', async (_label, overrides, param) => {
    await expectError(client.post('/organization/spend_alerts', validAlert(overrides)), 400, param, {
      unchanged: () => stateSnapshot(sandbox.state.orgSpendAlerts),
    });
  });

  it.each(INVALID_ALERTS)('update rejects %s and keeps the alert', async (_label, overrides, param) => {
    const id = [...sandbox.state.orgSpendAlerts.keys()][0] as string;
    await expectError(client.post(`/organization/spend_alerts/${id}`, validAlert(overrides)), 400, param, {
      unchanged: () => stateSnapshot(sandbox.state.orgSpendAlerts),
    });
  });

  it('answers 404 for unknown alerts', async () => {
    await expectError(client.get('/organization/spend_alerts/alert_missing'), 404, 'alert_id');
    await expectError(client.post('/organization/spend_alerts/alert_missing', validAlert()), 404, 'alert_id');
    await expectError(client.delete('/organization/spend_alerts/alert_missing'), 404, 'alert_id');
  });
});

describe('project spend alerts', () => {
  it('lists and retrieves seeded alerts with the documented shape', async () => {
    const project = projectNamed('Default project');
    const page = await client.get<List<Alert>>(projectAlertsPath(project.id));
    expect(page.object).toBe('list');
    expect(page.data.length).toBe(sandbox.state.projectSpendAlerts.get(project.id)?.size);
    expect(page.data.length).toBeGreaterThan(0);
    for (const alert of page.data) {
      expect(alert).toMatchObject({ object: 'project.spend_alert', currency: 'USD', interval: 'month' });
      expect(alert.notification_channel.recipients.length).toBeGreaterThan(0);
    }
    const first = page.data[0] as Alert;
    expect(await client.get<Alert>(`${projectAlertsPath(project.id)}/${first.id}`)).toEqual(first);
  });

  it('round-trips create, retrieve, list, update and delete', async () => {
    const project = active();
    const created = await client.post<Alert>(projectAlertsPath(project.id), validAlert({ threshold_amount: 0 }));
    expect(created).toMatchObject({ object: 'project.spend_alert', threshold_amount: 0 });
    expect(await client.get<Alert>(`${projectAlertsPath(project.id)}/${created.id}`)).toEqual(created);
    const listed = await client.get<List<Alert>>(projectAlertsPath(project.id), { order: 'desc', limit: 1 });
    expect(listed.data).toEqual([created]);

    const updated = await client.post<Alert>(`${projectAlertsPath(project.id)}/${created.id}`, validAlert({ threshold_amount: 75_000 }));
    expect(updated).toMatchObject({ id: created.id, object: 'project.spend_alert', threshold_amount: 75_000 });

    const removed = await client.delete(`${projectAlertsPath(project.id)}/${created.id}`);
    expect(removed).toEqual({ id: created.id, object: 'project.spend_alert.deleted', deleted: true });
    expect(sandbox.state.projectSpendAlerts.get(project.id)?.has(created.id)).toBe(false);
    await expectError(client.get(`${projectAlertsPath(project.id)}/${created.id}`), 404, 'alert_id');
  });

  it.each(INVALID_ALERTS)('create rejects %s', async (_label, overrides, param) => {
    const project = active();
    await expectError(client.post(projectAlertsPath(project.id), validAlert(overrides)), 400, param, {
      unchanged: () => stateSnapshot(sandbox.state.projectSpendAlerts.get(project.id)),
    });
  });

  it('update requires every field and keeps the alert on failure', async () => {
    const project = projectNamed('Default project');
    const id = [...(sandbox.state.projectSpendAlerts.get(project.id)?.keys() ?? [])][0] as string;
    const before = stateSnapshot(sandbox.state.projectSpendAlerts.get(project.id));
    await expectError(client.post(`${projectAlertsPath(project.id)}/${id}`, { threshold_amount: 5 }), 400, 'currency');
    await expectError(client.post(`${projectAlertsPath(project.id)}/${id}`, validAlert({ interval: 'day' })), 400, 'interval');
    expect(stateSnapshot(sandbox.state.projectSpendAlerts.get(project.id))).toEqual(before);
  });

  it('validates list limits', async () => {
    const path = projectAlertsPath(active().id);
    await expectError(client.get(path, { limit: 101 }), 400, 'limit');
    await expectError(client.get(path, { limit: -1 }), 400, 'limit');
    await expectError(client.get(path, { order: 'sideways' }), 400, 'order');
  });

  it('keeps alerts scoped to their project', async () => {
    const owner = projectNamed('Default project');
    const id = [...(sandbox.state.projectSpendAlerts.get(owner.id)?.keys() ?? [])][0] as string;
    const other = active();
    await expectError(client.get(`${projectAlertsPath(other.id)}/${id}`), 404, 'alert_id');
    await expectError(client.delete(`${projectAlertsPath(other.id)}/${id}`), 404, 'alert_id');
    await expectError(client.get(`/organization/spend_alerts/${id}`), 404, 'alert_id');
    expect(sandbox.state.projectSpendAlerts.get(owner.id)?.has(id)).toBe(true);
  });

  it('answers 404 for unknown projects and alerts', async () => {
    await expectError(client.get(projectAlertsPath('proj_missing')), 404, 'project_id');
    await expectError(client.post(projectAlertsPath('proj_missing'), validAlert()), 404, 'project_id');
    await expectError(client.get(`${projectAlertsPath(active().id)}/alert_missing`), 404, 'alert_id');
    await expectError(client.post(`${projectAlertsPath(active().id)}/alert_missing`, validAlert()), 404, 'alert_id');
    await expectError(client.delete(`${projectAlertsPath(active().id)}/alert_missing`), 404, 'alert_id');
  });

  it('reads but refuses changes on an archived project', async () => {
    const project = archived();
    const alerts = state().scoped(state().projectSpendAlerts, project.id);
    // Make sure there is an alert to try to change.
    if (alerts.size === 0) {
      alerts.set('alert_archived_fixture', {
        id: 'alert_archived_fixture',
        threshold_amount: 10_000,
        currency: 'USD',
        interval: 'month',
        notification_channel: { type: 'email', recipients: ['ops@northwind-labs.test'], subject_prefix: null },
        created_at: state().anchor,
      });
    }
    const id = [...alerts.keys()][0] as string;
    const page = await client.get<List<Alert>>(projectAlertsPath(project.id));
    expect(page.data.map((a) => a.id)).toContain(id);
    await client.get(`${projectAlertsPath(project.id)}/${id}`);
    const before = stateSnapshot(alerts);
    await expectError(client.post(projectAlertsPath(project.id), validAlert()), 400, 'project_id');
    await expectError(client.post(`${projectAlertsPath(project.id)}/${id}`, validAlert()), 400, 'project_id');
    await expectError(client.delete(`${projectAlertsPath(project.id)}/${id}`), 400, 'project_id');
    expect(stateSnapshot(alerts)).toEqual(before);
  });
});

function state() {
  return sandbox.state;
}
