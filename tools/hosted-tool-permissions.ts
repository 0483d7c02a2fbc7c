import { z } from 'zod';
import { endpoint, type EndpointTool } from '../src/server/endpoint.js';
import { projectId } from './common.js';

const state = z.object({ enabled: z.boolean() }).passthrough();

const permissions = z
  .object({
    file_search: state.optional(),
    web_search: state.optional(),
    image_generation: state.optional(),
    mcp: state.optional(),
    code_interpreter: state.optional(),
  })
  .passthrough();

/** One shared schema for every tool, so the JSON Schema can reference it instead of repeating it. */
const toggle = z.object({ enabled: z.boolean() }).nullable().optional().describe('Set enabled true/false; omit to keep');

const PATH = '/organization/projects/{project_id}/hosted_tool_permissions';

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_hosted_tool_permissions_retrieve',
    title: 'Get project hosted tools',
    description: 'Show which hosted tools (file search, web search, images, MCP, code interpreter) a project may use.',
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
    description: 'Enable or disable hosted tools for a project; tools left out stay as they are.',
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: PATH,
    input: {
      path: { project_id: projectId() },
      body: {
        file_search: toggle,
        web_search: toggle,
        image_generation: toggle,
        mcp: toggle,
        code_interpreter: toggle,
      },
    },
    output: permissions,
  }),
];

export default tools;
