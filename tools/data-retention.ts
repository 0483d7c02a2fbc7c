import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { objectOf, projectId } from './common.js';

/* Data-retention controls (a compliance setting) for the organization and per project. */

const ORG_TYPES = ['zero_data_retention', 'modified_abuse_monitoring', 'enhanced_zero_data_retention', 'enhanced_modified_abuse_monitoring'] as const;
const PROJECT_TYPES = ['organization_default', 'none', ...ORG_TYPES] as const;

const retention = (object: string) => objectOf(object, { type: z.string() });

const tools: EndpointTool[] = [
  endpoint({
    name: 'data_retention_retrieve',
    title: 'Get org data retention',
    description: "Get the org's data-retention control.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/data_retention',
    input: {},
    output: retention('organization.data_retention'),
  }),
  endpoint({
    name: 'data_retention_update',
    title: 'Set org data retention',
    description: "Set the org's data-retention control.",
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/data_retention',
    input: { body: { retention_type: z.enum(ORG_TYPES) } },
    output: retention('organization.data_retention'),
  }),
  endpoint({
    name: 'projects_data_retention_retrieve',
    title: 'Get project data retention',
    description: "Get a project's data-retention control.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/data_retention',
    input: { path: { project_id: projectId() } },
    output: retention('project.data_retention'),
  }),
  endpoint({
    name: 'projects_data_retention_update',
    title: 'Set project data retention',
    description: "Set a project's data-retention control.",
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/data_retention',
    input: {
      path: { project_id: projectId() },
      body: { retention_type: z.enum(PROJECT_TYPES).describe('organization_default = inherit') },
    },
    output: retention('project.data_retention'),
  }),
];

export default tools;
