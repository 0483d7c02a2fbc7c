import { z, type ZodObject, type ZodRawShape, type ZodTypeAny } from 'zod';
import type { AdminClient, RangePartial, WindowProgress } from '../client/index.js';
import { isoMinute } from '../time.js';
import type { RequestBudget } from './directory.js';
import type { NameDirectory, ProjectRef } from './names.js';
import { isProjectId } from '../ids.js';

/** What a composite tool gets: the one shared client, the name directory and the caller's signal. */
export interface ReportContext {
  client: AdminClient;
  names: NameDirectory;
  signal?: AbortSignal;
  /** Wall clock in ms, injectable for tests. */
  now: () => number;
  /** Counts the range windows of a long report, when the caller asked for progress. */
  progress?: WindowProgress;
}

export { ReportError } from './report-error.js';

export interface CompositeDefinition<S extends ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: S;
  output: ZodTypeAny;
  run(args: z.infer<ZodObject<S>>, ctx: ReportContext): Promise<Record<string, unknown>>;
}

/** A composite tool: the only kind of tool with code of its own. */
export interface CompositeTool {
  name: string;
  title: string;
  description: string;
  toolset: 'reports';
  input: ZodRawShape;
  output: ZodTypeAny;
  run(args: Record<string, unknown>, ctx: ReportContext): Promise<Record<string, unknown>>;
}

export function report<S extends ZodRawShape>(definition: CompositeDefinition<S>): CompositeTool {
  return { ...definition, toolset: 'reports', run: definition.run as CompositeTool['run'] };
}

/** Money to the cent. */
export const cents = (usd: number): number => Math.round(usd * 100) / 100;

// The ISO formatters live in src/time.ts; re-exported for the reports that import them from here.
export { isoDate, isoMinute } from '../time.js';

/**
 * Resolves an optional project reference and runs `fetch` for it. Given a project ID, the fetch starts
 * at once, alongside the name lookup, saving a round trip; if the lookup shows the ID was spelled
 * differently (IDs match case-insensitively), the fetch is repeated with the canonical ID. A name
 * has to be resolved first.
 */
export async function withProject<T>(ctx: ReportContext, ref: string | undefined, fetch: (projectId: string | undefined) => Promise<T>): Promise<{ project?: ProjectRef; value: T }> {
  if (!ref) return { value: await fetch(undefined) };
  const lookup = ctx.names.project(ref, ctx.signal);
  if (isProjectId(ref)) {
    const [project, value] = await Promise.all([lookup, fetch(ref)]);
    return { project, value: project.id === ref ? value : await fetch(project.id) };
  }
  const project = await lookup;
  return { project, value: await fetch(project.id) };
}

/** Where a report built from an incomplete range stops, and how to continue it. */
export const partialShape = z.object({ warning: z.string(), complete_until: z.string(), next_start_time: z.number() });
export type ReportPartial = z.infer<typeof partialShape>;

/** The partial note of a report built from several ranges (usage for every family): the earliest stop wins. */
export function partialOf(partials: ReadonlyArray<RangePartial | undefined>): { partial?: ReportPartial } {
  const stopped = partials.filter((p): p is RangePartial => p !== undefined);
  if (stopped.length === 0) return {};
  const next = Math.min(...stopped.map((p) => p.next_start_time));
  return { partial: { warning: stopped.map((p) => p.warning).join(' '), complete_until: isoMinute(next), next_start_time: next } };
}

/**
 * `fresh` on every tool that reads the directory: the names and lists it keeps (up to 5 minutes, or
 * until a write through this server) are read again for this call.
 */
export const FRESH = z.boolean().default(false);

/** Where a report stopped reading per-project lists at its request budget, and how to go on: one sentence. */
export const partialReadShape = z.string();

/** The partial note of a call whose directory reads stopped at the budget; nothing when it read everything. */
export function partialRead(budget: RequestBudget, tool: string): { partial?: string } {
  if (budget.unread.size === 0) return {};
  const unread = Math.max(...budget.unread.values());
  const lists = [...budget.unread.keys()].map((f) => f.replace('_', ' ')).join(', ');
  return {
    partial: `Stopped after ${budget.used} requests: the ${lists} of ${unread} project(s) are not read yet, so this answer leaves them out. Call ${tool} again with the same arguments to continue: what was read is kept.`,
  };
}
