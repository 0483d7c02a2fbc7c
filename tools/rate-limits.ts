import { z } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { after, before, id, listOf, objectOf, projectId, pageSize } from './common.js';

const count = (description: string) => z.number().int().min(0).optional().describe(description);

const rateLimit = objectOf('project.rate_limit', {
  model: z.string(),
  max_requests_per_1_minute: z.number(),
  max_tokens_per_1_minute: z.number(),
  max_images_per_1_minute: z.number().optional(),
  max_audio_megabytes_per_1_minute: z.number().optional(),
  max_requests_per_1_day: z.number().optional(),
  batch_1_day_max_input_tokens: z.number().optional(),
});

const tools: EndpointTool[] = [
  endpoint({
    name: 'projects_rate_limits_list',
    title: 'List project rate limits',
    description: "List a project's per-model rate limits (IDs like rl-gpt-4o).",
    toolset: 'limits',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/projects/{project_id}/rate_limits',
    input: {
      path: { project_id: projectId() },
      query: {
        limit: pageSize(1, undefined),
        after: after(),
        before: before(),
      },
    },
    output: listOf(rateLimit),
    pagination: 'cursor_id',
    // The API has no model parameter; the server reads every page and keeps that model's row.
    filters: { model: { field: 'model', description: 'Only this model (server-side filter)' } },
  }),
  endpoint({
    name: 'projects_rate_limits_update',
    title: 'Update project rate limit',
    description: "Set a project's rate limits for one model.",
    toolset: 'limits',
    effect: 'write',
    idempotent: true,
    method: 'POST',
    path: '/organization/projects/{project_id}/rate_limits/{rate_limit_id}',
    input: {
      path: { project_id: projectId(), rate_limit_id: id('Rate limit ID (rl-…)') },
      body: {
        max_requests_per_1_minute: count('Requests per minute'),
        max_tokens_per_1_minute: count('Tokens per minute'),
        max_images_per_1_minute: count('Images per minute (image models)'),
        max_audio_megabytes_per_1_minute: count('Audio models'),
        max_requests_per_1_day: count('Requests per day (some models)'),
        batch_1_day_max_input_tokens: count('Batch input tokens per day'),
      },
    },
    output: rateLimit,
  }),
];

export default tools;
