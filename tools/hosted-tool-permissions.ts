import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { projectId } from './common.js';

/** The hosted tools a project can be allowed, in the API's order. */
const HOSTED_TOOLS = ['file_search', 'web_search', 'image_generation', 'mcp', 'code_interpreter'] as const;

/** One field per hosted tool, all with the same schema. */
const perTool = <T extends z.ZodTypeAny>(field: T) =>
  Object.fromEntries(HOSTED_TOOLS.map((tool) => [tool, field])) as Record<(typeof HOSTED_TOOLS)[number], T>;

const state = z.object({ enabled: z.boolean() }).passthrough();

const permissions = z.object(perTool(state.optional())).passthrough();

/** Each hosted tool's setting; unknown keys of it are dropped, as before. */
const toggle = z.object({ enabled: z.boolean() }).nullable().optional();

const PATH = '/organization/projects/{project_id}/hosted_tool_permissions';

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_hosted_tool_permissions_retrieve',
    title: 'Get project hosted tools',
    description: 'Get which hosted tools a project may use.',
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: PATH,
    input: { path: { project_id: projectId() } },
    output: permissions,
  }),
  endpoint({
    name: 'projects_hosted_tool_permissions_update',
    title: 'Set project hosted tools',
    description: 'Enable or disable hosted tools for a project; omitted ones are kept.',
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: PATH,
    input: {
      path: { project_id: projectId() },
      body: perTool(toggle),
    },
    output: permissions,
  }),
];

export default tools;
