import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { ProjectApiKeyRecord } from '../../src/sandbox/state.js';
import { expectError, pickActiveProject, pickArchivedProject, stateSnapshot, useSandbox } from '../helpers.js';

/*
 * Project API key update: scopes and expiry, for user and service-account keys alike. The clock is
 * injected so expiry is exact and a key can be made to expire without waiting.
 */

let clock = Date.parse('2026-06-15T12:00:00Z') / 1000;
let client: AdminClient;
const state = useSandbox({ seed: 7, now: () => clock }, (started) => ({ client } = started));

interface ProjectKey {
  object: string;
  id: string;
  name: string;
  redacted_value: string;
  expires_at: number | null;
  owner: { type: string };
}

const snapshot = () => stateSnapshot(state().projectApiKeys);
const keyPath = (projectId: string, keyId: string) => `/organization/projects/${projectId}/api_keys/${keyId}`;
const keysOf = (projectId: string): ProjectApiKeyRecord[] => [...(state().projectApiKeys.get(projectId)?.values() ?? [])];
/** A key of the default project that can be updated: not expired, owned as asked. */
function liveKey(owner: 'user' | 'service_account'): { projectId: string; key: ProjectApiKeyRecord } {
  const project = pickActiveProject(state());
  const key = keysOf(project.id).find((k) => k.owner.type === owner && (k.expires_at ?? Infinity) > clock);
  if (!key) throw new Error(`no live ${owner} key`);
  return { projectId: project.id, key };
}

describe('project API key update', () => {
  it('seeded keys show expires_at: null unless they expire, and one has expired', async () => {
    const project = pickActiveProject(state());
    const keys = keysOf(project.id);
    expect(keys.some((k) => k.expires_at != null && k.expires_at < clock)).toBe(true);
    expect(keys.some((k) => k.expires_at != null && k.expires_at > clock)).toBe(true);
    const plain = keys.find((k) => k.expires_at == null)!;
    expect((await client.get<ProjectKey>(keyPath(project.id, plain.id))).expires_at).toBeNull();
  });

  it("replaces a user key's scopes and sets its expiry relative to the request, keeping the secret out", async () => {
    const { projectId, key } = liveKey('user');
    const before = await client.get<ProjectKey>(keyPath(projectId, key.id));
    const updated = await client.post<ProjectKey>(keyPath(projectId, key.id), { scopes: ['api.all.read'], expires_in_seconds: 3600 });
    expect(updated).toEqual({ ...before, expires_at: clock + 3600 });
    expect(updated).not.toHaveProperty('value');
    expect(state().projectApiKeys.get(projectId)?.get(key.id)?.scopes).toEqual(['api.all.read']);
    expect(state().auditLogs.at(-1)).toMatchObject({
      type: 'api_key.updated',
      payload: { id: key.id, changes_requested: { scopes: ['api.all.read'], expires_in_seconds: 3600 } },
      project: { id: projectId },
    });
    expect(await client.get<ProjectKey>(keyPath(projectId, key.id))).toEqual(updated);

    // Sent again later, the same expiry counts from the new request.
    clock += 600;
    const again = await client.post<ProjectKey>(keyPath(projectId, key.id), { expires_in_seconds: 3600 });
    expect(again.expires_at).toBe(clock + 3600);
    // Omitted fields stay: the scopes set above are kept. An empty list lifts every restriction.
    expect(state().projectApiKeys.get(projectId)?.get(key.id)?.scopes).toEqual(['api.all.read']);
    await client.post(keyPath(projectId, key.id), { scopes: [] });
    expect(state().projectApiKeys.get(projectId)?.get(key.id)?.scopes).toEqual([]);
    expect(state().projectApiKeys.get(projectId)?.get(key.id)?.expires_at).toBe(clock + 3600);
  });

  it("updates a service account's key too, without touching the account", async () => {
    const { projectId, key } = liveKey('service_account');
    const accountBefore = stateSnapshot(state().serviceAccounts.get(projectId));
    const updated = await client.post<ProjectKey>(keyPath(projectId, key.id), { scopes: ['api.responses.write', 'api.files.read'] });
    expect(updated).toMatchObject({ id: key.id, owner: { type: 'service_account' }, expires_at: key.expires_at ?? null });
    expect(state().projectApiKeys.get(projectId)?.get(key.id)?.scopes).toEqual(['api.responses.write', 'api.files.read']);
    expect(stateSnapshot(state().serviceAccounts.get(projectId))).toBe(accountBefore);
  });

  it('refuses to update a key once it has expired', async () => {
    const { projectId, key } = liveKey('user');
    await client.post(keyPath(projectId, key.id), { expires_in_seconds: 60 });
    clock += 60;
    await expectError(client.post(keyPath(projectId, key.id), { expires_in_seconds: 3600 }), 400, 'api_key_id', { code: 'api_key_expired', unchanged: snapshot });
    // The seeded expired key is refused the same way.
    const project = pickActiveProject(state());
    const expired = keysOf(project.id).find((k) => k.expires_at != null && k.expires_at <= clock)!;
    await expectError(client.post(keyPath(project.id, expired.id), { scopes: ['api.all.read'] }), 400, 'api_key_id', { code: 'api_key_expired', unchanged: snapshot });
  });

  it.each([
    [{}, 'scopes'],
    [{ scopes: null }, 'scopes'],
    [{ expires_in_seconds: null }, 'expires_in_seconds'],
    [{ scopes: 'api.all.read' }, 'scopes'],
    [{ scopes: ['api.all.read', 7] }, 'scopes'],
    [{ scopes: [''] }, 'scopes'],
    [{ expires_in_seconds: 0 }, 'expires_in_seconds'],
    [{ expires_in_seconds: 1.5 }, 'expires_in_seconds'],
    [{ expires_in_seconds: '3600' }, 'expires_in_seconds'],
    [{ name: 'renamed' }, 'name'],
    [{ scopes: [], owner: 'user-x' }, 'owner'],
  ])('rejects %j and changes nothing', async (body, param) => {
    const { projectId, key } = liveKey('user');
    await expectError(client.post(keyPath(projectId, key.id), body), 400, param, { unchanged: snapshot });
  });

  it('refuses changes to keys in an archived project', async () => {
    const archived = pickArchivedProject(state());
    const key = keysOf(archived.id)[0]!;
    await expectError(client.post(keyPath(archived.id, key.id), { scopes: [] }), 400, 'project_id', { code: 'project_archived', unchanged: snapshot });
  });

  it('answers 404 for an unknown project or key, and for a key of another project', async () => {
    const { projectId, key } = liveKey('user');
    const other = [...state().projects.values()].find((p) => p.status === 'active' && p.id !== projectId)!;
    await expectError(client.post(keyPath('proj_missing', key.id), { scopes: [] }), 404, 'project_id', { unchanged: snapshot });
    await expectError(client.post(keyPath(projectId, 'key_missing'), { scopes: [] }), 404, 'api_key_id', { code: 'not_found', unchanged: snapshot });
    await expectError(client.post(keyPath(other.id, key.id), { scopes: [] }), 404, 'api_key_id', { unchanged: snapshot });
  });
});
