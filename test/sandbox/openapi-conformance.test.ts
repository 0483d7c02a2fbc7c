import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_LOG_EVENT_TYPES } from '../../tools/audit-logs.js';
import type { AdminClient, Query } from '../../src/client/index.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { SandboxState } from '../../src/sandbox/state.js';
import { sandboxWithClient } from '../helpers.js';
import { referenceCatalog as catalog, referenceResponses, type OperationFact as CatalogOp } from '../reference/facts.js';
import { pem } from '../certificates.js';

/*
 * Every answer of the sandbox, checked against the response schema the OpenAPI document gives for
 * that operation's 200 (its structure, as committed in test/reference/ by `npm run reference`).
 * Reads are driven by the catalog (all GET operations, with real IDs from the seeded state, every
 * page of every list); writes each work on objects they create themselves.
 */

const DAY = 86_400;

// ---------------------------------------------------------------------------------------------
// Schemas

const BASE = 'https://openapi.sandbox.test/admin.json';
const Ajv2020 = Ajv2020Module.default;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
const KNOWN_FORMATS = new Set<string>();
(function registerFormats(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(registerFormats);
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    // `unixtime`, `int64` and any other format the document uses are documentation only.
    if (key === 'format' && typeof value === 'string' && !KNOWN_FORMATS.has(value)) {
      KNOWN_FORMATS.add(value);
      ajv.addFormat(value, true);
    } else registerFormats(value);
  }
})(referenceResponses);
ajv.addSchema({ $id: BASE, components: { schemas: withSdkEventTypes(referenceResponses.components.schemas) } });

/**
 * The document predates event types the pinned SDK lists (external storage, trusted access); the
 * audit_logs_list tool takes its list from the SDK (checked by test/reference/sdk-fields.test.ts),
 * so the sandbox may emit those too. Every other enum stays the document's.
 */
function withSdkEventTypes(schemas: Record<string, unknown>): Record<string, unknown> {
  const eventType = schemas.AuditLogEventType as { enum?: string[] } | undefined;
  const sdkTypes = [...AUDIT_LOG_EVENT_TYPES];
  if (!eventType?.enum || sdkTypes.length === 0) return schemas;
  return { ...schemas, AuditLogEventType: { ...eventType, enum: [...new Set([...eventType.enum, ...sdkTypes])] } };
}


/** Local `#/components/...` references, pointed at the registered document. */
function absolutize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(absolutize);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${BASE}${v}` : absolutize(v)]),
  );
}

const validators = new Map<string, ValidateFunction>();
function validatorFor(op: CatalogOp): ValidateFunction {
  const key = `${op.method} ${op.path}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = referenceResponses.responses[key];
    if (!schema) throw new Error(`${op.tool}: test/reference/responses.json has no 200 schema for ${key}`);
    validate = ajv.compile(absolutize(schema) as object);
    validators.set(key, validate);
  }
  return validate;
}

const opsByName = new Map(catalog.map((op) => [op.tool, op]));
function op(name: string): CatalogOp {
  const found = opsByName.get(name);
  if (!found) throw new Error(`No catalog operation '${name}'`);
  return found;
}

function valueAt(data: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), data);
}

function describeErrors(name: string, label: string, errors: ErrorObject[], data: unknown): string {
  const lines = errors.slice(0, 20).map((e) => {
    const value = JSON.stringify(valueAt(data, e.instancePath)) ?? 'undefined';
    return `  ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)} (${e.schemaPath}) value=${value.slice(0, 200)}`;
  });
  if (errors.length > 20) lines.push(`  … and ${errors.length - 20} more`);
  return `${name}${label ? ` [${label}]` : ''} does not match its documented 200 schema:\n${lines.join('\n')}`;
}

/** Validates one answer; returns a readable failure, or null. */
function check(name: string, data: unknown, label = ''): string | null {
  const validate = validatorFor(op(name));
  if (validate(data)) return null;
  return describeErrors(name, label, validate.errors ?? [], data);
}

function expectConforms(name: string, data: unknown, label = ''): void {
  const failure = check(name, data, label);
  expect(failure, failure ?? '').toBeNull();
  covered.add(name);
}

const covered = new Set<string>();

function concretePath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`No value for path parameter '${name}' of ${template}`);
    return encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------------------------------------
// Picking real IDs from the seeded state

interface Case {
  params?: Record<string, string>;
  query?: Query;
  label?: string;
}

function must<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`The seeded state has no ${what}`);
  return value;
}

const activeProjects = (s: SandboxState) => [...s.projects.values()].filter((p) => p.status === 'active');

/** The active project with the most entries in a project-scoped collection. */
function busiest(s: SandboxState, collection: Map<string, { size: number }>): string {
  const best = activeProjects(s)
    .map((p) => ({ id: p.id, size: collection.get(p.id)?.size ?? 0 }))
    .sort((a, b) => b.size - a.size)[0];
  return must(best && best.size > 0 ? best.id : undefined, 'project with entries in that collection');
}

function firstKey<K>(map: Map<K, unknown> | undefined, what: string): K {
  return must(map?.keys().next().value as K | undefined, what);
}

function assignment(s: SandboxState, test: (a: SandboxState['roleAssignments'][number]) => boolean, what: string) {
  return must(
    s.roleAssignments.find((a) => test(a) && s.roles.has(a.role_id)),
    what,
  );
}

const usageCases = (name: string) => (s: SandboxState): Case[] => {
  const groupBy = opsByName.get(name)?.query_params.find((q) => q.name === 'group_by')?.items_enum ?? [];
  const start = s.anchor - 10 * DAY;
  return [
    { query: { start_time: start }, label: 'daily' },
    { query: { start_time: start, group_by: groupBy }, label: `group_by ${groupBy.join(',')}` },
    ...groupBy.map((g) => ({ query: { start_time: start, group_by: [g] }, label: `group_by ${g}` })),
    { query: { start_time: s.anchor - 2 * DAY, end_time: s.anchor - DAY, bucket_width: '1h', group_by: groupBy }, label: 'hourly, grouped' },
    { query: { start_time: s.anchor - DAY - 3600, end_time: s.anchor - DAY, bucket_width: '1m', group_by: groupBy }, label: 'per minute, grouped' },
  ];
};

/** How to call each GET operation with real IDs. Keyed by catalog name; every GET must be here. */
const GET_CASES: Record<string, (s: SandboxState) => Case[]> = {
  admin_api_keys_list: () => [{}, { query: { order: 'desc', limit: 2 } }],
  admin_api_keys_retrieve: (s) => [...s.adminApiKeys.keys()].map((key_id) => ({ params: { key_id } })),
  audit_logs_list: () => [{ query: { limit: 100 } }],
  certificates_list: () => [{}],
  certificates_retrieve: (s) => [
    { params: { certificate_id: firstKey(s.certificates, 'certificate') } },
    { params: { certificate_id: firstKey(s.certificates, 'certificate') }, query: { include: ['content'] }, label: 'include content' },
  ],
  usage_costs: (s) => [
    { query: { start_time: s.anchor - 10 * DAY } },
    { query: { start_time: s.anchor - 10 * DAY, group_by: ['project_id', 'line_item', 'api_key_id'] }, label: 'grouped' },
    { query: { start_time: s.anchor - 10 * DAY, group_by: ['line_item'] }, label: 'group_by line_item' },
  ],
  data_retention_retrieve: () => [{}],
  groups_list: () => [{}],
  groups_retrieve: (s) => [...s.groups.keys()].map((group_id) => ({ params: { group_id } })),
  groups_roles_list: (s) => [...s.groups.keys()].map((group_id) => ({ params: { group_id } })),
  groups_roles_retrieve: (s) => {
    const a = assignment(s, (x) => x.principal_type === 'group' && x.scope === 'organization', 'organization role held by a group');
    return [{ params: { group_id: a.principal_id, role_id: a.role_id } }];
  },
  groups_users_list: (s) => [...s.groups.keys()].map((group_id) => ({ params: { group_id } })),
  groups_users_retrieve: (s) => {
    const [groupId, members] = must([...s.groupUsers].find(([, m]) => m.size > 0), 'group with members');
    return [{ params: { group_id: groupId, user_id: firstKey(members, 'group member') } }];
  },
  invites_list: () => [{}],
  invites_retrieve: (s) => [...s.invites.keys()].map((invite_id) => ({ params: { invite_id } })),
  projects_list: () => [{}, { query: { include_archived: true }, label: 'include_archived' }],
  projects_retrieve: (s) => [...s.projects.keys()].map((project_id) => ({ params: { project_id } })),
  projects_api_keys_list: (s) =>
    activeProjects(s).flatMap((p) => [
      { params: { project_id: p.id } },
      { params: { project_id: p.id }, query: { owner_project_access: 'any' }, label: 'any owner access' },
    ]),
  projects_api_keys_retrieve: (s) => {
    const projectId = busiest(s, s.projectApiKeys);
    return [...(s.projectApiKeys.get(projectId)?.keys() ?? [])].map((api_key_id) => ({ params: { project_id: projectId, api_key_id } }));
  },
  projects_certificates_list: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_data_retention_retrieve: (s) => [...s.projects.keys()].map((project_id) => ({ params: { project_id } })),
  projects_groups_list: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_groups_retrieve: (s) => {
    const projectId = busiest(s, s.projectGroups);
    return [{ params: { project_id: projectId, group_id: firstKey(s.projectGroups.get(projectId), 'project group') } }];
  },
  projects_hosted_tool_permissions_retrieve: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_model_permissions_retrieve: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_rate_limits_list: (s) => [{ params: { project_id: busiest(s, s.rateLimits) } }],
  projects_service_accounts_list: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_service_accounts_retrieve: (s) => {
    const projectId = busiest(s, s.serviceAccounts);
    return [{ params: { project_id: projectId, service_account_id: firstKey(s.serviceAccounts.get(projectId), 'service account') } }];
  },
  projects_spend_alerts_list: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_spend_alerts_retrieve: (s) => {
    const projectId = busiest(s, s.projectSpendAlerts);
    return [{ params: { project_id: projectId, alert_id: firstKey(s.projectSpendAlerts.get(projectId), 'project spend alert') } }];
  },
  projects_users_list: (s) => activeProjects(s).map((p) => ({ params: { project_id: p.id } })),
  projects_users_retrieve: (s) => {
    const projectId = busiest(s, s.projectUsers);
    return [...(s.projectUsers.get(projectId)?.keys() ?? [])].slice(0, 5).map((user_id) => ({ params: { project_id: projectId, user_id } }));
  },
  roles_list: () => [{}],
  roles_retrieve: (s) => [...s.roles.values()].filter((r) => r.resource_type === 'api.organization').map((r) => ({ params: { role_id: r.id } })),
  spend_alerts_list: () => [{}],
  spend_alerts_retrieve: (s) => [{ params: { alert_id: firstKey(s.orgSpendAlerts, 'organization spend alert') } }],
  usage_audio_speeches: usageCases('usage_audio_speeches'),
  usage_audio_transcriptions: usageCases('usage_audio_transcriptions'),
  usage_code_interpreter_sessions: usageCases('usage_code_interpreter_sessions'),
  usage_completions: usageCases('usage_completions'),
  usage_embeddings: usageCases('usage_embeddings'),
  usage_file_search_calls: usageCases('usage_file_search_calls'),
  usage_images: usageCases('usage_images'),
  usage_moderations: usageCases('usage_moderations'),
  usage_vector_stores: usageCases('usage_vector_stores'),
  usage_web_search_calls: usageCases('usage_web_search_calls'),
  users_list: () => [{}],
  users_retrieve: (s) => [...s.users.keys()].slice(0, 5).map((user_id) => ({ params: { user_id } })),
  users_roles_list: (s) => [...s.users.keys()].map((user_id) => ({ params: { user_id } })),
  users_roles_retrieve: (s) => {
    const direct = assignment(s, (x) => x.principal_type === 'user' && x.scope === 'organization', 'organization role held by a user');
    return [{ params: { user_id: direct.principal_id, role_id: direct.role_id } }];
  },
  projects_groups_roles_list: (s) =>
    [...s.projectGroups].flatMap(([projectId, groups]) => [...groups.keys()].map((group_id) => ({ params: { project_id: projectId, group_id } }))),
  projects_groups_roles_retrieve: (s) => {
    const a = assignment(s, (x) => x.principal_type === 'group' && x.scope !== 'organization', 'project role held by a group');
    return [{ params: { project_id: a.scope, group_id: a.principal_id, role_id: a.role_id } }];
  },
  projects_roles_list: (s) => [...s.projects.keys()].map((project_id) => ({ params: { project_id } })),
  projects_roles_retrieve: (s) =>
    [...s.roles.values()]
      .filter((r) => r.resource_type === 'api.project')
      .map((r) => ({ params: { project_id: r.project_id ?? firstKey(s.projects, 'project'), role_id: r.id } })),
  projects_users_roles_list: (s) => {
    const projectId = busiest(s, s.projectUsers);
    return [...(s.projectUsers.get(projectId)?.keys() ?? [])].map((user_id) => ({ params: { project_id: projectId, user_id } }));
  },
  projects_users_roles_retrieve: (s) => {
    const a = assignment(s, (x) => x.principal_type === 'user' && x.scope !== 'organization', 'project role held by a user');
    return [{ params: { project_id: a.scope, user_id: a.principal_id, role_id: a.role_id } }];
  },
  spend_limit_retrieve: () => [{}],
  // Projects without a hard limit answer 404; every project that has one is checked.
  projects_spend_limit_retrieve: (s) => {
    const ids = [...s.projectSpendLimits.keys()];
    must(ids[0], 'project with a spend limit');
    return ids.map((project_id) => ({ params: { project_id } }));
  },
};

/** The query that asks for the page after `page`, or null on the last page. */
function nextPageQuery(style: string, page: Record<string, unknown>, query: Query): Query | null {
  if (style === 'cursor_id') return page.has_more === true && typeof page.last_id === 'string' ? { ...query, after: page.last_id } : null;
  if (style === 'cursor_next') return page.has_more === true && typeof page.next === 'string' ? { ...query, after: page.next } : null;
  if (style === 'page_token') return page.has_more === true && typeof page.next_page === 'string' ? { ...query, page: page.next_page } : null;
  return null;
}

const MAX_PAGES = 40;

// ---------------------------------------------------------------------------------------------

let sandbox: Sandbox;
let client: AdminClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ sandbox, client, close } = await sandboxWithClient({ seed: 1 }));
});
afterAll(async () => {
  await close();
});

const getOps = catalog.filter((o) => o.method === 'GET');

describe('OpenAPI conformance: every GET operation', () => {
  it('covers all 58 GET operations of the catalog', () => {
    expect(getOps).toHaveLength(58);
    expect(getOps.map((o) => o.tool).filter((name) => !(name in GET_CASES))).toEqual([]);
  });

  it.each(getOps.map((o) => [o.tool, o] as const))('%s answers with its documented 200 shape', async (name, getOp) => {
    const cases = (GET_CASES[name] as (s: SandboxState) => Case[])(sandbox.state);
    expect(cases.length).toBeGreaterThan(0);
    const failures: string[] = [];
    let pages = 0;
    let items = 0;
    for (const c of cases) {
      const path = concretePath(getOp.path, c.params ?? {});
      let query: Query | null = c.query ?? {};
      // Walk every page, so every seeded object is validated, not only the first page's.
      for (let n = 0; query && n < MAX_PAGES; n++) {
        const body = await client.get<Record<string, unknown>>(path, query);
        pages += 1;
        const failure = check(name, body, [c.label, path, n > 0 ? `page ${n + 1}` : ''].filter(Boolean).join(' '));
        if (failure) failures.push(failure);
        if (Array.isArray(body.data)) items += body.data.length;
        query = nextPageQuery(getOp.pagination, body, query);
      }
    }
    const report = [...failures.slice(0, 3), ...(failures.length > 3 ? [`… ${failures.length - 3} more failing answers of ${name}`] : [])].join('\n\n');
    expect(report, report).toBe('');
    expect(pages).toBeGreaterThan(0);
    // A list that is empty everywhere would prove nothing about its items.
    if (getOp.pagination !== 'none') expect(items, `${name}: no items to validate`).toBeGreaterThan(0);
    covered.add(name);
  });
});

// ---------------------------------------------------------------------------------------------
// Writes: each test makes the objects it changes, in a sandbox of its own.

describe('OpenAPI conformance: writes and deletes', () => {
  let w: Sandbox;
  let wc: AdminClient;
  let wclose: () => Promise<void>;
  beforeAll(async () => {
    ({ sandbox: w, client: wc, close: wclose } = await sandboxWithClient({ seed: 2 }));
  });
  afterAll(async () => {
    await wclose();
  });

  /** Calls a catalog operation by name, checks the answer against its schema and returns it. */
  async function call<T = Record<string, any>>(name: string, params: Record<string, string> = {}, body?: unknown, query?: Query): Promise<T> {
    const target = op(name);
    const data = await wc.request<T>({ method: target.method, path: concretePath(target.path, params), body, query });
    expectConforms(name, data);
    return data;
  }

  let counter = 0;
  const unique = (prefix: string) => `${prefix} ${++counter}`;
  const newProject = async () => (await call('projects_create', {}, { name: unique('Conformance') })).id as string;
  const aReader = () => must([...w.state.users.values()].find((u) => u.role === 'reader'), 'reader');
  const alert = (threshold: number) => ({
    threshold_amount: threshold,
    currency: 'USD',
    interval: 'month',
    notification_channel: { type: 'email', recipients: ['finance@northwind-labs.test'], subject_prefix: 'Spend' },
  });

  it('projects: create, update, archive', async () => {
    await call('projects_create', {}, { name: unique('EU project'), residency: 'EU_STORAGE_PROCESSING', external_key_id: null });
    const id = await newProject();
    await call('projects_update', { project_id: id }, { name: unique('Renamed'), external_key_id: 'ekm_conformance' });
    const archived = await call('projects_archive', { project_id: id });
    expect(archived.status).toBe('archived');
  });

  it('project users: add, change role, remove', async () => {
    const project_id = await newProject();
    const user = aReader();
    await call('projects_users_create', { project_id }, { user_id: user.id, role: 'member' });
    await call('projects_users_update', { project_id, user_id: user.id }, { role: 'owner' });
    await call('projects_users_delete', { project_id, user_id: user.id });
  });

  it('organization users: update, assign and remove a role, delete', async () => {
    const user = aReader();
    await call('users_update', { user_id: user.id }, { technical_level: 'advanced', developer_persona: 'backend' });
    const role = await call('roles_create', {}, { role_name: unique('Conformance org role'), permissions: ['api.organization.read'] });
    await call('users_roles_create', { user_id: user.id }, { role_id: role.id });
    await call('users_roles_delete', { user_id: user.id, role_id: role.id });
    await call('users_delete', { user_id: user.id });
  });

  it('invites: create, delete', async () => {
    const project_id = await newProject();
    const invite = await call('invites_create', {}, { email: `conformance.${++counter}@example.test`, role: 'reader', projects: [{ id: project_id, role: 'member' }] });
    await call('invites_delete', { invite_id: invite.id });
  });

  it('groups: create, update, members, roles, delete', async () => {
    const group = await call('groups_create', {}, { name: unique('Conformance group') });
    await call('groups_update', { group_id: group.id }, { name: unique('Renamed group') });
    const user = [...w.state.users.values()][5] ?? aReader();
    await call('groups_users_create', { group_id: group.id }, { user_id: user.id });
    await call('groups_users_delete', { group_id: group.id, user_id: user.id });
    const role = await call('roles_create', {}, { role_name: unique('Conformance group role'), permissions: ['api.organization.groups.read'] });
    await call('groups_roles_create', { group_id: group.id }, { role_id: role.id });
    await call('groups_roles_delete', { group_id: group.id, role_id: role.id });
    await call('groups_delete', { group_id: group.id });
  });

  it('organization roles: create, update, delete', async () => {
    const role = await call('roles_create', {}, { role_name: unique('Auditor'), permissions: ['api.organization.read'], description: 'Reads' });
    await call('roles_update', { role_id: role.id }, { permissions: ['api.organization.read', 'api.organization.users.read'], description: null });
    await call('roles_delete', { role_id: role.id });
  });

  it('project roles and project role assignments: create, update, assign, unassign, delete', async () => {
    const project_id = await newProject();
    const role = await call('projects_roles_create', { project_id }, { role_name: unique('Releaser'), permissions: ['api.project.read'] });
    await call('projects_roles_update', { project_id, role_id: role.id }, { role_name: unique('Release manager') });
    const user = aReader();
    await call('projects_users_create', { project_id }, { user_id: user.id, role: 'member' });
    await call('projects_users_roles_create', { project_id, user_id: user.id }, { role_id: role.id });
    await call('projects_users_roles_delete', { project_id, user_id: user.id, role_id: role.id });

    const group = await call('groups_create', {}, { name: unique('Project group') });
    await call('projects_groups_create', { project_id }, { group_id: group.id, role: role.id });
    const viewer = must([...w.state.roles.values()].find((r) => r.resource_type === 'api.project' && r.predefined_role && r.name === 'viewer'), 'viewer role');
    await call('projects_groups_roles_create', { project_id, group_id: group.id }, { role_id: viewer.id });
    await call('projects_groups_roles_delete', { project_id, group_id: group.id, role_id: viewer.id });
    await call('projects_groups_delete', { project_id, group_id: group.id });
    await call('projects_roles_delete', { project_id, role_id: role.id });
  });

  it('keys: admin keys, service accounts and their keys, project keys', async () => {
    const admin = await call('admin_api_keys_create', {}, { name: unique('Conformance admin key'), expires_in_seconds: 3600 });
    await call('admin_api_keys_delete', { key_id: admin.id });

    const project_id = await newProject();
    await call('projects_service_accounts_create', { project_id }, { name: 'conformance-only', create_service_account_only: true });
    const account = await call('projects_service_accounts_create', { project_id }, { name: 'conformance-bot' });
    await call('projects_service_accounts_update', { project_id, service_account_id: account.id }, { name: 'conformance-bot-2', role: 'owner' });
    await call('projects_service_accounts_api_keys_create', { project_id, service_account_id: account.id }, { name: 'rotation', scopes: [] });
    await call('projects_service_accounts_delete', { project_id, service_account_id: account.id });

    // Project keys cannot be created through the API: revoke a seeded key owned by a user.
    const [keyProject, key] = must(
      [...w.state.projectApiKeys].flatMap(([pid, keys]) =>
        w.state.projects.get(pid)?.status === 'active' ? [...keys.values()].filter((k) => k.owner.type === 'user').map((k) => [pid, k] as const) : [],
      )[0],
      'user-owned project key',
    );
    await call('projects_api_keys_delete', { project_id: keyProject, api_key_id: key.id });
  });

  it('certificates: upload, rename, activate and deactivate (organization and project), delete', async () => {
    const cert = await call('certificates_create', {}, { name: unique('Conformance cert'), certificate: pem(String(counter)) });
    await call('certificates_update', { certificate_id: cert.id }, { name: unique('Renamed cert') });
    await call('certificates_activate', {}, { certificate_ids: [cert.id] });
    await call('certificates_deactivate', {}, { certificate_ids: [cert.id] });
    const project_id = await newProject();
    await call('projects_certificates_activate', { project_id }, { certificate_ids: [cert.id] });
    await call('projects_certificates_deactivate', { project_id }, { certificate_ids: [cert.id] });
    await call('certificates_delete', { certificate_id: cert.id });
  });

  it('limits: rate limits, model and hosted tool permissions, spend alerts', async () => {
    const [rlProject, limits] = must([...w.state.rateLimits].find(([pid, l]) => l.size > 0 && w.state.projects.get(pid)?.status === 'active'), 'rate limits');
    const limit = must([...limits.values()][0], 'rate limit');
    await call('projects_rate_limits_update', { project_id: rlProject, rate_limit_id: limit.id }, { max_requests_per_1_minute: 50 });

    const project_id = await newProject();
    await call('projects_model_permissions_update', { project_id }, { mode: 'allow_list', model_ids: ['gpt-4.1-mini'] });
    await call('projects_model_permissions_delete', { project_id });
    await call('projects_hosted_tool_permissions_update', { project_id }, { web_search: { enabled: false }, mcp: null });

    const orgAlert = await call('spend_alerts_create', {}, alert(50_000));
    await call('spend_alerts_update', { alert_id: orgAlert.id }, alert(60_000));
    await call('spend_alerts_delete', { alert_id: orgAlert.id });
    const projectAlert = await call('projects_spend_alerts_create', { project_id }, alert(5_000));
    await call('projects_spend_alerts_update', { project_id, alert_id: projectAlert.id }, alert(6_000));
    await call('projects_spend_alerts_delete', { project_id, alert_id: projectAlert.id });
  });

  it('policies: spend limits and data retention', async () => {
    await call('spend_limit_update', {}, { threshold_amount: 2_000_000, currency: 'USD', interval: 'month' });
    await call('spend_limit_delete');
    const project_id = await newProject();
    await call('projects_spend_limit_update', { project_id }, { threshold_amount: 100_000, currency: 'USD', interval: 'month' });
    await call('projects_spend_limit_delete', { project_id });
    await call('data_retention_update', {}, { retention_type: 'zero_data_retention' });
    await call('projects_data_retention_update', { project_id }, { retention_type: 'organization_default' });
  });
});

describe('OpenAPI conformance: coverage', () => {
  it('validated an answer of every catalog operation', () => {
    expect(catalog.map((o) => o.tool).filter((name) => !covered.has(name))).toEqual([]);
  });
});
