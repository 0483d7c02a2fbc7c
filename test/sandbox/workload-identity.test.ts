import { describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { ServiceAccountRecord } from '../../src/sandbox/state.js';
import { expectError, failure, pickArchivedProject, projectsIn, stateSnapshot, useSandbox, withSandboxes, type List } from '../helpers.js';

let client: AdminClient;
const state = useSandbox({ seed: 7 }, (started) => ({ client } = started));

interface Provider {
  object: string;
  id: string;
  name: string;
  description: string | null;
  type: string;
  issuer: string;
  audience: string;
  enabled: boolean;
  verification: { type: 'discovery'; discovery_url: string | null } | { type: 'uploaded_jwks'; jwks: Record<string, unknown> };
  attribute_transformations: Array<{ attribute: string; expression: string }>;
  created_at: number;
  updated_at: number;
}
interface Rule {
  object: string;
  id: string;
  workload_identity_provider_id: string;
  project_id: string;
  service_account_id: string;
  name: string | null;
  description: string | null;
  enabled: boolean;
  attribute_matchers: Record<string, string | boolean | number>;
  permissions: { type: string; scopes?: string[] };
  created_at: number;
  updated_at: number;
}

const PROVIDERS = '/organization/workload_identity_providers';
const provider = (id: string) => `${PROVIDERS}/${id}`;
const rules = (providerId: string) => `${provider(providerId)}/federation_rules`;
const rule = (providerId: string, ruleId: string) => `${rules(providerId)}/${ruleId}`;

/** Everything this family keeps, to check that a refused request changed nothing. */
const snapshot = () => stateSnapshot(state().workloadIdentityProviders, state().federationRules);
const NEW_PROVIDER = { name: 'Buildkite', type: 'oidc', issuer: 'https://agent.buildkite.com', audience: 'openai' };

/** An active project with a service account, and that account. */
function accountInActiveProject(skip = 0): { projectId: string; account: ServiceAccountRecord } {
  const found = projectsIn(state())
    .filter((p) => p.status === 'active')
    .flatMap((p) => [...(state().serviceAccounts.get(p.id)?.values() ?? [])].map((account) => ({ projectId: p.id, account })));
  const pick = found[skip];
  if (!pick) throw new Error('no service account in an active project');
  return pick;
}

async function newProvider(body: Record<string, unknown> = NEW_PROVIDER): Promise<Provider> {
  return client.post<Provider>(PROVIDERS, body);
}

async function newRule(providerId: string, extra: Record<string, unknown> = {}): Promise<Rule> {
  const { projectId, account } = accountInActiveProject();
  return client.post<Rule>(rules(providerId), { project_id: projectId, service_account_id: account.id, attribute_matchers: { sub: 'pipeline:deploy' }, ...extra });
}

describe('seed', () => {
  it('has providers of both verification kinds, a disabled one, and rules bound to existing service accounts', () => {
    const providers = [...state().workloadIdentityProviders.values()];
    expect(providers.length).toBeGreaterThanOrEqual(2);
    expect(new Set(providers.map((p) => p.verification.type))).toEqual(new Set(['discovery', 'uploaded_jwks']));
    expect(providers.some((p) => !p.enabled)).toBe(true);
    const seededRules = [...state().federationRules.values()].flatMap((m) => [...m.values()]);
    expect(seededRules.length).toBeGreaterThanOrEqual(3);
    expect(seededRules.some((r) => r.permissions.type === 'restricted')).toBe(true);
    expect(seededRules.some((r) => !r.enabled)).toBe(true);
    for (const r of seededRules) {
      expect(state().workloadIdentityProviders.has(r.workload_identity_provider_id)).toBe(true);
      expect(state().projects.get(r.project_id)?.status).toBe('active');
      expect(state().serviceAccounts.get(r.project_id)?.has(r.service_account_id)).toBe(true);
      expect(r.created_at).toBeGreaterThanOrEqual(state().workloadIdentityProviders.get(r.workload_identity_provider_id)!.created_at);
    }
  });

  it('is deterministic for a seed', async () => {
    await withSandboxes([{ seed: 21 }, { seed: 21 }], ([a, b]) => {
      const of = (s: Sandbox) => stateSnapshot(s.state.workloadIdentityProviders, s.state.federationRules);
      expect(of(a)).toBe(of(b));
    });
  });
});

describe('workload identity providers', () => {
  it('lists the seeded providers in the documented shape, paging with after and order', async () => {
    const ids = [...state().workloadIdentityProviders.keys()];
    const page = await client.get<List<Provider>>(PROVIDERS);
    expect(page.object).toBe('list');
    expect(page.data.map((p) => p.id)).toEqual(ids);
    for (const p of page.data) {
      expect(p.object).toBe('organization.workload_identity_provider');
      expect(p.type).toBe('oidc');
      expect(Object.keys(p).sort()).toEqual(
        ['attribute_transformations', 'audience', 'created_at', 'description', 'enabled', 'id', 'issuer', 'name', 'object', 'type', 'updated_at', 'verification'].sort(),
      );
    }
    const walked: string[] = [];
    for await (const p of client.paginate<Provider>({ path: PROVIDERS, query: { limit: 1 }, style: 'cursor_id' })) walked.push(p.id);
    expect(walked).toEqual(ids);
    const desc = await client.get<List<Provider>>(PROVIDERS, { order: 'desc', limit: 2 });
    expect(desc.data.map((p) => p.id)).toEqual([...ids].reverse().slice(0, 2));
    expect(desc.has_more).toBe(ids.length > 2);
  });

  it('round trip: create with defaults, retrieve, list, update only what is given, delete', async () => {
    const created = await newProvider();
    expect(created).toMatchObject({
      object: 'organization.workload_identity_provider',
      ...NEW_PROVIDER,
      description: null,
      enabled: true,
      verification: { type: 'discovery', discovery_url: null },
      attribute_transformations: [],
    });
    expect(created.updated_at).toBe(created.created_at);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'workload_identity_provider.created', payload: { id: created.id } });

    expect(await client.get<Provider>(provider(created.id))).toEqual(created);
    const listed = await client.get<List<Provider>>(PROVIDERS, { limit: 100 });
    expect(listed.data.at(-1)).toEqual(created);

    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', kid: 'k1' }] };
    const updated = await client.post<Provider>(provider(created.id), {
      description: 'CI agents',
      enabled: false,
      verification: { type: 'uploaded_jwks', jwks },
      attribute_transformations: [{ attribute: 'pipeline', expression: 'assertion.pipeline_slug' }],
    });
    expect(updated).toMatchObject({ ...NEW_PROVIDER, id: created.id, description: 'CI agents', enabled: false, verification: { type: 'uploaded_jwks', jwks } });
    expect(updated.attribute_transformations).toEqual([{ attribute: 'pipeline', expression: 'assertion.pipeline_slug' }]);
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'workload_identity_provider.updated', payload: { id: created.id, changes_requested: { enabled: false } } });

    // An explicit null clears the description; the rest stays.
    const cleared = await client.post<Provider>(provider(created.id), { description: null });
    expect(cleared).toEqual({ ...updated, description: null, updated_at: cleared.updated_at });

    const gone = await client.delete<{ object: string; id: string; deleted: boolean }>(provider(created.id));
    expect(gone).toEqual({ object: 'organization.workload_identity_provider.deleted', id: created.id, deleted: true });
    await expectError(client.get(provider(created.id)), 404, 'workload_identity_provider_id', { code: 'not_found' });
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'workload_identity_provider.deleted', payload: { id: created.id, name: 'Buildkite' } });
  });

  it('deleting a provider deletes all its federation rules first', async () => {
    const p = await newProvider();
    const first = await newRule(p.id);
    const second = await newRule(p.id, { name: 'second' });
    const auditBefore = state().auditLogs.length;
    await client.delete(provider(p.id));
    expect(state().federationRules.has(p.id)).toBe(false);
    const events = state().auditLogs.slice(auditBefore).map((e) => [e.type, e.payload.id]);
    expect(events).toEqual([
      ['workload_identity_provider_mapping.deleted', first.id],
      ['workload_identity_provider_mapping.deleted', second.id],
      ['workload_identity_provider.deleted', p.id],
    ]);
    await expectError(client.get(rule(p.id, first.id)), 404, 'workload_identity_provider_id');
  });

  it.each([
    [{ ...NEW_PROVIDER, name: undefined }, 'name'],
    [{ ...NEW_PROVIDER, type: undefined }, 'type'],
    [{ ...NEW_PROVIDER, issuer: undefined }, 'issuer'],
    [{ ...NEW_PROVIDER, audience: undefined }, 'audience'],
    [{ ...NEW_PROVIDER, type: 'saml' }, 'type'],
    [{ ...NEW_PROVIDER, name: '' }, 'name'],
    [{ ...NEW_PROVIDER, enabled: 'yes' }, 'enabled'],
    [{ ...NEW_PROVIDER, description: null }, 'description'],
    [{ ...NEW_PROVIDER, client_secret: 'x' }, 'client_secret'],
    [{ ...NEW_PROVIDER, verification: { type: 'x509' } }, 'verification.type'],
    [{ ...NEW_PROVIDER, verification: { type: 'discovery' } }, 'verification.discovery_url'],
    [{ ...NEW_PROVIDER, verification: { type: 'discovery', discovery_url: null, jwks: {} } }, 'verification.jwks'],
    [{ ...NEW_PROVIDER, verification: { type: 'uploaded_jwks' } }, 'verification.jwks'],
    [{ ...NEW_PROVIDER, verification: { type: 'uploaded_jwks', jwks: { keys: [] } } }, 'verification.jwks.keys'],
    [{ ...NEW_PROVIDER, verification: { type: 'uploaded_jwks', jwks: { keys: [{ kid: 'k' }] } } }, 'verification.jwks.keys[0].kty'],
    [{ ...NEW_PROVIDER, attribute_transformations: [{ attribute: 'a' }] }, 'attribute_transformations[0].expression'],
    [{ ...NEW_PROVIDER, attribute_transformations: [{ attribute: 'a', expression: 'b', lang: 'cel' }] }, 'attribute_transformations[0].lang'],
  ])('create rejects %j', async (body, param) => {
    await expectError(client.post(PROVIDERS, body), 400, param, { unchanged: snapshot });
  });

  it('update refuses unknown or read-only fields and bad values, changing nothing', async () => {
    const p = [...state().workloadIdentityProviders.values()][0]!;
    for (const [body, param] of [
      [{ type: 'oidc' }, 'type'],
      [{ id: 'wip_other' }, 'id'],
      [{ name: null }, 'name'],
      [{ issuer: '' }, 'issuer'],
      // A valid field beside an invalid one: nothing is applied.
      [{ name: 'Renamed', verification: { type: 'uploaded_jwks', jwks: {} } }, 'verification.jwks.keys'],
    ] as const) {
      await expectError(client.post(provider(p.id), body), 400, param, { unchanged: snapshot });
    }
    expect(state().workloadIdentityProviders.get(p.id)?.name).not.toBe('Renamed');
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ order: 'sideways' }, 'order'],
    [{ after: 'wip_missing' }, 'after'],
  ])('list rejects %j', async (query, param) => {
    await expectError(client.get(PROVIDERS, query), 400, param);
  });

  it('answers 404 in the error envelope for an unknown provider', async () => {
    for (const request of [
      () => client.get(provider('wip_missing')),
      () => client.post(provider('wip_missing'), { name: 'x' }),
      () => client.delete(provider('wip_missing')),
    ]) {
      const error = await expectError(request, 404, 'workload_identity_provider_id', { code: 'not_found', unchanged: snapshot });
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toMatch(/wip_missing/);
    }
  });
});

describe('federation rules', () => {
  it('round trip: create with defaults, retrieve, list (filtered), update only what is given, delete', async () => {
    const p = await newProvider();
    const { projectId, account } = accountInActiveProject();
    const created = await client.post<Rule>(rules(p.id), {
      project_id: projectId,
      service_account_id: account.id,
      attribute_matchers: { sub: 'repo:acme/app:ref:refs/heads/main', runner_environment: 'github-hosted', run_attempt: 1, fork: false },
    });
    expect(created).toMatchObject({
      object: 'organization.workload_identity_federation_rule',
      workload_identity_provider_id: p.id,
      project_id: projectId,
      service_account_id: account.id,
      name: null,
      description: null,
      enabled: true,
      permissions: { type: 'service_account_default' },
      attribute_matchers: { sub: 'repo:acme/app:ref:refs/heads/main', runner_environment: 'github-hosted', run_attempt: 1, fork: false },
    });
    expect(state().auditLogs.at(-1)).toMatchObject({
      type: 'workload_identity_provider_mapping.created',
      payload: { id: created.id, identity_provider_id: p.id },
      project: { id: projectId },
    });
    expect(await client.get<Rule>(rule(p.id, created.id))).toEqual(created);

    const other = accountInActiveProject(1);
    const second = await client.post<Rule>(rules(p.id), {
      project_id: other.projectId,
      service_account_id: other.account.id,
      attribute_matchers: { sub: 'job:nightly' },
      name: 'nightly',
      description: 'Nightly batch',
      enabled: false,
      permissions: { type: 'restricted', scopes: ['api.files.read', 'api.files.read', 'api.model.request'] },
    });
    expect(second).toMatchObject({ name: 'nightly', enabled: false, permissions: { type: 'restricted', scopes: ['api.files.read', 'api.model.request'] } });

    const all = await client.get<List<Rule>>(rules(p.id));
    expect(all.data.map((r) => r.id)).toEqual([created.id, second.id]);
    const filtered = await client.get<List<Rule>>(rules(p.id), { service_account_id: other.account.id });
    expect(filtered.data.map((r) => r.id)).toEqual([second.id]);
    const desc = await client.get<List<Rule>>(rules(p.id), { order: 'desc', limit: 1 });
    expect(desc).toMatchObject({ data: [{ id: second.id }], has_more: true });
    const next = await client.get<List<Rule>>(rules(p.id), { order: 'desc', limit: 1, after: second.id });
    expect(next).toMatchObject({ data: [{ id: created.id }], has_more: false });

    const updated = await client.post<Rule>(rule(p.id, created.id), {
      attribute_matchers: { sub: 'repo:acme/app:environment:prod' },
      permissions: { type: 'restricted', scopes: ['api.all.read'] },
      name: 'prod deploys',
    });
    expect(updated).toMatchObject({
      id: created.id,
      project_id: projectId,
      service_account_id: account.id,
      name: 'prod deploys',
      enabled: true,
      attribute_matchers: { sub: 'repo:acme/app:environment:prod' },
      permissions: { type: 'restricted', scopes: ['api.all.read'] },
    });
    expect(state().auditLogs.at(-1)).toMatchObject({ type: 'workload_identity_provider_mapping.updated', payload: { id: created.id, identity_provider_id: p.id } });
    const renamedBack = await client.post<Rule>(rule(p.id, created.id), { name: null, enabled: false });
    expect(renamedBack).toMatchObject({ name: null, enabled: false, permissions: { type: 'restricted', scopes: ['api.all.read'] } });

    const gone = await client.delete(rule(p.id, created.id));
    expect(gone).toEqual({ object: 'organization.workload_identity_federation_rule.deleted', id: created.id, deleted: true });
    expect(state().auditLogs.at(-1)).toMatchObject({
      type: 'workload_identity_provider_mapping.deleted',
      payload: { id: created.id, identity_provider_id: p.id, project_id: projectId, service_account_id: account.id },
    });
    await expectError(client.get(rule(p.id, created.id)), 404, 'workload_identity_federation_rule_id');
    expect((await client.get<List<Rule>>(rules(p.id))).data.map((r) => r.id)).toEqual([second.id]);
  });

  it('a rule is reached only through its own provider', async () => {
    const [a, b] = [...state().workloadIdentityProviders.keys()];
    const ruleOfA = [...state().federationRules.get(a!)!.keys()][0]!;
    expect((await client.get<Rule>(rule(a!, ruleOfA))).id).toBe(ruleOfA);
    for (const request of [
      () => client.get(rule(b!, ruleOfA)),
      () => client.post(rule(b!, ruleOfA), { enabled: false }),
      () => client.delete(rule(b!, ruleOfA)),
    ]) {
      await expectError(request, 404, 'workload_identity_federation_rule_id', { code: 'not_found', unchanged: snapshot });
    }
  });

  it('answers 404 for an unknown provider, rule, project or service account', async () => {
    const p = [...state().workloadIdentityProviders.keys()][0]!;
    const { projectId, account } = accountInActiveProject();
    const elsewhere = projectsIn(state()).find((x) => x.status === 'active' && x.id !== projectId && state().serviceAccounts.get(x.id)?.size)!;
    const body = { project_id: projectId, service_account_id: account.id, attribute_matchers: { sub: 'x' } };
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.get(rules('wip_missing')), 'workload_identity_provider_id'],
      [() => client.post(rules('wip_missing'), body), 'workload_identity_provider_id'],
      [() => client.get(rule('wip_missing', 'wifr_x')), 'workload_identity_provider_id'],
      [() => client.get(rule(p, 'wifr_missing')), 'workload_identity_federation_rule_id'],
      [() => client.post(rule(p, 'wifr_missing'), { enabled: true }), 'workload_identity_federation_rule_id'],
      [() => client.delete(rule(p, 'wifr_missing')), 'workload_identity_federation_rule_id'],
      [() => client.post(rules(p), { ...body, project_id: 'proj_missing' }), 'project_id'],
      [() => client.post(rules(p), { ...body, service_account_id: 'svc_acct_missing' }), 'service_account_id'],
      // A service account of another project is not one of this project's.
      [() => client.post(rules(p), { ...body, project_id: elsewhere.id }), 'service_account_id'],
    ];
    for (const [request, param] of cases) await expectError(request, 404, param, { unchanged: snapshot });
  });

  it('refuses to bind a service account in an archived project', async () => {
    const p = [...state().workloadIdentityProviders.keys()][0]!;
    const archived = pickArchivedProject(state());
    await expectError(
      client.post(rules(p), { project_id: archived.id, service_account_id: 'svc_acct_any', attribute_matchers: { sub: 'x' } }),
      400,
      'project_id',
      { code: 'project_archived', unchanged: snapshot },
    );
  });

  it('create and update validate every field, changing nothing when refused', async () => {
    const p = [...state().workloadIdentityProviders.keys()][0]!;
    const existing = [...state().federationRules.get(p)!.keys()][0]!;
    const { projectId, account } = accountInActiveProject();
    const body = { project_id: projectId, service_account_id: account.id, attribute_matchers: { sub: 'x' } };
    const createCases: Array<[Record<string, unknown>, string]> = [
      [{ ...body, attribute_matchers: undefined }, 'attribute_matchers'],
      [{ ...body, project_id: undefined }, 'project_id'],
      [{ ...body, service_account_id: undefined }, 'service_account_id'],
      [{ ...body, attribute_matchers: ['sub'] }, 'attribute_matchers'],
      [{ ...body, attribute_matchers: { sub: { eq: 'x' } } }, 'attribute_matchers.sub'],
      [{ ...body, attribute_matchers: { sub: null } }, 'attribute_matchers.sub'],
      [{ ...body, attribute_matchers: { '': 'x' } }, 'attribute_matchers'],
      [{ ...body, permissions: { type: 'admin' } }, 'permissions.type'],
      [{ ...body, permissions: { type: 'restricted' } }, 'permissions.scopes'],
      [{ ...body, permissions: { type: 'restricted', scopes: 'api.all.read' } }, 'permissions.scopes'],
      [{ ...body, permissions: { type: 'service_account_default', scopes: [] } }, 'permissions.scopes'],
      [{ ...body, enabled: 1 }, 'enabled'],
      [{ ...body, name: null }, 'name'],
      [{ ...body, priority: 1 }, 'priority'],
    ];
    for (const [b, param] of createCases) await expectError(client.post(rules(p), b), 400, param, { unchanged: snapshot });
    const updateCases: Array<[Record<string, unknown>, string]> = [
      [{ project_id: projectId }, 'project_id'],
      [{ service_account_id: account.id }, 'service_account_id'],
      [{ attribute_matchers: { sub: [] } }, 'attribute_matchers.sub'],
      [{ enabled: false, permissions: { type: 'restricted', scopes: [1] } }, 'permissions.scopes'],
      [{ enabled: null }, 'enabled'],
    ];
    for (const [b, param] of updateCases) await expectError(client.post(rule(p, existing), b), 400, param, { unchanged: snapshot });
  });

  it('keeps a claim named __proto__ as a plain matcher', async () => {
    const p = await newProvider();
    const { projectId, account } = accountInActiveProject();
    const created = await client.post<Rule>(rules(p.id), { project_id: projectId, service_account_id: account.id, attribute_matchers: JSON.parse('{"__proto__":"x","sub":"y"}') });
    expect(Object.keys(created.attribute_matchers).sort()).toEqual(['__proto__', 'sub']);
  });

  it.each([
    [{ limit: 0 }, 'limit'],
    [{ order: 'up' }, 'order'],
    [{ after: 'wifr_missing' }, 'after'],
  ])('list rejects %j', async (query, param) => {
    const p = [...state().workloadIdentityProviders.keys()][0]!;
    await expectError(client.get(rules(p), query), 400, param);
  });

  it('every refusal is the OpenAI error envelope', async () => {
    const error = await failure(client.post(PROVIDERS, { name: 'x' }));
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe('type');
    expect(error.message).toMatch(/type/);
  });
});
