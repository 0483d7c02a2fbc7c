import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { archivedProject, objectOf, projectId } from './common.js';

/*
 * Hard spend limits, for the organization and per project. An update creates or replaces the
 * whole limit, so it is classed destructive like a delete.
 */

const limitBody = () => ({
  threshold_amount: z.number().int().min(1).describe('US cents'),
  currency: z.enum(['USD']),
  interval: z.enum(['month']),
});

const spendLimit = (object: string) =>
  objectOf(object, {
    configured: z.boolean().optional(),
    threshold_amount: z.number().optional(),
    threshold_usd: z.number().optional(),
    currency: z.string().optional(),
    interval: z.string().optional(),
    enforcement: z.object({ status: z.string() }).passthrough().optional(),
  });

const removed = (object: string) =>
  z.object({ object: z.literal(object).or(z.string()).optional(), deleted: z.boolean() }).passthrough();

const ORG = '/organization/spend_limit';
const PROJECT = '/organization/projects/{project_id}/spend_limit';

const tools: EndpointTool[] = [
  endpoint({
    name: 'spend_limit_retrieve',
    title: 'Get org spend limit',
    description: "Get the org's monthly hard spend limit (in cents), if enforced; configured: false if unset.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: ORG,
    input: {},
    output: spendLimit('organization.spend_limit'),
    cents: ['threshold_amount'],
    unset: {},
  }),
  endpoint({
    name: 'spend_limit_update',
    title: 'Set org spend limit',
    description: "Set the org's monthly hard spend limit.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: ORG,
    input: { body: limitBody() },
    output: spendLimit('organization.spend_limit'),
    cents: ['threshold_amount'],
    target: ORG,
    preview: { alone: "Only the organization's spend limit: spend alerts and project limits stay." },
  }),
  endpoint({
    name: 'spend_limit_delete',
    title: 'Remove org spend limit',
    description: "Remove the org's hard spend limit.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: ORG,
    input: {},
    output: removed('organization.spend_limit.deleted'),
    target: ORG,
    preview: { alone: "Only the organization's spend limit: spending is no longer capped by it; spend alerts and project limits stay." },
  }),
  endpoint({
    name: 'projects_spend_limit_retrieve',
    title: 'Get project spend limit',
    description: "Get a project's monthly hard spend limit (in cents), if enforced; configured: false if unset.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PROJECT,
    input: { path: { project_id: projectId() } },
    output: spendLimit('project.spend_limit'),
    cents: ['threshold_amount'],
    unset: { exists: '/organization/projects/{project_id}' },
  }),
  endpoint({
    name: 'projects_spend_limit_update',
    title: 'Set project spend limit',
    description: "Set a project's monthly hard spend limit.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: PROJECT,
    input: { path: { project_id: projectId() }, body: limitBody() },
    output: spendLimit('project.spend_limit'),
    cents: ['threshold_amount'],
    target: PROJECT,
    preview: { refuseWhen: [archivedProject], alone: "Only this project's spend limit: its spend alerts stay." },
  }),
  endpoint({
    name: 'projects_spend_limit_delete',
    title: 'Remove project spend limit',
    description: "Remove a project's hard spend limit.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: PROJECT,
    input: { path: { project_id: projectId() } },
    output: removed('project.spend_limit.deleted'),
    target: PROJECT,
    preview: { refuseWhen: [archivedProject], alone: "Only this project's spend limit: its spending is no longer capped by it; its spend alerts stay." },
  }),
];

export default tools;
