import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { archivedProject, deletedFlag, objectOf, projectId } from './common.js';

const permissions = objectOf('project.model_permissions', {
  mode: z.string(),
  model_ids: z.array(z.string()),
});

const PATH = '/organization/projects/{project_id}/model_permissions';

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_model_permissions_retrieve',
    title: 'Get project model permissions',
    description: "Get a project's model allow or deny list.",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PATH,
    input: { path: { project_id: projectId() } },
    output: permissions,
  }),
  endpoint({
    name: 'projects_model_permissions_update',
    title: 'Set project model permissions',
    description: "Replace a project's model allow or deny list.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'POST',
    path: PATH,
    input: {
      path: { project_id: projectId() },
      body: {
        mode: z.enum(['allow_list', 'deny_list']).describe('allow_list: only these; deny_list: all but these'),
        model_ids: z.array(z.string().min(1)),
      },
    },
    output: permissions,
    target: PATH,
    preview: { refuseWhen: [archivedProject], alone: "Only this project's model list: requests for models it leaves out are refused." },
  }),
  endpoint({
    name: 'projects_model_permissions_delete',
    title: 'Reset project model permissions',
    description: "Remove a project's model policy, allowing every model.",
    toolset: 'limits',
    effect: 'destructive',
    idempotent: true,
    method: 'DELETE',
    path: PATH,
    input: { path: { project_id: projectId() } },
    output: deletedFlag(),
    target: PATH,
    preview: { refuseWhen: [archivedProject], alone: "Only this project's model list: every model the organization allows becomes usable." },
  }),
];

export default tools;
