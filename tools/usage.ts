import { z, type ZodRawShape } from 'zod';
import { endpoint, type EndpointTool } from './define.js';
import { page, pageSize, time } from './common.js';

/*
 * Usage per family, and costs. Every call answers time buckets ({start_time, end_time, results});
 * results carry the grouping fields, null unless grouped by. Pages are walked with `next_page`.
 */

/** Filters and group_by lists: their names say it all, so they carry no description (tokens). */
const ids = () => z.array(z.string().min(1)).optional();
const groupBy = <T extends [string, ...string[]]>(values: T) => z.array(z.enum(values)).optional();

/** The query fields every usage family takes, before its own filters. */
const range = () => ({
  start_time: time(),
  // End exclusive, default now, bucket_width default 1d: said once in the server instructions.
  end_time: time().optional(),
  bucket_width: z.enum(['1m', '1h', '1d']).optional(),
});
const paging = () => ({
  // Per width the API takes 1d ≤31, 1h ≤168, 1m ≤1440 buckets a page: said once in the instructions.
  limit: pageSize(1, 1440),
  page: page(),
});
const standard = () => ({
  project_ids: ids(),
  user_ids: ids(),
  api_key_ids: ids(),
  models: ids(),
});

/*
 * The fields of a result row: its grouping fields (absent unless grouped by) and its counters
 * (absent when zero: results leave out nulls, and usage and cost rows zero counters too). These
 * names are what `fields` accepts.
 */
const dimension = () => z.string().nullable().optional();
const counter = () => z.number().optional();
const row = (dimensions: readonly string[], counters: readonly string[]) =>
  z
    .object({
      object: z.string().optional(),
      ...Object.fromEntries(dimensions.map((d) => [d, d === 'batch' ? z.boolean().nullable().optional() : dimension()])),
      ...Object.fromEntries(counters.map((c) => [c, counter()])),
    })
    .passthrough();

const bucketPage = (result: z.ZodTypeAny) =>
  z
    .object({
      object: z.string().optional(),
      data: z.array(z.object({ start_time: z.number(), end_time: z.number(), results: z.array(result) }).passthrough()),
      has_more: z.boolean().optional(),
      next_page: z.string().nullable().optional(),
    })
    .passthrough();


const usageTool = (name: string, family: string, title: string, description: string, query: ZodRawShape, result: z.ZodTypeAny) =>
  endpoint({
    name,
    title,
    description,
    toolset: 'usage',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: `/organization/usage/${family}`,
    input: { query: { ...range(), ...query, ...paging() } },
    output: bucketPage(result),
    pagination: 'page_token',
  });

const STANDARD_GROUPS: [string, ...string[]] = ['project_id', 'user_id', 'api_key_id', 'model'];
const TEXT_GROUPS = ['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source'];

const tools: EndpointTool[] = [
  endpoint({
    name: 'usage_costs',
    title: 'Costs',
    description: 'Daily costs in USD per bucket.',
    toolset: 'usage',
    effect: 'read',
    idempotent: true,
    method: 'GET',
    path: '/organization/costs',
    input: {
      query: {
        start_time: time(),
        end_time: time().optional(),
        bucket_width: z.enum(['1d']).optional(),
        project_ids: ids(),
        api_key_ids: ids(),
        line_items: z.array(z.string().min(1)).optional().describe('Only these exact line_item values'),
        group_by: groupBy(['project_id', 'user_id', 'line_item', 'api_key_id', 'api_source']),
        limit: pageSize(1, 180),
        page: page(),
      },
    },
    output: bucketPage(
      row(['line_item', 'project_id', 'user_id', 'api_key_id', 'api_source', 'quantity_unit'], ['quantity']).extend({
        amount: z.object({ value: z.number().optional(), currency: z.string().optional() }).passthrough().optional(),
      }),
    ),
    pagination: 'page_token',
  }),
  usageTool('usage_audio_speeches', 'audio_speeches', 'Text-to-speech usage', 'Text-to-speech characters and requests per bucket.', {
    ...standard(),
    group_by: groupBy(STANDARD_GROUPS),
  }, row(STANDARD_GROUPS, ['characters', 'num_model_requests'])),
  usageTool('usage_audio_transcriptions', 'audio_transcriptions', 'Transcription usage', 'Transcribed audio seconds and requests per bucket.', {
    ...standard(),
    group_by: groupBy(STANDARD_GROUPS),
  }, row(STANDARD_GROUPS, ['seconds', 'num_model_requests'])),
  usageTool(
    'usage_code_interpreter_sessions',
    'code_interpreter_sessions',
    'Code interpreter usage',
    'Code interpreter sessions per bucket.',
    { project_ids: ids(), group_by: groupBy(['project_id']) },
    row(['project_id'], ['num_sessions']),
  ),
  usageTool(
    'usage_completions',
    'completions',
    'Completions usage',
    'Text-model tokens and requests per bucket.',
    {
      ...standard(),
      batch: z.boolean().optional().describe('true: batch only; false: no batch'),
      group_by: groupBy(['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source']),
    },
    row(TEXT_GROUPS, ['input_tokens', 'output_tokens', 'input_cached_tokens', 'input_audio_tokens', 'output_audio_tokens', 'num_model_requests']),
  ),
  usageTool(
    'usage_decisions',
    'decisions',
    'Decisions usage',
    'Decisions API tokens and requests per bucket.',
    {
      ...standard(),
      batch: z.boolean().optional().describe('true: batch only; false: no batch'),
      group_by: groupBy(['project_id', 'user_id', 'api_key_id', 'model', 'batch', 'service_tier', 'api_source']),
    },
    row(TEXT_GROUPS, ['input_tokens', 'output_tokens', 'input_cached_tokens', 'input_uncached_tokens', 'num_model_requests']),
  ),
  usageTool('usage_embeddings', 'embeddings', 'Embeddings usage', 'Embedding tokens and requests per bucket.', {
    ...standard(),
    group_by: groupBy(STANDARD_GROUPS),
  }, row(STANDARD_GROUPS, ['input_tokens', 'num_model_requests'])),
  usageTool(
    'usage_file_search_calls',
    'file_search_calls',
    'File search usage',
    'File search calls per bucket.',
    {
      project_ids: ids(),
      user_ids: ids(),
      api_key_ids: ids(),
      vector_store_ids: ids(),
      group_by: groupBy(['project_id', 'user_id', 'api_key_id', 'vector_store_id']),
    },
    row(['project_id', 'user_id', 'api_key_id', 'vector_store_id'], ['num_requests']),
  ),
  usageTool('usage_images', 'images', 'Images usage', 'Images and requests per bucket.', {
    sources: z.array(z.enum(['image.generation', 'image.edit', 'image.variation'])).optional(),
    sizes: z.array(z.enum(['256x256', '512x512', '1024x1024', '1792x1792', '1024x1792'])).optional(),
    ...standard(),
    group_by: groupBy(['project_id', 'user_id', 'api_key_id', 'model', 'size', 'source']),
  }, row(['source', 'size', ...STANDARD_GROUPS], ['images', 'num_model_requests'])),
  usageTool('usage_moderations', 'moderations', 'Moderations usage', 'Moderation tokens and requests per bucket.', {
    ...standard(),
    group_by: groupBy(STANDARD_GROUPS),
  }, row(STANDARD_GROUPS, ['input_tokens', 'num_model_requests'])),
  usageTool(
    'usage_vector_stores',
    'vector_stores',
    'Vector store usage',
    'Vector store bytes per bucket.',
    { project_ids: ids(), group_by: groupBy(['project_id']) },
    row(['project_id'], ['usage_bytes']),
  ),
  usageTool(
    'usage_web_search_calls',
    'web_search_calls',
    'Web search usage',
    'Web search calls and requests per bucket.',
    {
      ...standard(),
      context_levels: z.array(z.enum(['low', 'medium', 'high'])).optional(),
      group_by: groupBy(['project_id', 'user_id', 'api_key_id', 'model', 'context_level', 'api_source']),
    },
    row(['project_id', 'user_id', 'api_key_id', 'model', 'context_level', 'api_source'], ['num_model_requests', 'num_requests']),
  ),
];

export default tools;
