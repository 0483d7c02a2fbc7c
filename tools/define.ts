import type { ZodRawShape, ZodTypeAny } from 'zod';
import type { Method, PaginationStyle } from '../src/client/index.js';

/*
 * A tool is data. Every Admin API operation is one `EndpointTool` value in tools/, and one generic
 * executor runs any of them through the shared client. Nothing in here knows HTTP.
 */

export type Effect = 'read' | 'write' | 'destructive';
/** The client's methods and paging styles are the API's: the client says them once. */
export type HttpMethod = Method;
export type { PaginationStyle };

/** Every toolset, in the order listings and instructions show them. */
export const TOOLSETS = ['reports', 'workflows', 'projects', 'members', 'keys', 'limits', 'certificates', 'usage', 'audit', 'security'] as const;
export type Toolset = (typeof TOOLSETS)[number];

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
   * Fields in US cents, of the object or of each item of a list: the result adds each in USD beside
   * it (`threshold_amount` gives `threshold_usd`), so 300000 is never read as $300,000.
   */
  cents?: readonly string[];
  /**
   * The dotted path of an expiry in Unix seconds, on the object or each listed item: the result adds
   * `expires` (ISO date), `expires_in_days` and, within 30 days, `expiring_soon: true`.
   */
  expiry?: string;
  /**
   * A setting the API answers 404 while it is unset (a spend limit): that 404 is the answer
   * `{configured: false}`, not an error, once `exists` (a GET template of its owner, such as the
   * project) shows the path named something real. A set one says `configured: true`.
   */
  unset?: { exists?: string };
  /**
   * A POST that changes nothing (a validation check), declared here rather than inferred from
   * `effect` so a mistyped effect cannot open the read-only client to a write. Only with effect
   * `read`: the read-only client lets exactly these requests through.
   */
  safe?: true;
  /**
   * List filters the API lacks, applied by the server: each argument (listed with `description`)
   * keeps the rows whose `field` equals its value, ignoring case, read across every page.
   */
  filters?: Readonly<Record<string, { field: string; description: string }>>;
}

/**
 * The API's rules a preview can apply before offering a token. Paths are templates over the tool's
 * path and body fields (`{user_id}`) and, inside an `each`, over the item it stands for (`{project.id}`).
 */
export interface PreviewRules {
  /** The call is certain to fail when this GET answers `field` = `equals`: no token, the reason instead. */
  refuseWhen?: ReadonlyArray<{ get: string; field: string; equals: string; reason: string }>;
  /** What the API changes on its own beyond the target (cascades), listed by name in the preview. */
  affects?: readonly EffectRule[];
  /** Why nothing beyond the target changes, for a tool without `affects`: every destructive tool says one or the other. */
  alone?: string;
  /** Warn when the change leaves a project (or the organization) without an owner. */
  lastOwner?: { user?: string; group?: string; project?: string };
  /** Writes: warn (on the dry run, the preview and the result) when an object with the same value exists. */
  duplicate?: { get: string; query?: Record<string, string>; field: string; equals: string; noun: string };
}

/** One kind of object a change affects: read with a GET (or one GET per item of an `each` list), kept where `where` holds. */
export interface EffectRule {
  /** Its key in the preview's `effects`, e.g. `project_memberships`. */
  label: string;
  /** What the API does to each, e.g. "removed" or "deleted; apps using them stop working". */
  effect: string;
  /** A list GET; with `one`, a single object (a 404 means none). */
  get: string;
  query?: Record<string, string>;
  one?: true;
  /** Pagination of `get` when it is a list (default cursor_id). */
  style?: 'cursor_id' | 'cursor_next';
  /** Run `get` once per item of this list; in templates `{<as>.<field>}`, and each result is labelled `<as>: "name (id)"`. */
  each?: { get: string; query?: Record<string, string>; as: string; style?: 'cursor_id' | 'cursor_next'; id?: string; name?: string; skip?: { field: string; equals: string } };
  /** Keep the items whose dotted `field` equals `equals` (a template). */
  where?: { field: string; equals: string };
  /** The items stay as they are (shown so nothing is assumed): no active-use warning for them. */
  kept?: true;
  /** The fields shown of each item (times as ISO). */
  show: readonly string[];
}

/** Identity function that checks an entry against the type while keeping its literal types. */
export function endpoint<const T extends EndpointTool>(tool: T): T {
  return tool;
}
