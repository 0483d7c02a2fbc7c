import { z } from 'zod';
import { parseTime } from '../src/time.js';

/*
 * Field builders shared by the tool definitions. Descriptions are short on purpose: every token of
 * a schema is paid by every conversation that lists the tools.
 */

/** An object ID taken from the path, e.g. `id('Project ID (proj_…)')`. */
export const id = (description: string) => z.string().min(1).describe(description);

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
 * A page size with the API's own bounds. The default (`fallback`) is the API's and is not listed: with
 * `max_items` and `has_more` a model never needs it, and 30 list tools would pay for it.
 */
export const limit = (min: number, max: number | undefined, _fallback: number) => {
  let schema = z.number().int().min(min);
  if (max !== undefined) schema = schema.max(max);
  return schema.optional();
};

/**
 * A point in time: Unix seconds, an ISO-8601 date or time (`2026-10-01`, `2026-10-01T12:00Z`),
 * or a relative form (`30d` ago, `today`, `yesterday`, `now`). Converted to Unix seconds. The
 * accepted forms are explained once in the server instructions, not on every time field.
 */
export const time = (description?: string) => {
  const field = z
    .union([z.number().int().nonnegative(), z.string().min(1)])
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
