import { z } from 'zod';
import { numberAsTime, parseTime } from '../src/time.js';

/*
 * Field builders shared by the tool definitions. Descriptions are short on purpose: every token of
 * a schema is paid by every conversation that lists the tools.
 */

/*
 * What an ID may contain. IDs are opaque tokens the API issues (`proj_…`, `user-…`, `rl-gpt-4.1`,
 * `ft:gpt-4o:org::x`), and each one fills exactly one path segment. An ID is therefore limited to the
 * characters RFC 3986 allows literally in a segment: letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @.
 * That keeps out everything that can move a request: `/`, `?` and `#` end the segment; `%` lets a
 * gateway decode `%2e%2e` or `%2f` into one; `\` is a separator to some servers; non-ASCII letters
 * may be normalised into dots (U+FF0E); controls and spaces split request lines. `.` and `..` are
 * refused as wholes: they are dot segments, which servers resolve to the parent path. No real ID is
 * longer than a few dozen characters; 256 leaves room.
 */
const ID_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;
export const ID_MAX_LENGTH = 256;

/** Why a string is not an ID, or null when it is one. */
export function idProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (value === '.' || value === '..') return 'is a dot segment, which would address another endpoint';
  if (value.length > ID_MAX_LENGTH) return `is ${value.length} characters long; IDs have at most ${ID_MAX_LENGTH}`;
  if (/[\ud800-\udfff]/u.test(value)) return 'holds a lone surrogate, which is not valid Unicode text';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'holds a control character';
  if (!ID_CHARS.test(value)) return "holds a character IDs never have: only letters, digits and - . _ ~ : @ ! $ & ' ( ) * + , ; = (no '/', '?', '#', '%', '\\', spaces or non-ASCII)";
  return null;
}

/** A value as a refusal can quote it: printable ASCII as is, anything else as a \u escape, cut at 40 characters. */
export function quoteValue(value: string): string {
  const cut = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `'${cut.replace(/[^\x20-\x7e…]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

/**
 * An object ID, e.g. `id('Project ID (proj_…)')`. Path fields must use it: a test fails for any path
 * field that lets a dot segment through. The check is a refinement, so the JSON Schema stays a plain
 * string and a refusal names the field, e.g. "project_id '..' is not an ID; use find to look one up".
 */
export const id = (description: string) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = idProblem(value);
      if (problem !== null) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${quoteValue(value)} is not an ID; use find to look one up (it ${problem})`, params: { notAnId: true } });
      }
    })
    .describe(description);

export const projectId = () => id('Project ID (proj_…)');
export const userId = () => id('User ID (user-…)');
export const groupId = () => id('Group ID');
export const roleId = () => id('Role ID');
export const serviceAccountId = () => id('Service account ID');

/*
 * Paging fields carry no description: the server instructions explain them once (`after` is the
 * last ID of the previous page, `before` pages backwards, `page` is the previous `next_page`).
 */

/** `after` cursor: an object ID from the previous page. */
export const after = () => z.string().optional();

/** `before` cursor: an object ID, to page backwards from it. */
export const before = () => z.string().optional();

/** `page` token from the previous response's `next_page`. */
export const page = () => z.string().optional();

export const order = () => z.enum(['asc', 'desc']).optional();

/**
 * A page size (`limit`) with the API's own bounds, enforced at call time with a message that gives
 * them, rather than listed: `limit` is on about 40 tools, and its range is said once in the server
 * instructions. The API's default page size is not listed either: with `max_items` and `has_more` a
 * model never needs it, and 30 list tools would pay for it.
 */
export const pageSize = (min: number, max: number | undefined) =>
  z
    .number()
    .int()
    .refine((n) => n >= min && (max === undefined || n <= max), { message: max === undefined ? `must be ${min} or more` : `must be from ${min} to ${max}` })
    .optional();

/**
 * A point in time: Unix seconds, an ISO-8601 date or time (`2026-10-01`, `2026-10-01T12:00Z`),
 * or a relative form (`30d` ago, `today`, `yesterday`, `now`). Converted to Unix seconds. The
 * accepted forms are explained once in the server instructions, not on every time field. Listed as
 * a string; Unix seconds as a number are accepted too (see numberAsTime).
 */
export const time = (description?: string) => {
  const field = z
    .preprocess(numberAsTime, z.string().min(1))
    .transform((value, ctx) => {
      const seconds = parseTime(value);
      if (seconds === null) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `'${String(value)}' is not a time: use Unix seconds, a date like 2026-10-01, a time like 2026-10-01T12:00Z, or 30d / today`,
        });
        return z.NEVER;
      }
      return seconds;
    });
  return description ? field.describe(description) : field;
};

/** An organization- or project-level deletion confirmation: {object, id, deleted}. */
export const deleted = (object: string) =>
  z.object({ object: z.literal(object).or(z.string()), id: z.string(), deleted: z.boolean() }).passthrough();

/** A removal answer that carries only `deleted` (and maybe `object`), e.g. an unassignment. */
export const deletedFlag = () => z.object({ object: z.string().optional(), deleted: z.boolean() }).passthrough();

/** A loose object result that names its `object` type and ID. */
export const objectOf = (object: string, fields: z.ZodRawShape = {}) =>
  z.object({ object: z.literal(object).or(z.string()).optional(), id: z.string().optional(), ...fields }).passthrough();

/** A cursor-style list: {object: "list", data, has_more, ...}. */
export const listOf = (item: z.ZodTypeAny) =>
  z.object({ object: z.string().optional(), data: z.array(item), has_more: z.boolean().optional() }).passthrough();

/*
 * Preview facts shared by several destructive tools (see PreviewRules): the archived-project
 * refusal, the lists a cascade walks, and how an affected key is shown.
 */

/** The API refuses every change inside an archived project. */
export const archivedProject = {
  get: '/organization/projects/{project_id}',
  field: 'status',
  equals: 'archived',
  reason: "the project is archived, and the API refuses every change inside an archived project. access_review shows what is there.",
} as const;

/** Every project, archived ones too, as `{project.id}`. */
export const everyProject = { get: '/organization/projects', query: { include_archived: 'true' }, as: 'project' } as const;

/** Every group, as `{group.id}`. */
export const everyGroup = { get: '/organization/groups', as: 'group', style: 'cursor_next' } as const;

/** An affected key as a preview names it. */
export const keyFields = ['name', 'id', 'redacted_value', 'last_used_at'] as const;

/** A project's keys, every one (the API's default leaves out keys whose owner lost access). */
export const projectKeys = (project: string) => ({ get: `/organization/projects/${project}/api_keys`, query: { owner_project_access: 'any' } }) as const;
