import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeQuery, type AdminClient, type Query } from '../../../src/client/index.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { structured, text } from '../../connect.js';

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
let host: ToolHost;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 41 }));
  host = testHost(client, { confirmWith: 'token' });
});
afterAll(() => close());

const active = () => [...sandbox.state.projects.values()].filter((p) => p.status === 'active' && p.name !== 'Default project');
const someUser = () => [...sandbox.state.users.values()][5];

/** A sample of writes from every family, each as a function so IDs are read at call time. */
const samples: Array<[string, () => Record<string, unknown>]> = [
  ['projects_create', () => ({ name: 'Dry run project' })],
  ['projects_update', () => ({ project_id: active()[0]?.id, name: 'Dry renamed' })],
  ['invites_create', () => ({ email: 'dry.run@example.com', role: 'reader' })],
  ['groups_create', () => ({ name: 'Dry group' })],
  ['roles_create', () => ({ role_name: 'Dry role', permissions: ['api.organization.projects.read'] })],
  ['projects_service_accounts_create', () => ({ project_id: active()[1]?.id, name: 'dry-bot' })],
  ['projects_rate_limits_update', () => ({ project_id: active()[2]?.id, rate_limit_id: 'rl-gpt-4o', max_requests_per_1_minute: 77 })],
  ['spend_alerts_create', () => ({ threshold_amount: 123_400, currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: ['finance@example.com'] } })],
  ['certificates_update', () => ({ certificate_id: [...sandbox.state.certificates.keys()][0], name: 'Dry cert' })],
  ['projects_data_retention_update', () => ({ project_id: active()[0]?.id, retention_type: 'zero_data_retention' })],
  ['users_update', () => ({ user_id: someUser()?.id, role: 'reader' })],
];

describe('dry_run', () => {
  it.each(samples)('%s: sends no change, and the request it shows is the one the real call sends', async (name, makeArgs) => {
    const args = makeArgs();
    const before = sandbox.requests.length;
    const dry = await host.call(name, { ...args, dry_run: true });
    expect(dry.isError, text(dry)).toBeFalsy();
    // Only projects_create reads, to warn of an active project with the same name.
    const read = sandbox.requests.slice(before);
    expect(read.filter((r) => r.method !== 'GET')).toEqual([]);
    if (name !== 'projects_create') expect(read).toEqual([]);
    const shown = structured<{ dry_run: boolean; request: { method: string; path: string; query?: Query; body?: unknown } }>(dry);
    expect(shown.dry_run).toBe(true);

    const real = await host.call(name, args);
    expect(real.isError, text(real)).toBeFalsy();
    const writes = sandbox.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(writes).toHaveLength(1);
    const sent = writes[0];
    expect(sent?.method).toBe(shown.request.method);
    expect(sent?.path).toBe(shown.request.path);
    expect(sent?.query).toBe(serializeQuery(shown.request.query));
    expect(sent?.body).toEqual(shown.request.body);
  });

  it('a dry run of a destructive tool sends nothing, not even the preview fetch', async () => {
    const project = active()[0];
    const user = [...(sandbox.state.projectUsers.get(project?.id ?? '')?.keys() ?? [])][0];
    const before = sandbox.requests.length;
    const dry = await host.call('projects_users_delete', { project_id: project?.id, user_id: user, dry_run: true });
    expect(structured(dry)).toMatchObject({ dry_run: true, request: { method: 'DELETE', path: `/organization/projects/${project?.id}/users/${user}` } });
    expect(sandbox.requests.length).toBe(before);
  });
});
