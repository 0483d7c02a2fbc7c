import { invalid, notFound } from '../errors.js';
import { requireActiveProject, requireProject } from '../lookup.js';
import type { LimitRule } from '../paginate.js';
import type { Body, QueryParams } from '../params.js';
import type { Route } from '../router.js';
import type { ModelPermissionsRecord, RateLimitRecord, SandboxState, SpendAlertRecord } from '../state.js';

/*
 * Project rate limits, model and hosted-tool permissions, and spend alerts (organization and
 * project). Archived projects can be read but refuse every change.
 */

export const RATE_LIMIT_FIELDS = [
  'max_requests_per_1_minute',
  'max_tokens_per_1_minute',
  'max_images_per_1_minute',
  'max_audio_megabytes_per_1_minute',
  'max_requests_per_1_day',
  'batch_1_day_max_input_tokens',
] as const;
type RateLimitField = (typeof RATE_LIMIT_FIELDS)[number];

export const HOSTED_TOOLS = ['file_search', 'web_search', 'image_generation', 'mcp', 'code_interpreter'] as const;
const MODEL_PERMISSION_MODES = ['allow_list', 'deny_list'] as const;
const ALERT_FIELDS = ['threshold_amount', 'currency', 'interval', 'notification_channel'] as const;
const CHANNEL_FIELDS = ['type', 'recipients', 'subject_prefix'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const RATE_LIMIT_PAGE: LimitRule = { default: 100, min: 1 };
const ALERT_PAGE: LimitRule = { default: 20, min: 0, max: 100 };

/**
 * The `after`/`before` + `first_id`/`last_id` list. `before` returns the page that ends just before
 * that ID, so walking back with `first_id` mirrors walking forward with `last_id`.
 */
function cursorPage<T extends { id: string }>(items: readonly T[], q: QueryParams, rule: LimitRule, withOrder: boolean) {
  const limit = q.int('limit', { min: rule.min, max: rule.max, default: rule.default }) as number;
  const order = withOrder ? q.enum('order', ['asc', 'desc'] as const, 'asc') : 'asc';
  const ordered = order === 'desc' ? [...items].reverse() : [...items];
  const position = (name: 'after' | 'before'): number | undefined => {
    const cursor = q.string(name);
    if (cursor === undefined) return undefined;
    const index = ordered.findIndex((item) => item.id === cursor);
    if (index < 0) throw invalid(name, `Invalid '${name}': no object with id '${cursor}' in this list.`);
    return index;
  };
  const afterIndex = position('after');
  const beforeIndex = position('before');
  const start = afterIndex === undefined ? 0 : afterIndex + 1;
  const end = beforeIndex === undefined ? ordered.length : beforeIndex;
  const window = end > start ? ordered.slice(start, end) : [];
  const backwards = beforeIndex !== undefined && afterIndex === undefined;
  const page = backwards ? window.slice(Math.max(0, window.length - limit)) : window.slice(0, limit);
  return {
    object: 'list' as const,
    data: page,
    first_id: page.length > 0 ? (page[0] as T).id : null,
    last_id: page.length > 0 ? (page[page.length - 1] as T).id : null,
    has_more: window.length > page.length,
  };
}

function projectRef(state: SandboxState, projectId: string) {
  const project = requireActiveProject(state, projectId);
  return { id: project.id, name: project.name };
}

// Rate limits

function rateLimitObject(record: RateLimitRecord) {
  return { ...record };
}

function requireRateLimit(state: SandboxState, projectId: string, rateLimitId: string): RateLimitRecord {
  const record = state.rateLimits.get(projectId)?.get(rateLimitId);
  if (!record) throw notFound('rate limit', rateLimitId, 'rate_limit_id');
  return record;
}

// Model permissions

function modelPermissionsObject(record: ModelPermissionsRecord | undefined) {
  // No policy means every model is allowed: an empty deny list.
  return {
    object: 'project.model_permissions' as const,
    mode: record?.mode ?? 'deny_list',
    model_ids: record ? [...record.model_ids] : [],
  };
}

// Hosted tool permissions

function hostedToolsObject(state: SandboxState, projectId: string) {
  const stored = state.hostedToolPermissions.get(projectId) ?? {};
  const out: Record<string, { enabled: boolean }> = {};
  for (const tool of HOSTED_TOOLS) {
    const entry = stored[tool] as { enabled?: unknown } | undefined;
    out[tool] = { enabled: entry?.enabled !== false };
  }
  return out;
}

// Spend alerts

type AlertInput = Omit<SpendAlertRecord, 'id' | 'created_at'>;

/** Create and update share one body: all four fields are required, so an update replaces the alert. */
function parseAlert(body: Body): AlertInput {
  body.only(ALERT_FIELDS);
  const threshold_amount = body.int('threshold_amount', { required: true, min: 0 }) as number;
  const currency = body.enum('currency', ['USD'] as const, { required: true }) as 'USD';
  const interval = body.enum('interval', ['month'] as const, { required: true }) as 'month';
  const channel = body.object('notification_channel', { required: true }) as Body;
  channel.only(CHANNEL_FIELDS);
  const type = channel.enum('type', ['email'] as const, { required: true }) as 'email';
  const recipients = channel.stringArray('recipients', { required: true, minItems: 1 }) as string[];
  for (const recipient of recipients) {
    if (!EMAIL.test(recipient)) {
      throw invalid('notification_channel.recipients', `Invalid 'notification_channel.recipients': '${recipient}' is not an email address.`);
    }
  }
  const subject_prefix = channel.string('subject_prefix', { nullable: true }) ?? null;
  return { threshold_amount, currency, interval, notification_channel: { type, recipients: [...recipients], subject_prefix } };
}

function alertObject(record: SpendAlertRecord, object: 'organization.spend_alert' | 'project.spend_alert') {
  return {
    id: record.id,
    object,
    threshold_amount: record.threshold_amount,
    currency: record.currency,
    interval: record.interval,
    notification_channel: structuredClone(record.notification_channel),
  };
}

function requireOrgAlert(state: SandboxState, alertId: string): SpendAlertRecord {
  const alert = state.orgSpendAlerts.get(alertId);
  if (!alert) throw notFound('spend alert', alertId, 'alert_id');
  return alert;
}

function requireProjectAlert(state: SandboxState, projectId: string, alertId: string): SpendAlertRecord {
  const alert = state.projectSpendAlerts.get(projectId)?.get(alertId);
  if (!alert) throw notFound('spend alert', alertId, 'alert_id');
  return alert;
}

const RATE_LIMITS = '/organization/projects/{project_id}/rate_limits';
const MODEL_PERMISSIONS = '/organization/projects/{project_id}/model_permissions';
const HOSTED_TOOL_PERMISSIONS = '/organization/projects/{project_id}/hosted_tool_permissions';
const ORG_ALERTS = '/organization/spend_alerts';
const PROJECT_ALERTS = '/organization/projects/{project_id}/spend_alerts';

export const routes: Route[] = [
  {
    method: 'GET',
    path: RATE_LIMITS,
    handle({ params, query, state }) {
      const project = requireProject(state, params.project_id as string);
      const limits = [...(state.rateLimits.get(project.id)?.values() ?? [])];
      const page = cursorPage(limits, query, RATE_LIMIT_PAGE, false);
      return { ...page, data: page.data.map(rateLimitObject) };
    },
  },
  {
    method: 'POST',
    path: `${RATE_LIMITS}/{rate_limit_id}`,
    handle({ params, body, state }) {
      const project = projectRef(state, params.project_id as string);
      const record = requireRateLimit(state, project.id, params.rate_limit_id as string);
      body.only(RATE_LIMIT_FIELDS);
      const changes: Partial<Record<RateLimitField, number>> = {};
      for (const field of RATE_LIMIT_FIELDS) {
        const value = body.int(field, { min: 0 });
        if (value === undefined) continue;
        // The optional limits exist only for the models they apply to; they cannot be added to others.
        if (record[field] === undefined) {
          throw invalid(field, `Invalid '${field}': this limit does not apply to model '${record.model}'.`);
        }
        changes[field] = value;
      }
      if (Object.keys(changes).length > 0) {
        Object.assign(record, changes);
        state.audit('rate_limit.updated', { id: record.id, changes_requested: changes }, project);
      }
      return rateLimitObject(record);
    },
  },
  {
    method: 'GET',
    path: MODEL_PERMISSIONS,
    handle({ params, state }) {
      const project = requireProject(state, params.project_id as string);
      return modelPermissionsObject(state.modelPermissions.get(project.id));
    },
  },
  {
    method: 'POST',
    path: MODEL_PERMISSIONS,
    handle({ params, body, state }) {
      const project = projectRef(state, params.project_id as string);
      body.only(['mode', 'model_ids']);
      const mode = body.enum('mode', MODEL_PERMISSION_MODES, { required: true }) as ModelPermissionsRecord['mode'];
      const modelIds = body.stringArray('model_ids', { required: true }) as string[];
      modelIds.forEach((modelId, i) => {
        if (modelId.trim() === '') throw invalid('model_ids', `Invalid 'model_ids[${i}]': a model ID must not be empty.`);
      });
      const record: ModelPermissionsRecord = { mode, model_ids: [...new Set(modelIds)] };
      state.modelPermissions.set(project.id, record);
      return modelPermissionsObject(record);
    },
  },
  {
    method: 'DELETE',
    path: MODEL_PERMISSIONS,
    handle({ params, state }) {
      const project = projectRef(state, params.project_id as string);
      state.modelPermissions.delete(project.id);
      return { object: 'project.model_permissions.deleted', deleted: true };
    },
  },
  {
    method: 'GET',
    path: HOSTED_TOOL_PERMISSIONS,
    handle({ params, state }) {
      const project = requireProject(state, params.project_id as string);
      return hostedToolsObject(state, project.id);
    },
  },
  {
    method: 'POST',
    path: HOSTED_TOOL_PERMISSIONS,
    handle({ params, body, state }) {
      const project = projectRef(state, params.project_id as string);
      body.only(HOSTED_TOOLS);
      const updates: Record<string, { enabled: boolean }> = {};
      for (const tool of HOSTED_TOOLS) {
        const update = body.object(tool, { nullable: true });
        if (update === undefined) continue;
        update.only(['enabled']);
        updates[tool] = { enabled: update.bool('enabled', { required: true }) as boolean };
      }
      state.hostedToolPermissions.set(project.id, { ...hostedToolsObject(state, project.id), ...updates });
      return hostedToolsObject(state, project.id);
    },
  },
  {
    method: 'GET',
    path: ORG_ALERTS,
    handle({ query, state }) {
      const page = cursorPage([...state.orgSpendAlerts.values()], query, ALERT_PAGE, true);
      return { ...page, data: page.data.map((a) => alertObject(a, 'organization.spend_alert')) };
    },
  },
  {
    method: 'POST',
    path: ORG_ALERTS,
    handle({ body, state }) {
      const input = parseAlert(body);
      const alert: SpendAlertRecord = { id: state.newId('alert'), ...input, created_at: state.now() };
      state.orgSpendAlerts.set(alert.id, alert);
      return alertObject(alert, 'organization.spend_alert');
    },
  },
  {
    method: 'GET',
    path: `${ORG_ALERTS}/{alert_id}`,
    handle({ params, state }) {
      return alertObject(requireOrgAlert(state, params.alert_id as string), 'organization.spend_alert');
    },
  },
  {
    method: 'POST',
    path: `${ORG_ALERTS}/{alert_id}`,
    handle({ params, body, state }) {
      const alert = requireOrgAlert(state, params.alert_id as string);
      Object.assign(alert, parseAlert(body));
      return alertObject(alert, 'organization.spend_alert');
    },
  },
  {
    method: 'DELETE',
    path: `${ORG_ALERTS}/{alert_id}`,
    handle({ params, state }) {
      const alert = requireOrgAlert(state, params.alert_id as string);
      state.orgSpendAlerts.delete(alert.id);
      return { id: alert.id, object: 'organization.spend_alert.deleted', deleted: true };
    },
  },
  {
    method: 'GET',
    path: PROJECT_ALERTS,
    handle({ params, query, state }) {
      const project = requireProject(state, params.project_id as string);
      const alerts = [...(state.projectSpendAlerts.get(project.id)?.values() ?? [])];
      const page = cursorPage(alerts, query, ALERT_PAGE, true);
      return { ...page, data: page.data.map((a) => alertObject(a, 'project.spend_alert')) };
    },
  },
  {
    method: 'POST',
    path: PROJECT_ALERTS,
    handle({ params, body, state }) {
      const project = projectRef(state, params.project_id as string);
      const input = parseAlert(body);
      const alert: SpendAlertRecord = { id: state.newId('alert'), ...input, created_at: state.now() };
      state.scoped(state.projectSpendAlerts, project.id).set(alert.id, alert);
      return alertObject(alert, 'project.spend_alert');
    },
  },
  {
    method: 'GET',
    path: `${PROJECT_ALERTS}/{alert_id}`,
    handle({ params, state }) {
      const project = requireProject(state, params.project_id as string);
      return alertObject(requireProjectAlert(state, project.id, params.alert_id as string), 'project.spend_alert');
    },
  },
  {
    method: 'POST',
    path: `${PROJECT_ALERTS}/{alert_id}`,
    handle({ params, body, state }) {
      const project = projectRef(state, params.project_id as string);
      const alert = requireProjectAlert(state, project.id, params.alert_id as string);
      Object.assign(alert, parseAlert(body));
      return alertObject(alert, 'project.spend_alert');
    },
  },
  {
    method: 'DELETE',
    path: `${PROJECT_ALERTS}/{alert_id}`,
    handle({ params, state }) {
      const project = projectRef(state, params.project_id as string);
      const alert = requireProjectAlert(state, project.id, params.alert_id as string);
      state.projectSpendAlerts.get(project.id)?.delete(alert.id);
      return { id: alert.id, object: 'project.spend_alert.deleted', deleted: true };
    },
  },
];
