import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, archivedProject, before, deleted, id, listOf, objectOf, order, projectId, pageSize } from './common.js';

const alertId = () => id('Spend alert ID');

/** Create and update take the same full body: an update replaces the whole alert. */
const alertBody = () => ({
  threshold_amount: z.number().int().min(0).describe('US cents'),
  currency: z.enum(['USD']),
  interval: z.enum(['month']),
  notification_channel: z.object({
    type: z.enum(['email']),
    recipients: z.array(z.string().email()).min(1),
    subject_prefix: z.string().nullable().optional(),
  }),
});

const alertOf = (object: string) =>
  objectOf(object, {
    threshold_amount: z.number(),
    threshold_usd: z.number().optional(),
    currency: z.string(),
    interval: z.string(),
    notification_channel: z.object({ recipients: z.array(z.string()).optional() }).passthrough(),
  });

const orgAlert = alertOf('organization.spend_alert');
const projectAlert = alertOf('project.spend_alert');

const ORG = '/organization/spend_alerts';
const PROJECT = '/organization/projects/{project_id}/spend_alerts';

const tools: EndpointTool[] = [
  endpoint({
    name: 'spend_alerts_list',
    title: 'List org spend alerts',
    description: 'List org monthly spend alerts (in cents).',
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: ORG,
    input: { query: { limit: pageSize(0, 100), order: order(), after: after(), before: before() } },
    output: listOf(orgAlert),
    cents: ['threshold_amount'],
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'spend_alerts_create',
    title: 'Create org spend alert',
    description: 'Email recipients when monthly org spend passes a threshold.',
    toolset: 'limits',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: ORG,
    input: { body: alertBody() },
    output: orgAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'spend_alerts_retrieve',
    title: 'Get org spend alert',
    description: 'Get an org spend alert (in cents).',
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: `${ORG}/{alert_id}`,
    input: { path: { alert_id: alertId() } },
    output: orgAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'spend_alerts_update',
    title: 'Update org spend alert',
    description: 'Replace an org spend alert.',
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: `${ORG}/{alert_id}`,
    input: { path: { alert_id: alertId() }, body: alertBody() },
    output: orgAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'spend_alerts_delete',
    title: 'Delete org spend alert',
    description: 'Delete an org spend alert.',
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: `${ORG}/{alert_id}`,
    input: { path: { alert_id: alertId() } },
    output: deleted('organization.spend_alert.deleted'),
    target: `${ORG}/{alert_id}`,
    preview: { alone: 'Only this alert: the spend limit and other alerts stay.' },
  }),
  endpoint({
    name: 'projects_spend_alerts_list',
    title: 'List project spend alerts',
    description: "List a project's monthly spend alerts (in cents).",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PROJECT,
    input: {
      path: { project_id: projectId() },
      query: { limit: pageSize(0, 100), order: order(), after: after(), before: before() },
    },
    output: listOf(projectAlert),
    cents: ['threshold_amount'],
    pagination: 'cursor_id',
  }),
  endpoint({
    name: 'projects_spend_alerts_create',
    title: 'Create project spend alert',
    description: "Email recipients when a project's monthly spend passes a threshold.",
    toolset: 'limits',
    effect: 'write',
    idempotent: false,
    method: 'POST',
    path: PROJECT,
    input: { path: { project_id: projectId() }, body: alertBody() },
    output: projectAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'projects_spend_alerts_retrieve',
    title: 'Get project spend alert',
    description: 'Get a project spend alert (in cents).',
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: `${PROJECT}/{alert_id}`,
    input: { path: { project_id: projectId(), alert_id: alertId() } },
    output: projectAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'projects_spend_alerts_update',
    title: 'Update project spend alert',
    description: 'Replace a project spend alert.',
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: `${PROJECT}/{alert_id}`,
    input: { path: { project_id: projectId(), alert_id: alertId() }, body: alertBody() },
    output: projectAlert,
    cents: ['threshold_amount'],
  }),
  endpoint({
    name: 'projects_spend_alerts_delete',
    title: 'Delete project spend alert',
    description: 'Delete a project spend alert.',
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: `${PROJECT}/{alert_id}`,
    input: { path: { project_id: projectId(), alert_id: alertId() } },
    output: deleted('project.spend_alert.deleted'),
    target: `${PROJECT}/{alert_id}`,
    preview: { refuseWhen: [archivedProject], alone: "Only this alert: the project's spend limit and other alerts stay." },
  }),
];

export default tools;
