import { SandboxError } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import type { Body } from '../params.js';
import type { Route } from '../router.js';
import type { SandboxState, SpendLimitRecord } from '../state.js';

/*
 * Organization and project policies: hard spend limits and data-retention controls.
 * A spend limit is enforcing once month-to-date spend (from the seeded cost records) reaches it.
 */

export const ORG_RETENTION_TYPES = [
  'zero_data_retention',
  'modified_abuse_monitoring',
  'enhanced_zero_data_retention',
  'enhanced_modified_abuse_monitoring',
] as const;
export const PROJECT_RETENTION_TYPES = ['organization_default', 'none', ...ORG_RETENTION_TYPES] as const;

const CURRENCIES = ['USD'] as const;
const INTERVALS = ['month'] as const;

/** Spend since 00:00 UTC on the first of the current month, in cents; optionally for one project. */
export function monthToDateCents(state: SandboxState, projectId?: string): number {
  const now = new Date(state.now() * 1000);
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) / 1000;
  let dollars = 0;
  // Activity is oldest first: walk back from the newest day until the month began.
  for (let i = state.activity.length - 1; i >= 0; i--) {
    const record = state.activity[i] as (typeof state.activity)[number];
    if (record.day < monthStart) break;
    if (projectId !== undefined && record.project_id !== projectId) continue;
    for (const cost of record.costs) dollars += cost.amount;
  }
  return Math.round(dollars * 100);
}

function spendLimitObject<O extends string>(state: SandboxState, object: O, record: SpendLimitRecord, projectId?: string) {
  record.enforcement = monthToDateCents(state, projectId) >= record.threshold_amount ? 'enforcing' : 'inactive';
  return {
    object,
    threshold_amount: record.threshold_amount,
    currency: record.currency,
    interval: record.interval,
    enforcement: { status: record.enforcement },
  };
}

function readSpendLimit(body: Body): SpendLimitRecord {
  body.only(['threshold_amount', 'currency', 'interval']);
  return {
    threshold_amount: body.int('threshold_amount', { required: true, min: 1 }) as number,
    currency: body.enum('currency', CURRENCIES, { required: true }) as string,
    interval: body.enum('interval', INTERVALS, { required: true }) as string,
    enforcement: 'inactive',
  };
}

function noSpendLimit(where: string): SandboxError {
  return new SandboxError(404, 'invalid_request_error', `No hard spend limit is configured for ${where}.`, null, 'not_found');
}

const PROJECT_LIMIT = '/organization/projects/{project_id}/spend_limit';
const PROJECT_RETENTION = '/organization/projects/{project_id}/data_retention';

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/organization/spend_limit',
    handle: ({ state }) => {
      if (!state.orgSpendLimit) throw noSpendLimit('the organization');
      return spendLimitObject(state, 'organization.spend_limit', state.orgSpendLimit);
    },
  },
  {
    method: 'POST',
    path: '/organization/spend_limit',
    handle: ({ state, body }) => {
      state.orgSpendLimit = readSpendLimit(body);
      return spendLimitObject(state, 'organization.spend_limit', state.orgSpendLimit);
    },
  },
  {
    method: 'DELETE',
    path: '/organization/spend_limit',
    handle: ({ state }) => {
      if (!state.orgSpendLimit) throw noSpendLimit('the organization');
      state.orgSpendLimit = null;
      return { object: 'organization.spend_limit.deleted', deleted: true };
    },
  },
  {
    method: 'GET',
    path: PROJECT_LIMIT,
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      const record = state.projectSpendLimits.get(project.id);
      if (!record) throw noSpendLimit(`project '${project.id}'`);
      return spendLimitObject(state, 'project.spend_limit', record, project.id);
    },
  },
  {
    method: 'POST',
    path: PROJECT_LIMIT,
    handle: ({ state, params, body }) => {
      const project = requireActiveProject(state, params.project_id as string);
      const record = readSpendLimit(body);
      state.projectSpendLimits.set(project.id, record);
      return spendLimitObject(state, 'project.spend_limit', record, project.id);
    },
  },
  {
    method: 'DELETE',
    path: PROJECT_LIMIT,
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      if (!state.projectSpendLimits.has(project.id)) throw noSpendLimit(`project '${project.id}'`);
      state.projectSpendLimits.delete(project.id);
      return { object: 'project.spend_limit.deleted', deleted: true };
    },
  },
  {
    method: 'GET',
    path: '/organization/data_retention',
    handle: ({ state }) => ({ object: 'organization.data_retention', type: state.orgDataRetention }),
  },
  {
    method: 'POST',
    path: '/organization/data_retention',
    handle: ({ state, body }) => {
      body.only(['retention_type']);
      state.orgDataRetention = body.enum('retention_type', ORG_RETENTION_TYPES, { required: true }) as string;
      return { object: 'organization.data_retention', type: state.orgDataRetention };
    },
  },
  {
    method: 'GET',
    path: PROJECT_RETENTION,
    handle: ({ state, params }) => {
      const project = requireProject(state, params.project_id as string);
      return { object: 'project.data_retention', type: state.projectDataRetention.get(project.id) ?? 'organization_default' };
    },
  },
  {
    method: 'POST',
    path: PROJECT_RETENTION,
    handle: ({ state, params, body }) => {
      const project = requireActiveProject(state, params.project_id as string);
      body.only(['retention_type']);
      const type = body.enum('retention_type', PROJECT_RETENTION_TYPES, { required: true }) as string;
      // Absent means the project follows the organization.
      if (type === 'organization_default') state.projectDataRetention.delete(project.id);
      else state.projectDataRetention.set(project.id, type);
      return { object: 'project.data_retention', type };
    },
  },
];
