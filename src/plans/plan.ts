import { randomBytes } from 'node:crypto';
import type { ZodRawShape } from 'zod';
import { z } from 'zod';
import type { ApprovalStamp, AuditEntry } from '../server/gate/audit.js';
import { digest } from '../server/gate/confirm.js';
import { LockBusyError, StoreUnavailableError } from '../server/gate/confirmation-store.js';
import { confirmGate, withWarnings, type Cleared } from '../server/gate/gate.js';
import { mapLimited } from '../client/index.js';
import { failure, inertJson, success, type ToolResult } from '../server/results/results.js';
import type { TargetRead } from '../server/gate/outcome.js';
import type { StepRun, WorkflowContext, WorkflowTool } from '../server/gate/workflow.js';
import { willBeRefused } from '../warnings/index.js';
import { isoTimes } from './display.js';

/*
 * The plan engine (README, "Workflows: a job as one plan"). A workflow drafts a plan from the organization as it is now:
 * steps (tool, arguments, effect), warnings and facts. The engine checks every step against the
 * policy, reads every step's target, and puts the plan through the one confirmation gate, whose
 * token is bound to the workflow's arguments and to every step's tool, arguments and target state.
 * Once confirmed, the steps run through the executor (each under its target's lock, re-read, with
 * an audit line carrying the plan id and step number, claimed once in the confirmation store),
 * independent steps side by side. The first failure stops the plan; calling the workflow again
 * drafts from the state the run left, so only what is left is planned.
 */

/** Steps running at once, at most: the client's connection pool (16), so a wave of up to 16 takes one round trip. */
export const PLAN_CONCURRENCY = 16;

/**
 * A value that a step takes from an earlier step's result, for IDs that exist only once that step
 * ran (a new project's ID, its role IDs): `{ "from_step": 1, "field": "id" }` is the result's `id`;
 * with `where`, the `field` of the one item of the result's `data` list whose fields equal `where`
 * (`{ "from_step": 3, "where": { "name": "member" }, "field": "id" }`). A step that takes one must
 * wait for that step (`after`); the plan is checked for this before it is shown.
 */
export interface StepRef {
  from_step: number;
  where?: Record<string, string>;
  field: string;
}

export interface StepDraft {
  tool: string;
  /** The tool's arguments; a value may be a StepRef to an earlier step's result. */
  args: Record<string, unknown>;
  /** What the step does, including what the API does on its own (cascades). */
  effect: string;
  /** Steps (numbers from 1) that must be done before this one starts. */
  after?: number[];
  /** The target as the draft already read it through `ctx.target`, so it is not read twice. */
  target?: TargetRead;
}

export interface Draft {
  /** One line: the job. */
  summary: string;
  steps: StepDraft[];
  warnings: string[];
  /** What the person should know besides the steps (a key's owner, cost, audit events). Shown, not bound. */
  facts?: Record<string, unknown>;
  /** Why there is nothing to do, when there are no steps. */
  nothing?: string;
}

export interface WorkflowDefinition<S extends ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: S;
  draft(args: z.infer<z.ZodObject<S>>, ctx: WorkflowContext): Promise<Draft>;
}

interface Planned {
  draft: Draft;
  /** Each step's target as read now: undefined when the step has none (a create) or names a later result. */
  targets: Array<TargetRead | undefined>;
}

export function workflow<S extends ZodRawShape>(definition: WorkflowDefinition<S>): WorkflowTool {
  return {
    name: definition.name,
    title: definition.title,
    description: definition.description,
    input: definition.input,
    run: (args, ctx) => runWorkflow(definition, args, ctx),
  };
}

async function runWorkflow<S extends ZodRawShape>(definition: WorkflowDefinition<S>, args: Record<string, unknown>, ctx: WorkflowContext): Promise<ToolResult> {
  const { confirm, ...bound } = args;
  const opts = { sandbox: ctx.sandbox };
  const attempt = randomBytes(6).toString('hex');
  const audit = (phase: AuditEntry['phase'], outcome: AuditEntry['outcome'], extra: Partial<AuditEntry>) =>
    ctx.audit?.record({ attempt, phase, tool: definition.name, effect: 'destructive', arguments: bound, outcome, ...extra });

  let answer: Awaited<ReturnType<typeof confirmGate<Planned>>>;
  /** The store's epoch once the plan is cleared: every step's claim is made under it. */
  let epoch: string;
  try {
    answer = await gate();
    if ('result' in answer) return answer.result;
    epoch = await held(answer, () => ctx.confirmations.store.epoch());
  } catch (error) {
    // Fail closed, as a single call does: without the shared store nothing proves a token or a step was not used elsewhere.
    if (!(error instanceof StoreUnavailableError || error instanceof LockBusyError)) throw error;
    const message =
      error instanceof StoreUnavailableError
        ? `${definition.name} refused: ${error.message}. Nothing was changed. Confirmed changes need the shared store (--store) so that each plan and step executes once across replicas; reads go on. Try again once the store is back.`
        : `${definition.name} refused: ${error.message}. Nothing was changed, and the token was not used: try it again later.`;
    audit('final', 'refused', { decision: error instanceof StoreUnavailableError ? 'store_unavailable' : 'target_busy', message });
    ctx.confirmations.refusedForStore();
    return failure(message, opts);
  }
  const cleared = answer;
  const id = `plan_${randomBytes(6).toString('hex')}`;
  try {
    const approval = cleared.approval ? { approval: cleared.approval } : {};
    audit('request', 'sending', { decision: cleared.decision, plan: id, ...approval });
    const outcome = await execute(id, epoch, cleared.reading, ctx, cleared.approval);
    audit('result', outcome.failed.length === 0 ? 'succeeded' : 'failed', { decision: cleared.decision, plan: id, ...approval, message: `${outcome.done.length} done, ${outcome.failed.length} failed, ${outcome.not_started.length} not started` });
    return success(report(definition.name, id, outcome), opts);
  } finally {
    cleared.lock.release();
  }

  function gate() {
    return confirmGate<Planned>(
    {
      name: definition.name,
      bound,
      lockKey: `plan ${definition.name} ${digest(bound)}`,
      read: async () => {
        const planned = await plan(definition, bound as z.infer<z.ZodObject<S>>, ctx);
        if ('refused' in planned) {
          audit('final', 'refused', { decision: 'plan_refused', message: planned.refused });
          return { result: failure(planned.refused, opts) };
        }
        if (planned.draft.steps.length === 0) {
          return { result: success({ status: 'nothing_to_do', plan: planned.draft.summary, note: planned.draft.nothing ?? 'Nothing is left to do.', ...shown(planned.draft) }, opts) };
        }
        return { reading: planned };
      },
      stateOf: bindable,
      checks: (planned) =>
        planned.draft.steps.flatMap((s, i) => {
          const target = planned.targets[i];
          const path = target ? ctx.targetPath(s.tool, s.args) : undefined;
          return target && path ? [{ path, digest: stateDigest(target) as string }] : [];
        }),
      ask: async (planned) => describeForHuman(definition.title, planned),
      preview: async (planned, issued) =>
        success(
          {
            status: 'confirmation_required',
            plan: planned.draft.summary,
            steps: planned.draft.steps.map((s, i) => ({
              step: i + 1,
              tool: s.tool,
              args: s.args,
              ...(s.after ? { after: s.after } : {}),
              ...boundLater(s.args, planned.draft.steps),
              ...(planned.targets[i]?.found ? { target: isoTimes(planned.targets[i]?.state) } : {}),
              effect: s.effect,
            })),
            ...shown(planned.draft, issued.warning),
            confirmation_token: issued.token,
            expires_at: new Date(issued.expiresAt).toISOString(),
            next_step: `Nothing has changed yet. Show this plan to the user; if they agree, call ${definition.name} again with the same arguments plus confirm set to confirmation_token (valid 5 minutes, once, for the whole plan).`,
          },
          opts,
        ),
    },
    typeof confirm === 'string' ? confirm : undefined,
    ctx,
    (outcome, extra) => audit('final', outcome, extra),
  );
  }
}

/** Runs `work` with the cleared plan's lock; on an error the lock is let go before it is thrown on. */
async function held<T>(cleared: Cleared<Planned>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    cleared.lock.release();
    throw error;
  }
}

/** The draft, checked against the policy step by step, with every target read. */
async function plan<S extends ZodRawShape>(definition: WorkflowDefinition<S>, args: z.infer<z.ZodObject<S>>, ctx: WorkflowContext): Promise<Planned | { refused: string }> {
  const draft = await definition.draft(args, ctx);
  const refusals = draft.steps.flatMap((s, i) => {
    const why = ctx.refusal(s.tool, s.args);
    return why === undefined ? [] : [`step ${i + 1} (${s.tool}): ${why}`];
  });
  if (refusals.length > 0) {
    return { refused: `${definition.name} refused: this server or your access does not allow every step of the plan, so none was shown or run.\n${refusals.join('\n')}` };
  }
  // Every step's arguments are checked now, values bound later included, so no step fails on its
  // arguments after earlier ones changed something.
  const invalid = draft.steps.flatMap((s, i) => stepProblems(draft.steps, i, ctx).map((why) => `step ${i + 1} (${s.tool}): ${why}`));
  if (invalid.length > 0) {
    return { refused: `${definition.name} refused: the plan's steps are not all valid, so none was shown or run.\n${invalid.join('\n')}` };
  }
  const [targets, refused] = await Promise.all([
    mapLimited(draft.steps, PLAN_CONCURRENCY, (s) => (s.target ? Promise.resolve(s.target) : hasRef(s.args) ? Promise.resolve(undefined) : ctx.target(s.tool, s.args))),
    // A step the API's rules make certain to fail (a change in an archived project) is not offered.
    mapLimited(draft.steps, PLAN_CONCURRENCY, (s) => (hasRef(s.args) ? Promise.resolve(undefined) : ctx.apiRefusal(s.tool, s.args))),
  ]);
  const warnings = [...draft.warnings];
  const keep = draft.steps.map((s, i) => {
    // A delete whose target is gone since the lists were read has nothing left to do.
    if (targets[i] && !targets[i]?.found && s.tool.endsWith('_delete')) return false;
    const why = refused[i];
    if (why !== undefined) warnings.push(willBeRefused(`step ${i + 1} (${s.tool} ${JSON.stringify(s.args)}) is left out of the plan: ${why}`));
    return why === undefined;
  });
  // A step that takes a value from a step left out cannot run either.
  draft.steps.forEach((s, i) => {
    const from = refsIn(s.args).find(({ ref: r }) => keep[i] && !keep[r.from_step - 1]);
    if (!from) return;
    keep[i] = false;
    warnings.push(willBeRefused(`step ${i + 1} (${s.tool}) is left out of the plan: it takes ${from.path} from step ${from.ref.from_step}, which is left out`));
  });
  if (keep.every(Boolean)) return { draft, targets };
  const renumber = new Map<number, number>();
  draft.steps.forEach((_, i) => keep[i] && renumber.set(i + 1, renumber.size + 1));
  const renumbered = (v: unknown): unknown =>
    isRef(v) ? { ...v, from_step: renumber.get(v.from_step) } : Array.isArray(v) ? v.map(renumbered) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renumbered(x)])) : v;
  const steps = draft.steps
    .filter((_, i) => keep[i])
    .map((s) => ({ ...s, args: renumbered(s.args) as Record<string, unknown>, ...(s.after ? { after: s.after.flatMap((n) => renumber.get(n) ?? []) } : {}) }));
  return { draft: { ...draft, steps, warnings }, targets: targets.filter((_, i) => keep[i]) };
}

/** What the token is bound to: every step's tool and arguments, and every target's state. */
function bindable(planned: Planned): unknown {
  return { steps: planned.draft.steps.map((s) => ({ tool: s.tool, args: s.args, after: s.after ?? [] })), targets: planned.targets.map(stateDigest) };
}

const stateDigest = (target: Planned['targets'][number]) => (target === undefined ? null : digest(target.found ? target.state : null));

function shown(draft: Draft, tokenWarning?: string): Record<string, unknown> {
  return { ...withWarnings(draft.warnings, tokenWarning), ...(draft.facts ? { facts: isoTimes(draft.facts) } : {}) };
}

function describeForHuman(title: string, planned: Planned): string {
  // The human approves what this text shows, so nothing in it may render deceptively.
  const lines = [`${title}: ${planned.draft.summary}`, 'Steps:'];
  planned.draft.steps.forEach((s, i) => lines.push(`${i + 1}. ${s.tool} ${inertJson(readableRefs(s.args))}: ${s.effect}`));
  if (planned.draft.warnings.length > 0) lines.push('Warnings:', ...planned.draft.warnings.map((w) => `- ${w}`));
  if (planned.draft.facts) lines.push(`Facts (data from the API): ${inertJson(isoTimes(planned.draft.facts))}`);
  lines.push('Approve the whole plan?');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Running a confirmed plan

interface Outcome {
  done: Array<{ step: number; tool: string; args: Record<string, unknown>; result?: Record<string, unknown>; note?: string }>;
  failed: Array<{ step: number; tool: string; args: Record<string, unknown>; why: string; may_have_happened: boolean }>;
  not_started: Array<{ step: number; tool: string; args: Record<string, unknown> }>;
}

async function execute(id: string, epoch: string, planned: Planned, ctx: WorkflowContext, approval?: ApprovalStamp): Promise<Outcome> {
  const steps = planned.draft.steps;
  const results = new Map<number, Record<string, unknown>>();
  const outcome: Outcome = { done: [], failed: [], not_started: [] };
  const finished = new Set<number>();
  let stopped = false;
  // Waves: every step whose prerequisites are done, side by side; the first failure stops the plan.
  for (;;) {
    const ready = steps.map((s, i) => ({ s, n: i + 1 })).filter(({ s, n }) => !finished.has(n) && (s.after ?? []).every((d) => results.has(d)));
    if (ready.length === 0 || stopped) break;
    await mapLimited(ready, PLAN_CONCURRENCY, async ({ s, n }) => {
      if (stopped) return;
      finished.add(n);
      const bound = resolveRefs(s.args, results);
      if ('missing' in bound) {
        // Nothing is sent with a value that is not there: the step fails, and the plan stops.
        stopped = true;
        outcome.failed.push({ step: n, tool: s.tool, args: s.args, why: `not sent: ${bound.missing}.`, may_have_happened: false });
        return;
      }
      const args = bound.args;
      const target = planned.targets[n - 1];
      const run = await ctx.step(s.tool, args, { plan: id, step: n, epoch, ...(target !== undefined ? { state: stateDigest(target) as string } : {}), ...(approval ? { approval } : {}) });
      const ended = settle(run);
      if (ended.ok) {
        results.set(n, ended.data);
        outcome.done.push({ step: n, tool: s.tool, args, ...(run.read ? { note: 'read; nothing changed' } : kept(s.tool, ended.data)) });
      } else {
        stopped = true;
        outcome.failed.push({ step: n, tool: s.tool, args, why: ended.why, may_have_happened: ended.mayHaveHappened });
      }
    });
  }
  steps.forEach((s, i) => {
    if (!finished.has(i + 1)) outcome.not_started.push({ step: i + 1, tool: s.tool, args: s.args });
  });
  outcome.done.sort((a, b) => a.step - b.step);
  outcome.failed.sort((a, b) => a.step - b.step);
  return outcome;
}

/** How a step ended, from its result and its last audit line (the executor's own record of the outcome). */
function settle(run: StepRun): { ok: true; data: Record<string, unknown> } | { ok: false; why: string; mayHaveHappened: boolean } {
  const data = (run.result.structuredContent ?? {}) as Record<string, unknown>;
  // A read is never audited: its result alone says how it ended.
  if (!run.result.isError && (run.read === true || run.line?.outcome === 'succeeded' || run.line?.outcome === 'skipped')) return { ok: true, data };
  const text = (run.result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { ok: false, why: text || 'the step did not report an outcome', mayHaveHappened: run.line?.may_have_happened === true };
}

/** What a done step's result adds to the report: what a create made (and a secret shown once), or a note. */
function kept(tool: string, data: Record<string, unknown>): { result?: Record<string, unknown>; note?: string } {
  if (data.already_gone === true) return { note: 'already gone; nothing was sent' };
  if (tool.endsWith('_delete') || data.status === 'done') return typeof data.note === 'string' ? { note: data.note } : {};
  return { result: data };
}

function report(name: string, id: string, outcome: Outcome): Record<string, unknown> {
  const total = outcome.done.length + outcome.failed.length + outcome.not_started.length;
  const status = outcome.failed.length === 0 ? 'done' : 'stopped';
  const next =
    status === 'done'
      ? `All ${total} steps are done.`
      : `The plan stopped at its first failure. Call ${name} again (without confirm) to plan what is left from the current state; steps already done are not repeated.${
          outcome.failed.some((f) => f.may_have_happened) ? ' A step marked may_have_happened may have taken effect: the new plan reads the current state, so it leaves out what did.' : ''
        }`;
  return {
    status,
    plan_id: id,
    done: outcome.done,
    ...(outcome.failed.length > 0 ? { failed: outcome.failed } : {}),
    ...(outcome.not_started.length > 0 ? { not_started: outcome.not_started } : {}),
    next_step: next,
  };
}

// ---------------------------------------------------------------------------------------------
// Step references

export const ref = (step: number, field = 'id', where?: Record<string, string>): StepRef => ({ from_step: step, ...(where ? { where } : {}), field });

function isRef(value: unknown): value is StepRef {
  return typeof value === 'object' && value !== null && typeof (value as StepRef).from_step === 'number' && typeof (value as StepRef).field === 'string';
}

function hasRef(value: unknown): boolean {
  return refsIn(value).length > 0;
}

/** Every reference in a step's arguments, with the dotted path of the argument it fills. */
function refsIn(value: unknown, path = ''): Array<{ path: string; ref: StepRef }> {
  if (isRef(value)) return [{ path, ref: value }];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : typeof value === 'object' && value !== null ? Object.entries(value) : [];
  return entries.flatMap(([k, v]) => refsIn(v, path === '' ? k : `${path}.${k}`));
}

/** What a reference stands for, in words: "id from step 1 (projects_create)". */
function describeRef(r: StepRef, steps: readonly StepDraft[]): string {
  const tool = steps[r.from_step - 1]?.tool ?? 'unknown';
  const which = r.where ? ` of the item with ${Object.entries(r.where).map(([k, v]) => `${k} '${v}'`).join(' and ')}` : '';
  return `${r.field}${which} from step ${r.from_step} (${tool})`;
}

/** The preview's account of a step's values bound at run time, argument by argument. */
function boundLater(args: Record<string, unknown>, steps: readonly StepDraft[]): { bound_later?: Record<string, string> } {
  const refs = refsIn(args);
  return refs.length === 0 ? {} : { bound_later: Object.fromEntries(refs.map(({ path, ref: r }) => [path, describeRef(r, steps)])) };
}

/** Arguments as a person reads them: each reference as `‹id from step 1›`. */
function readableRefs(args: Record<string, unknown>): unknown {
  const walk = (v: unknown): unknown => {
    if (isRef(v)) return `‹${v.field}${v.where ? ` where ${Object.entries(v.where).map(([k, x]) => `${k}=${x}`).join(',')}` : ''} from step ${v.from_step}›`;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(args);
}

/** Steps that must be done before step `index` (0-based) starts, directly or through others. */
function prerequisites(steps: readonly StepDraft[], index: number): Set<number> {
  const seen = new Set<number>();
  const visit = (n: number) => {
    for (const d of steps[n - 1]?.after ?? []) {
      if (d >= n || seen.has(d)) continue;
      seen.add(d);
      visit(d);
    }
  };
  visit(index + 1);
  return seen;
}

/** Stand-in for a value bound at run time while the arguments are checked: a well-formed ID. */
const BOUND_LATER = 'bound_at_run_time';

/**
 * Why a step cannot run as drafted: a reference to a step it does not wait for, or arguments its
 * tool refuses (values bound later stand in as a well-formed ID).
 */
function stepProblems(steps: readonly StepDraft[], index: number, ctx: WorkflowContext): string[] {
  const step = steps[index] as StepDraft;
  const before = prerequisites(steps, index);
  const problems = refsIn(step.args)
    .filter(({ ref: r }) => !before.has(r.from_step))
    .map(({ path, ref: r }) => `${path} takes a value from step ${r.from_step}, which ${r.from_step > index ? 'comes later' : 'it does not wait for'}`);
  const stand = (v: unknown): unknown => (isRef(v) ? BOUND_LATER : Array.isArray(v) ? v.map(stand) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stand(x)])) : v);
  const invalid = ctx.invalid(step.tool, stand(step.args) as Record<string, unknown>);
  return invalid === undefined ? problems : [...problems, invalid];
}

/** The arguments with every reference filled from the results so far, or what could not be filled. */
function resolveRefs(value: Record<string, unknown>, results: ReadonlyMap<number, Record<string, unknown>>): { args: Record<string, unknown> } | { missing: string } {
  let missing: string | undefined;
  const walk = (v: unknown, path: string): unknown => {
    if (isRef(v)) {
      const found = pickRef(v, results.get(v.from_step));
      if (found === undefined) missing ??= `${path} was to be ${v.field}${v.where ? ` of the item with ${JSON.stringify(v.where)}` : ''} from step ${v.from_step}'s result, which has no such value`;
      return found;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path === '' ? k : `${path}.${k}`)]));
    return v;
  };
  const args = walk(value, '') as Record<string, unknown>;
  return missing === undefined ? { args } : { missing };
}

/** The value a reference names in a step's result: a field of the result, or of its one matching `data` item. */
function pickRef(r: StepRef, result: Record<string, unknown> | undefined): unknown {
  if (!result) return undefined;
  if (!r.where) return result[r.field];
  const items = Array.isArray(result.data) ? (result.data as Array<Record<string, unknown>>) : [];
  const where = Object.entries(r.where);
  const matches = items.filter((item) => where.every(([k, v]) => item[k] === v));
  return matches.length === 1 ? matches[0]?.[r.field] : undefined;
}
