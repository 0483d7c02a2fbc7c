import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../../src/client/index.js';
import type { AuditEntry } from '../../../src/server/gate/audit.js';
import { ToolHost } from '../../../src/server/hosts/tool-host.js';
import { planRequest } from '../../../src/server/execution/executor.js';
import type { FaultKind } from '../../../src/sandbox/faults.js';
import type { Sandbox } from '../../../src/sandbox/server.js';
import { endpointTools } from '../../../tools/index.js';
import { sandboxWithClient } from '../../helpers.js';
import { testHost } from '../../host.js';
import { structured, text } from '../../connect.js';
import { pem } from '../../certificates.js';

/*
 * Every destructive tool, and the writes whose repeat is refused, with the execution's first attempt
 * processed by the sandbox and its answer lost (a 500 or a reset after processing). The client
 * retries, and the retry meets the state the first attempt left: a delete is told 404, an unassign
 * 404 or 400, an assignment 409. Whatever the retry is told, the tool must report what happened.
 */

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;
let host: ToolHost;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 88 }, { maxRetries: 2 }));
  host = testHost(client, { audit: { record: (e) => void audit.push(e) } });
});
afterAll(() => close());

type Args = Record<string, unknown>;
let serial = 0;
const unique = (what: string) => `${what} ${++serial}`;

const readers = () => [...sandbox.state.users.values()].filter((u) => u.role === 'reader');
const reader = (skip = 0) => {
  const user = readers()[skip];
  if (!user) throw new Error('no reader in the sandbox');
  return user;
};
const newProject = async () => (await client.post<{ id: string }>('/organization/projects', { name: unique('Outcome project') })).id;
const newGroup = async () => (await client.post<{ id: string }>('/organization/groups', { name: unique('Outcome group') })).id;
const newOrgRole = async () =>
  (await client.post<{ id: string }>('/organization/roles', { role_name: unique('outcome-role'), permissions: ['api.organization.users.read'] })).id;
const newProjectRole = async (projectId: string) =>
  (await client.post<{ id: string }>(`/projects/${projectId}/roles`, { role_name: unique('outcome-project-role'), permissions: ['api.project.models.read'] })).id;
/** The predefined `member` role of a project, which a group is added to the project with. */
const memberRole = async (projectId: string) => {
  const roles = await client.get<{ data: Array<{ id: string; name: string; predefined_role: boolean }> }>(`/projects/${projectId}/roles`, { limit: 100 });
  const role = roles.data.find((r) => r.predefined_role && r.name === 'member');
  if (!role) throw new Error('no predefined member role');
  return role.id;
};
const newCertificate = async () => (await client.post<{ id: string }>('/organization/certificates', { name: unique('outcome-cert'), certificate: pem(String(serial)) })).id;
const LIMIT = { threshold_amount: 4_200, currency: 'USD', interval: 'month' };
const ALERT = { threshold_amount: 9_100, currency: 'USD', interval: 'month', notification_channel: { type: 'email', recipients: ['ops@example.test'] } };

/** For each destructive tool, arguments naming a fresh target that the call can change. */
const destructive: Record<string, () => Promise<Args>> = {
  projects_archive: async () => ({ project_id: await newProject() }),
  projects_users_delete: async () => {
    const project_id = await newProject();
    const user = reader();
    await client.post(`/organization/projects/${project_id}/users`, { user_id: user.id, role: 'member' });
    return { project_id, user_id: user.id };
  },
  projects_service_accounts_delete: async () => {
    const project_id = await newProject();
    const account = await client.post<{ id: string }>(`/organization/projects/${project_id}/service_accounts`, { name: unique('outcome-sa') });
    return { project_id, service_account_id: account.id };
  },
  projects_api_keys_delete: async () => {
    for (const [projectId, keys] of sandbox.state.projectApiKeys) {
      if (sandbox.state.projects.get(projectId)?.status !== 'active') continue;
      const key = [...keys.values()].find((k) => k.owner.type === 'user');
      if (key) return { project_id: projectId, api_key_id: key.id };
    }
    throw new Error('no user-owned project key in an active project');
  },
  admin_api_keys_delete: async () => ({ key_id: (await client.post<{ id: string }>('/organization/admin_api_keys', { name: unique('outcome-admin-key') })).id }),
  users_delete: async () => ({ user_id: reader(readers().length - 1).id }),
  users_roles_delete: async () => {
    const role_id = await newOrgRole();
    const user = reader(1);
    await client.post(`/organization/users/${user.id}/roles`, { role_id });
    return { user_id: user.id, role_id };
  },
  invites_delete: async () =>
    ({ invite_id: (await client.post<{ id: string }>('/organization/invites', { email: `${unique('outcome').replace(' ', '-')}@example.test`, role: 'reader' })).id }),
  groups_delete: async () => ({ group_id: await newGroup() }),
  groups_users_delete: async () => {
    const group_id = await newGroup();
    await client.post(`/organization/groups/${group_id}/users`, { user_id: reader(2).id });
    return { group_id, user_id: reader(2).id };
  },
  groups_roles_delete: async () => {
    const group_id = await newGroup();
    const role_id = await newOrgRole();
    await client.post(`/organization/groups/${group_id}/roles`, { role_id });
    return { group_id, role_id };
  },
  roles_delete: async () => ({ role_id: await newOrgRole() }),
  projects_roles_delete: async () => {
    const project_id = await newProject();
    return { project_id, role_id: await newProjectRole(project_id) };
  },
  projects_users_roles_delete: async () => {
    const project_id = await newProject();
    const user = reader(3);
    await client.post(`/organization/projects/${project_id}/users`, { user_id: user.id, role: 'member' });
    const role_id = await newProjectRole(project_id);
    await client.post(`/projects/${project_id}/users/${user.id}/roles`, { role_id });
    return { project_id, user_id: user.id, role_id };
  },
  projects_groups_roles_delete: async () => {
    const project_id = await newProject();
    const group_id = await newGroup();
    await client.post(`/organization/projects/${project_id}/groups`, { group_id, role: await memberRole(project_id) });
    const role_id = await newProjectRole(project_id);
    await client.post(`/projects/${project_id}/groups/${group_id}/roles`, { role_id });
    return { project_id, group_id, role_id };
  },
  projects_groups_delete: async () => {
    const project_id = await newProject();
    const group_id = await newGroup();
    await client.post(`/organization/projects/${project_id}/groups`, { group_id, role: await memberRole(project_id) });
    return { project_id, group_id };
  },
  certificates_deactivate: async () => {
    const id = await newCertificate();
    await client.post('/organization/certificates/activate', { certificate_ids: [id] });
    return { certificate_ids: [id] };
  },
  certificates_delete: async () => ({ certificate_id: await newCertificate() }),
  projects_certificates_deactivate: async () => {
    const project_id = await newProject();
    const id = await newCertificate();
    await client.post(`/organization/projects/${project_id}/certificates/activate`, { certificate_ids: [id] });
    return { project_id, certificate_ids: [id] };
  },
  spend_limit_update: async () => ({ ...LIMIT, threshold_amount: 4_000 + ++serial }),
  spend_limit_delete: async () => {
    await client.post('/organization/spend_limit', LIMIT, { idempotent: true });
    return {};
  },
  projects_spend_limit_update: async () => ({ project_id: await newProject(), ...LIMIT }),
  projects_spend_limit_delete: async () => {
    const project_id = await newProject();
    await client.post(`/organization/projects/${project_id}/spend_limit`, LIMIT, { idempotent: true });
    return { project_id };
  },
  projects_model_permissions_update: async () => ({ project_id: await newProject(), mode: 'allow_list', model_ids: ['gpt-4o-mini'] }),
  projects_model_permissions_delete: async () => {
    const project_id = await newProject();
    await client.post(`/organization/projects/${project_id}/model_permissions`, { mode: 'deny_list', model_ids: ['o3'] }, { idempotent: true });
    return { project_id };
  },
  spend_alerts_delete: async () => ({ alert_id: (await client.post<{ id: string }>('/organization/spend_alerts', ALERT)).id }),
  projects_spend_alerts_delete: async () => {
    const project_id = await newProject();
    const alert = await client.post<{ id: string }>(`/organization/projects/${project_id}/spend_alerts`, ALERT);
    return { project_id, alert_id: alert.id };
  },
};

/** Writes that the client retries and whose repeat is refused once the first attempt went through. */
const refusedOnRepeat: Record<string, () => Promise<Args>> = {
  projects_users_create: async () => ({ project_id: await newProject(), user_id: reader().id, role: 'member' }),
  groups_users_create: async () => ({ group_id: await newGroup(), user_id: reader().id }),
  users_roles_create: async () => ({ user_id: reader(4).id, role_id: await newOrgRole() }),
  groups_roles_create: async () => ({ group_id: await newGroup(), role_id: await newOrgRole() }),
  projects_groups_create: async () => {
    const project_id = await newProject();
    return { project_id, group_id: await newGroup(), role: await memberRole(project_id) };
  },
};

const definition = (name: string) => {
  const found = endpointTools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
};

/** Times the sandbox's handler ran for this exact request: how often the change was really made. */
const processedCount = (method: string, path: string, since: number) =>
  sandbox.requests.filter((r) => r.seq > since && r.method === method && r.path === path && r.processed).length;
const lastSeq = () => sandbox.requests.at(-1)?.seq ?? 0;

/** Previews and confirms, with the first attempt of the execution answered by `kind` after processing. */
async function confirmThrough(name: string, args: Args, kind: FaultKind) {
  const preview = await host.call(name, args);
  expect(preview.isError, text(preview)).toBeFalsy();
  const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
  return callThrough(name, { ...args, confirm: token }, args, kind);
}

async function callThrough(name: string, callArgs: Args, fields: Args, kind: FaultKind, afterProcessing = true) {
  const tool = definition(name);
  const request = planRequest(tool, fields);
  sandbox.fault({ kind, method: tool.method, pathPrefix: request.path, times: 1, afterProcessing });
  const since = lastSeq();
  const auditFrom = audit.length;
  const result = await host.call(name, callArgs);
  sandbox.clearFaults();
  const processed = processedCount(tool.method, request.path, since);
  const line = audit.slice(auditFrom).find((e) => e.phase === 'result');
  return { result, message: text(result), processed, line, attempts: sandbox.requests.filter((r) => r.seq > since && r.method === tool.method && r.path === request.path).length };
}

describe('a destructive call whose first attempt was processed but whose answer was lost', () => {
  it.each(Object.keys(destructive).flatMap((name) => [[name, '500'] as const, [name, 'reset'] as const]))('%s through a %s after processing reports what happened', async (name, kind) => {
    const args = await (destructive[name] as () => Promise<Args>)();
    const { result, message, processed, line, attempts } = await confirmThrough(name, args, kind);
    expect(attempts, 'the client retried after the lost answer').toBeGreaterThanOrEqual(2);
    expect(processed, 'the first attempt made the change').toBeGreaterThanOrEqual(1);
    expect(message).not.toMatch(/Nothing exists with that ID/);
    if (result.isError) {
      // Only where it cannot be checked may the outcome stay open, and then it says so.
      expect(message).toMatch(/may have happened/);
      expect(line).toMatchObject({ outcome: 'failed', may_have_happened: true });
    } else {
      expect(line).toMatchObject({ outcome: 'succeeded' });
    }
    // A delete whose target can be read again is settled: the target is gone, so it is done.
    const tool = definition(name);
    if (tool.method === 'DELETE' && tool.target) {
      expect(result.isError, message).toBeFalsy();
    }
  });
});

describe('a write retried into a refusal after its first attempt went through', () => {
  it.each(Object.keys(refusedOnRepeat))('%s says the write may have happened, never that it failed', async (name) => {
    const args = await (refusedOnRepeat[name] as () => Promise<Args>)();
    const { result, message, processed, line } = await callThrough(name, args, args, '500');
    expect(processed).toBe(1);
    expect(result.isError).toBe(true);
    expect(message).toMatch(/may have happened/);
    expect(message).not.toMatch(/conflicts with the current state|Nothing exists with that ID/);
    expect(line).toMatchObject({ outcome: 'failed', may_have_happened: true });
  });
});

describe('an unassign whose retry is refused because the role still comes from a group', () => {
  it('is not reported as failed: the target changed, so the unassignment may have happened', async () => {
    // The user holds the role directly and through a group. The first attempt removes the direct
    // assignment and its answer is lost; the retry is told 400 "it comes from a group".
    const role_id = await newOrgRole();
    const user = reader(5);
    const group_id = await newGroup();
    await client.post(`/organization/groups/${group_id}/users`, { user_id: user.id });
    await client.post(`/organization/groups/${group_id}/roles`, { role_id });
    await client.post(`/organization/users/${user.id}/roles`, { role_id });
    const direct = () => sandbox.state.roleAssignments.some((a) => a.principal_type === 'user' && a.principal_id === user.id && a.role_id === role_id);
    expect(direct()).toBe(true);
    const { result, message, processed, line, attempts } = await confirmThrough('users_roles_delete', { user_id: user.id, role_id }, '500');
    expect(attempts).toBe(2);
    expect(processed).toBe(1);
    expect(direct()).toBe(false);
    expect(result.isError).toBe(true);
    expect(message).toMatch(/OpenAI API error 400/);
    expect(message).toMatch(/may have happened/);
    expect(message).toMatch(/changed since before the call/);
    expect(line).toMatchObject({ outcome: 'failed', may_have_happened: true, status: 400 });
  });
});

describe('a lost answer does not make a refusal uncertain when the target shows nothing changed', () => {
  it('a delete refused on its retry, with the target unchanged, is reported as not done', async () => {
    // An active certificate cannot be deleted. The first attempt is answered 500 before processing,
    // so the client cannot know it was not processed; the retry is refused with 400.
    const id = await newCertificate();
    await client.post('/organization/certificates/activate', { certificate_ids: [id] });
    const preview = await host.call('certificates_delete', { certificate_id: id });
    const token = structured<{ confirmation_token: string }>(preview).confirmation_token;
    const { result, message, processed, line } = await callThrough('certificates_delete', { certificate_id: id, confirm: token }, { certificate_id: id }, '500', false);
    expect(processed).toBe(0);
    expect(result.isError).toBe(true);
    expect(message).toMatch(/OpenAI API error 400/);
    expect(message).toMatch(/unchanged|exactly as it was/);
    expect(message).not.toMatch(/may have happened/);
    expect(line).toMatchObject({ outcome: 'failed', may_have_happened: false, status: 400 });
    expect(sandbox.state.certificates.has(id)).toBe(true);
  });
});
