import type { ZodRawShape, ZodTypeAny } from 'zod';

/*
 * A tool is data. Every Admin API operation is one `EndpointTool` value in tools/, and one generic
 * executor runs any of them through the shared client. Nothing in here knows HTTP.
 */

export type Effect = 'read' | 'write' | 'destructive';
export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type Toolset = 'projects' | 'members' | 'keys' | 'limits' | 'certificates' | 'usage' | 'audit' | 'security' | 'reports' | 'workflows';
/**
 * - `cursor_id`: pass the response's `last_id` as `after`.
 * - `cursor_next`: pass the response's `next` as `after`.
 * - `page_token`: pass the response's `next_page` as `page`.
 */
export type PaginationStyle = 'cursor_id' | 'cursor_next' | 'page_token';

export interface EndpointInput {
  /** Fields substituted into `{name}` in the path. */
  path?: ZodRawShape;
  /** Fields sent in the query string; arrays go out in bracket form. */
  query?: ZodRawShape;
  /** Fields sent in the JSON body. */
  body?: ZodRawShape;
}

export interface EndpointTool {
  /** The catalog's `tool_name_safe`, e.g. `projects_archive`. */
  name: string;
  /** Short human title for annotations, e.g. "Archive project". */
  title: string;
  /** One line: what it does, plus the one fact a model needs. */
  description: string;
  toolset: Toolset;
  effect: Effect;
  /** Whether repeating the call with the same arguments has no further effect. */
  idempotent: boolean;
  method: HttpMethod;
  /** Path under the base URL, in template form: `/organization/projects/{project_id}/archive`. */
  path: string;
  input: EndpointInput;
  /** The response body. Keep it loose (`passthrough`) and list only the fields worth naming. */
  output: ZodTypeAny;
  pagination?: PaginationStyle;
  /**
   * Destructive tools: the GET path (a template over the same path fields) whose answer is the
   * target's current state, shown in the preview and bound into the confirmation token.
   */
  target?: string;
  /** Destructive tools: what the preview checks and shows besides the target (see `PreviewRules`). */
  preview?: PreviewRules;
  /** Dotted paths of secrets the API returns only once (e.g. `value`, `api_key.value`). */
  secrets?: string[];
  /**
   * A POST that changes nothing (a validation check), declared here rather than inferred from
   * `effect` so a mistyped effect cannot open the read-only client to a write. Only with effect
   * `read`: the read-only client lets exactly these requests through.
   */
  safe?: true;
}

/**
 * The API's rules a preview can apply before offering a token. Paths are templates over the tool's
 * path fields; `equals` may be a template too (`{user_id}`).
 */
export interface PreviewRules {
  /** The call is certain to fail when this GET answers `field` = `equals`: no token, the reason instead. */
  refuseWhen?: ReadonlyArray<{ get: string; field: string; equals: string; reason: string }>;
  /** Objects the change affects, listed by name in the preview: a list GET, filtered on one field. */
  affects?: ReadonlyArray<{ label: string; get: string; query?: Record<string, string>; field: string; equals: string; show: readonly string[] }>;
}

/** Identity function that checks an entry against the type while keeping its literal types. */
export function endpoint<const T extends EndpointTool>(tool: T): T {
  return tool;
}
