import { z } from 'zod';
import { FAN_OUT } from '../reports/names.js';
import { DEFAULT_MAX_RESULT_TOKENS, fitToBudget, resultTokens } from '../server/results/budget.js';
import { META_NAMES } from '../server/listing/meta-listing.js';
import { failure, success, type ToolResult } from '../server/results/results.js';
import type { ScriptBridge, ScriptRunner } from '../server/hosts/script.js';
import { declarations } from './declarations.js';
import { runIsolate, type IsolateOutcome } from './isolate.js';
import { limitArguments, limitHit, limitsFrom, MAX_CALL_ARGUMENT_CHARS, MAX_CODE_CHARS, type ScriptLimits } from './limits.js';
import { planSteps, scriptPlan, type PlannedStep } from './plan.js';

/*
 * run_script (PRODUCT.md §13): the long tail of questions in one call. A script runs in its own
 * QuickJS isolate (isolate.ts); each `api.<tool>(args)` comes to `call` below and from there to the
 * server's own dispatch (ScriptBridge), so it meets the policy a direct call meets. Reads run, side
 * by side up to the reports' fan-out; writes run never: each is checked as a direct call would be
 * and becomes a step of one plan, previewed with one token once the script has ended. A script
 * that fails plans nothing.
 */

const input = z
  .object({
    code: z.string().min(1).max(MAX_CODE_CHARS).optional(),
    ...limitArguments,
    steps: planSteps.optional(),
    confirm: z.string().optional(),
  })
  .strict();

export const scriptRunner: ScriptRunner = {
  input,
  plan: scriptPlan,
  declarations,
  run: (args, bridge) => runScript(args as z.infer<typeof input>, bridge),
};

async function runScript(args: z.infer<typeof input>, bridge: ScriptBridge): Promise<ToolResult> {
  const opts = { sandbox: bridge.sandbox };
  if (args.steps !== undefined) {
    if (args.code !== undefined) return failure('run_script: give code (to run a script) or steps (to confirm its plan), not both.', opts);
    // The plan a script made, confirmed: its steps run through the plan engine; the script does not run again.
    return bridge.runPlan({ steps: args.steps, ...(args.confirm !== undefined ? { confirm: args.confirm } : {}) });
  }
  if (args.confirm !== undefined) return failure('run_script: confirm goes with the steps the preview gave: call run_script with { steps, confirm } exactly as its confirm_with shows. The script is not run again.', opts);
  if (args.code === undefined) return failure('Invalid arguments for run_script:\n- code: required; provide the script, an async function body such as `const p = await api.projects_list({}); return p.data.length;`.', opts);

  const limits = limitsFrom(args);
  const state = new ScriptState(bridge, limits);
  let outcome: IsolateOutcome;
  try {
    outcome = await runIsolate({ code: args.code, names: bridge.tools.map((t) => t.name), limits, host: state, signal: state.signal });
  } finally {
    // Whatever ended the script, nothing it started goes on.
    state.stop();
  }
  if (!outcome.ok) {
    const why = describeEnd(outcome, limits);
    const logs = outcome.logs.length > 0 ? `\nConsole output:\n${outcome.logs.join('\n').slice(0, 4_000)}` : '';
    const planned = state.steps.length > 0 ? ` The ${state.steps.length} write${state.steps.length === 1 ? '' : 's'} it asked for were not planned: a script that fails plans nothing.` : '';
    return failure(`run_script (${bridge.id}) failed after ${state.calls} API call${state.calls === 1 ? '' : 's'}: ${why}${planned}${logs}`, opts);
  }

  const answer = {
    script_id: bridge.id,
    calls: state.calls,
    result: JSON.parse(outcome.json) as unknown,
    ...(outcome.logs.length > 0 ? { console: outcome.logs } : {}),
  };
  if (state.steps.length === 0) return success(fit(answer, bridge.maxResultTokens), opts);

  // The writes it asked for: one plan, through the one confirmation gate.
  const planned = await bridge.runPlan({ steps: state.steps });
  if (planned.isError) {
    const text = (planned.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    return failure(`run_script (${bridge.id}) ran (${state.calls} calls), but the plan of its ${state.steps.length} writes was refused: ${text}`, opts);
  }
  // The plan's own next step and token speak of calling the plan again; confirm_with says it for a script.
  const { confirmation_token: token, next_step: _next, ...plan } = (planned.structuredContent ?? {}) as Record<string, unknown>;
  const confirmWith = typeof token === 'string' ? { steps: state.steps, confirm: token } : undefined;
  const tail = {
    plan,
    ...(confirmWith
      ? {
          confirm_with: confirmWith,
          next_step: `Nothing has changed yet. Show the plan to the user; if they agree, call run_script with exactly confirm_with's arguments (steps and confirm). That runs the ${state.steps.length} planned write${state.steps.length === 1 ? '' : 's'} once; the script itself is not run again.`,
        }
      : {}),
  };
  // The plan and its token are never cut: the budget left goes to the script's own result.
  const room = Math.max(1_000, bridge.maxResultTokens - resultTokens(tail));
  return success({ ...fit(answer, room), ...tail }, opts);
}

function fit(answer: Record<string, unknown>, budget: number): Record<string, unknown> {
  return fitToBudget(answer, budget || DEFAULT_MAX_RESULT_TOKENS, { tool: 'run_script', kind: 'other', narrow: 'return less: counts and IDs rather than whole objects' });
}

function describeEnd(outcome: Extract<IsolateOutcome, { ok: false }>, limits: ScriptLimits): string {
  switch (outcome.kind) {
    case 'memory':
      return limitHit.memory(limits);
    case 'time':
      // A heap near its limit makes QuickJS collect garbage on every allocation: a memory bomb ends here, by time.
      return outcome.memoryUsed !== undefined && outcome.memoryUsed > limits.memoryBytes / 3
        ? `${limitHit.time(limits)} It held ${Math.round(outcome.memoryUsed / 1024 / 1024)} MB of its ${limits.memoryBytes / 1024 / 1024} MB (memory_mb) by then: keep less data.`
        : limitHit.time(limits);
    case 'stack':
      return limitHit.stack();
    case 'cancelled':
      return limitHit.cancelled();
    case 'result':
      return limitHit.result();
    case 'syntax':
      return `the code does not parse: ${outcome.message}. Write an async function body in plain JavaScript (no TypeScript types), ending with return.`;
    default:
      return `the script threw ${outcome.message}`;
  }
}

/** One script's calls, steps and output, as the isolate's host. */
class ScriptState {
  calls = 0;
  readonly steps: PlannedStep[] = [];
  private readonly controller = new AbortController();
  readonly signal: AbortSignal;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly bridge: ScriptBridge,
    private readonly limits: ScriptLimits,
  ) {
    const outer = bridge.session.signal;
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  stop(): void {
    this.controller.abort();
    for (const wake of this.waiting.splice(0)) wake();
  }

  async call(name: string, argsJson: string): Promise<string> {
    if (this.signal.aborted) return refuse(limitHit.cancelled());
    if (this.calls >= this.limits.maxCalls) return refuse(limitHit.calls(this.limits));
    const n = ++this.calls;
    if (argsJson.length > MAX_CALL_ARGUMENT_CHARS) return refuse(`${name}: the arguments are over ${MAX_CALL_ARGUMENT_CHARS} characters of JSON; send less.`);
    const args = JSON.parse(argsJson) as unknown;
    if (META_NAMES.has(name)) {
      return refuse(`${name} cannot be called from a script: call tools as api.<tool>(args). ${name === 'run_script' ? 'A script cannot start another script.' : 'Every tool you may call is already on api.'}`);
    }
    const tool = this.bridge.find(name);
    if (tool && tool.effect !== 'read') return this.plan(name, args, n, tool.workflow !== undefined, tool.fixed);
    await this.turn();
    try {
      if (this.signal.aborted) return refuse(limitHit.cancelled());
      const result = await this.bridge.call(name, args, n, this.signal);
      if (result.isError) return refuse((result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n'));
      return JSON.stringify({ ok: true, data: result.structuredContent ?? {} });
    } catch (error) {
      return refuse(`${name} failed in the server: ${(error as Error).message}`);
    } finally {
      this.leave();
      this.bridge.session.progress?.(n, this.limits.maxCalls);
    }
  }

  /** A write: checked as a direct call, then a step of the plan; its answer is a placeholder. */
  private plan(name: string, args: unknown, n: number, isWorkflow: boolean, fixed: Record<string, unknown>): string {
    this.bridge.session.progress?.(n, this.limits.maxCalls);
    if (isWorkflow) return refuse(`${name} is a workflow with its own plan and preview: call it directly, not from a script. A script can plan the single calls it would make.`);
    if (args !== null && typeof args === 'object' && ('confirm' in args || 'dry_run' in args)) {
      return refuse(`${name}: confirm and dry_run have no place in a script. Writes are never run inside one: each becomes a plan step, previewed with one confirmation token when the script ends.`);
    }
    const refused = this.bridge.planStep(name, args, n);
    if (refused !== undefined) return refuse(refused);
    this.steps.push({ tool: name, args: { ...(args as Record<string, unknown>), ...fixed } });
    const step = this.steps.length;
    return JSON.stringify({ ok: true, data: { pending: true, step, tool: name, note: `Not run: added to the plan as step ${step}. The plan is previewed with one confirmation token when the script ends.` } });
  }

  /** Calls in flight at once, at most the reports' fan-out. */
  private async turn(): Promise<void> {
    if (this.running < FAN_OUT) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
  }

  private leave(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}

function refuse(message: string): string {
  return JSON.stringify({ ok: false, error: message });
}
