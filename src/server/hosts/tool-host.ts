import { randomBytes } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { buildPath, type AdminClient, type WindowProgress } from '../../client/index.js';
import { endpointTools } from '../../../tools/index.js';
import type { ConfirmWith } from '../../config.js';
import { checkArguments, describeArgumentProblem, type ArgumentProblem } from '../gate/argument-limits.js';
import type { Approvals, CallApproval } from '../gate/approval.js';
import { attributed, type AuditSink } from '../gate/audit.js';
import type { Logger } from '../../log.js';
import { Confirmations, type ConfirmationObserver } from '../gate/confirm.js';
import type { ConfirmationStore } from '../gate/confirmation-store.js';
import type { EndpointTool, Toolset } from '../../../tools/define.js';
import { executeEndpoint, readTarget, type ExecContext } from '../execution/executor.js';
import { buildInstructions } from '../listing/instructions.js';
import { certainRefusal } from '../gate/preview.js';
import { DEFAULT_MAX_RESULT_TOKENS, fitToBudget } from '../results/budget.js';
import type { CallSession, Host } from './host.js';
import { META_LISTINGS, metaListings, RUN_SCRIPT_LISTING } from '../listing/meta-listing.js';
import { ENDPOINT_META_KEY } from './endpoints-resource.js';
import type { ScriptBridge, ScriptRunner } from './script.js';
import { hiddenBecause, summariseHidden, type HidingSettings } from '../listing/hidden.js';
import { allTools, knownNames, registerWorkflow, type CompositeTool, type RegisteredTool, type WorkflowTool } from '../listing/registry.js';
import type { AuditEntry } from '../gate/audit.js';
import type { WorkflowContext } from '../gate/workflow.js';
import { plan, type ListingMode } from '../listing/selection.js';
import { NameDirectory } from '../../reports/names.js';
import { ReportError } from '../../reports/report.js';
import { describeFailure, describeValidation, failure, success, type ToolResult } from '../results/results.js';
import { compactInput, descriptionRestatesName, titleRestatesName, toJsonSchema, type JsonSchema } from '../listing/schema.js';

/** The server's own settings from its flags (not the --policy file's OAuth rules: access/policy.ts). */
export interface ServerFlags {
  readOnly: boolean;
  /** How destructive calls are confirmed. Default `auto`: elicitation where the client offers it, else tokens. */
  confirmWith?: ConfirmWith;
  toolsets?: readonly string[];
  tools?: readonly string[];
  project?: string;
  dynamic: boolean;
  redactSecrets: boolean;
  confirmSecret?: string;
  /** The token budget of one result (`--max-result-tokens`); default 8,000. */
  maxResultTokens?: number;
}

export interface ServerDeps extends ServerFlags {
  client: AdminClient;
  sandbox: boolean;
  logger: Logger;
  composites?: readonly CompositeTool[];
  /** The workflow tools (src/plans), handed in so that this folder never imports them. */
  workflows?: readonly WorkflowTool[];
  /** run_script (src/scripts), handed in likewise; absent with `--scripts off`. */
  scripts?: ScriptRunner;
  /** The audit trail for write attempts (`--audit-log`). */
  audit?: AuditSink;
  /** Clock for confirmation tokens (ms). Tests inject one. */
  now?: () => number;
  /** Used confirmation tokens and per-target locks; default in memory, which holds for this process. */
  confirmationStore?: ConfirmationStore;
  /** Counts confirmations issued, used and refused (`GET /metrics`). */
  confirmationObserver?: ConfirmationObserver;
  /** Approvals by a signed-in person (`--confirm-with approval`), for the calls the policy names. */
  approvals?: Approvals;
}

/** What a running server exposes and how it dispatches: shared by MCP transports and `call`. */
export class ToolHost implements Host {
  /** Every tool the operator allowed: callable by name and through call_tool, listed or not. */
  readonly exposed: RegisteredTool[];
  /** The endpoint and report tools `tools/list` shows (see selection.ts for the modes). */
  readonly listed: RegisteredTool[];
  readonly mode: ListingMode;
  readonly instructions: string;
  private readonly withMeta: boolean;
  private readonly byName: Map<string, RegisteredTool>;
  /** Every tool that exists, exposed or not, so refusals can say why and be audited. */
  private readonly every: Map<string, RegisteredTool>;
  private readonly confirmations: Confirmations;
  /** The directory of names and IDs the reports share; a write drops what it touched. */
  readonly names: NameDirectory;

  constructor(private readonly deps: ServerDeps) {
    const all = allTools(deps.project, deps.composites ?? [], deps.workflows ?? []);
    const planned = plan(all, deps, knownNames(deps.composites ?? [], deps.workflows ?? []));
    this.exposed = planned.callable;
    this.listed = planned.listed;
    this.mode = planned.mode;
    this.withMeta = planned.meta;
    this.byName = new Map(this.exposed.map((t) => [t.name, t]));
    this.every = new Map(all.map((t) => [t.name, t]));
    this.confirmations = new Confirmations(deps.confirmSecret, deps.now, deps.confirmationStore, deps.confirmationObserver);
    this.names = new NameDirectory(deps.client, { now: deps.now });
    this.instructions = this.instructionsFor({ toolsets: new Set(this.exposed.map((t) => t.toolset as Toolset)), readOnly: deps.readOnly, mode: this.mode });
  }

  instructionsFor(view: { toolsets: ReadonlySet<Toolset>; readOnly: boolean; mode: ListingMode }): string {
    return buildInstructions({ ...view, readOnly: view.readOnly || this.deps.readOnly, sandbox: this.deps.sandbox, project: this.deps.project });
  }

  /** The `tools/list` answer: the listed tools, then the meta-tools where the mode has them. */
  listTools(): Tool[] {
    return [...this.listed.map(listing), ...(this.withMeta ? metaListings(this.deps.scripts !== undefined) : [])];
  }

  entries(): Array<{ tool: Tool; toolset: Toolset; effect: RegisteredTool['effect']; endpoint?: string }> {
    return this.exposed.map((t) => ({ tool: listing(t), toolset: t.toolset, effect: t.effect, ...endpointField(t) }));
  }

  async call(name: string, args: unknown, session: CallSession = {}): Promise<ToolResult> {
    const started = performance.now();
    const meta = this.withMeta ? META_TOOLS.find((m) => m.listing.name === name) : undefined;
    // The door: limits on depth, size and text are checked before anything else reads the arguments.
    const problem = checkArguments(args);
    const result = problem
      ? this.refuseArguments(name, args, meta !== undefined, problem, session)
      : name === RUN_SCRIPT_LISTING.name
        ? await this.runScript(args, session)
        : meta
          ? await meta.run(this, args, session)
          : await this.callTool(name, args, session);
    // Names and outcomes only: arguments and results can hold user data and one-time secrets.
    this.deps.logger.debug('tool call', { tool: name, ms: Math.round(performance.now() - started), error: result.isError === true });
    return result;
  }

  /** Dispatches one tool by name under the full policy; dynamic `call_tool` comes through here too. */
  async callTool(name: string, args: unknown, session: CallSession = {}): Promise<ToolResult> {
    const tool = this.byName.get(name);
    const opts = { sandbox: this.deps.sandbox };
    if (!tool) {
      const hidden = this.every.get(name);
      if (hidden) {
        // The refusal names what was refused and the setting that would allow it (listing/hidden.ts).
        const why = hiddenBecause(hidden, this.hiding({})) ?? 'this server does not enable it';
        const message = `${name} refused: ${why}. Nothing was sent${targetOf(hidden, args)}.`;
        return this.refusal(hidden, args, this.deps.readOnly && hidden.effect !== 'read' ? 'read_only' : 'not_enabled', undefined, message, session);
      }
      const unscoped = endpointTools.find((t) => t.name === name);
      if (this.deps.project && unscoped) {
        return failure(`${name} refused: ${hiddenBecause(unscoped, this.hiding({}))}. Nothing was sent${targetOf(unscoped, args)}.`, opts);
      }
      return failure(`Unknown tool '${name}'. ${this.withMeta ? 'Use search_tools to find one.' : 'List the tools to see what exists.'}`, opts);
    }
    const forbidden = session.permit?.(name, args);
    if (forbidden !== undefined) return this.refusal(tool, args, 'not_permitted', forbidden, forbidden, session);
    const ctx = this.execContext(session, tool);
    if (tool.composite) return this.runComposite(tool, args, session);
    if (tool.workflow) return this.runWorkflow(tool, args, session, ctx);
    try {
      return await executeEndpoint(tool, args, ctx);
    } finally {
      // Our own write must never be answered from a cached name list.
      if (tool.effect !== 'read') this.names.directory.invalidateWrite(tool.endpoint?.path, args);
    }
  }

  /**
   * Arguments refused at the door. Through call_tool the refusal belongs to the tool it names, so a
   * refused write is audited under that tool's name like any other refused write.
   */
  private refuseArguments(name: string, args: unknown, viaMeta: boolean, problem: ArgumentProblem, session: CallSession): ToolResult {
    const inner = viaMeta && name === 'call_tool' && isRecord(args) && typeof args.name === 'string' ? args.name : undefined;
    const target = inner ?? name;
    const toolArgs = inner !== undefined ? (args as Record<string, unknown>).arguments : args;
    // Named from inside the tool's own arguments where the problem lies there, as a direct call would.
    const found = (inner !== undefined ? checkArguments(toolArgs) : null) ?? problem;
    const message = describeArgumentProblem(target.length > 80 ? `${target.slice(0, 80)}…` : target, found);
    const tool = this.every.get(target);
    if (!tool) return failure(message, { sandbox: this.deps.sandbox });
    return this.refusal(tool, toolArgs, found.decision, message, message, session);
  }

  /** What the gate needs when the policy says this call needs a person's approval; undefined when it does not. */
  private approvalFor(tool: RegisteredTool, session: CallSession): CallApproval | undefined {
    const approvals = this.deps.approvals;
    if (!approvals || tool.effect === 'read') return undefined;
    const rules = approvals.rulesFor({ name: tool.name, effect: tool.effect, toolset: tool.toolset });
    if (rules.length === 0) return undefined;
    const caller = session.caller;
    const requester = typeof caller === 'object' ? { sub: caller.sub, ...(caller.email ? { email: caller.email } : {}) } : { sub: caller ?? 'local' };
    return {
      approvals,
      rules,
      effect: tool.effect,
      requester,
      ...(session.elicitUrl ? { elicitUrl: session.elicitUrl } : {}),
      ...(session.elicitationComplete ? { complete: session.elicitationComplete } : {}),
    };
  }

  /** The audit trail with this call's caller and session on every line (and its script, for a script's call). */
  private auditFor(session: CallSession): AuditSink | undefined {
    if (!this.deps.audit) return undefined;
    const sink = attributed(this.deps.audit, session.caller ?? 'local', session.sessionId);
    const script = session.script;
    return script ? { record: (entry) => sink.record({ ...entry, script: script.id, call: script.call }) } : sink;
  }

  /**
   * run_script: the script runs in its isolate (src/scripts); each of its calls comes back here,
   * through the door and dispatch of a direct call, with the same session (cancellation, grant,
   * narrowing) and the script's id for the audit log. Its writes are checked as direct calls and
   * become steps of one plan, which the plan engine confirms and runs.
   */
  private async runScript(args: unknown, session: CallSession): Promise<ToolResult> {
    const opts = { sandbox: this.deps.sandbox };
    const runner = this.deps.scripts;
    if (!runner) return failure('run_script refused: scripts are off on this server (--scripts off). Call the tools directly, or ask the operator to start it without --scripts off.', opts);
    const refused = session.permit?.(RUN_SCRIPT_LISTING.name, args);
    if (refused !== undefined) return failure(refused, opts);
    const parsed = runner.input.safeParse(args ?? {});
    if (!parsed.success) return failure(describeValidation(RUN_SCRIPT_LISTING.name, parsed.error, Object.keys(runner.input.shape)), opts);
    const id = `script_${randomBytes(6).toString('hex')}`;
    // A script sees what this caller may call: a person's grant hides the rest (a narrowed session refuses it at dispatch).
    const tools = this.exposed.filter((t) => session.visible?.(t.name) !== false);
    const planTool = registerWorkflow(runner.plan);
    // Checked as a direct call of a script: a policy rule that keeps scripts from a person keeps them from its tools too.
    const scriptPermit = session.permit ? (tool: string, toolArgs: unknown) => session.permit?.(tool, toolArgs, 'script') : undefined;
    const inner: CallSession = { ...session, ...(scriptPermit ? { permit: scriptPermit } : {}), progress: undefined };
    const bridge: ScriptBridge = {
      id,
      tools,
      session,
      sandbox: this.deps.sandbox,
      maxResultTokens: this.deps.maxResultTokens ?? DEFAULT_MAX_RESULT_TOKENS,
      find: (name) => this.byName.get(name) ?? this.every.get(name),
      call: async (name, callArgs, call, signal) => {
        const scoped: CallSession = { ...inner, signal, script: { id, call } };
        const problem = checkArguments(callArgs);
        if (problem) return this.refuseArguments(name, callArgs, false, problem, scoped);
        return this.callTool(name, callArgs, scoped);
      },
      planStep: (name, callArgs, call) => {
        const scoped: CallSession = { ...inner, script: { id, call } };
        const problem = checkArguments(callArgs);
        if (problem) return textOf(this.refuseArguments(name, callArgs, false, problem, scoped));
        const stepArgs = isRecord(callArgs) ? callArgs : {};
        const tool = this.byName.get(name);
        if (!tool) {
          const hidden = this.every.get(name);
          if (!hidden) return `Unknown tool '${name}'.`;
          const why = this.deps.readOnly ? 'the server is read-only (--read-only), so a script cannot add write steps to a plan' : (hiddenBecause(hidden, this.hiding({})) ?? 'this server does not enable it');
          const message = `${name} refused: ${why}. Nothing was sent, and no step was added.`;
          return textOf(this.refusal(hidden, stepArgs, this.deps.readOnly ? 'read_only' : 'not_enabled', message, message, scoped));
        }
        const forbidden = this.callRefusal(name, { ...stepArgs, ...tool.fixed }, scoped);
        if (forbidden !== undefined) return textOf(this.refusal(tool, stepArgs, 'not_permitted', forbidden, forbidden, scoped));
        const valid = tool.input.safeParse(callArgs ?? {});
        if (!valid.success) return describeValidation(tool.name, valid.error, Object.keys(tool.input.shape));
        try {
          this.auditFor(scoped)?.record({ attempt: randomBytes(6).toString('hex'), phase: 'final', tool: name, effect: tool.effect, arguments: stepArgs, outcome: 'preview', decision: 'script_step_planned' });
        } catch (error) {
          return `${name} refused: ${(error as Error).message}. No step was added: a write is not planned without an audit line.`;
        }
        return undefined;
      },
      runPlan: async (planArgs) => {
        const ctx = this.execContext(session, planTool);
        return this.runWorkflow(planTool, planArgs, session, ctx);
      },
    };
    try {
      return await runner.run(parsed.data, bridge);
    } catch (error) {
      // Nothing a script does reaches here; the isolate failing to load would.
      return failure(describeFailure(error, { tool: RUN_SCRIPT_LISTING.name, write: false }), opts);
    }
  }

  /** What the executor needs for one call of this session (and the approval it needs, if the policy asks one). */
  private execContext(session: CallSession, tool?: RegisteredTool): ExecContext {
    return {
      client: session.client ?? this.deps.client,
      confirmations: this.confirmations,
      sandbox: this.deps.sandbox,
      redactSecrets: this.deps.redactSecrets,
      confirmWith: this.deps.confirmWith ?? 'auto',
      audit: this.auditFor(session),
      elicit: session.elicit,
      signal: session.signal,
      maxResultTokens: this.resultBudget(session),
      now: this.deps.now,
      approval: tool ? this.approvalFor(tool, session) : undefined,
    };
  }

  /**
   * The token budget of one result. A script's calls are not cut: their results are data for the
   * script (bounded by its memory), and only what the script returns meets the budget.
   */
  private resultBudget(session: CallSession): number {
    return session.script ? SCRIPT_CALL_TOKENS : (this.deps.maxResultTokens ?? DEFAULT_MAX_RESULT_TOKENS);
  }

  /** A refusal before execution: audited when the tool can write (fail closed if the line cannot be written). */
  private refusal(tool: RegisteredTool, args: unknown, decision: string, auditMessage: string | undefined, message: string, session: CallSession): ToolResult {
    const opts = { sandbox: this.deps.sandbox };
    if (tool.effect !== 'read') {
      try {
        this.auditFor(session)?.record({
          attempt: randomBytes(6).toString('hex'),
          phase: 'final',
          tool: tool.name,
          effect: tool.effect,
          arguments: isRecord(args) ? args : args === undefined ? {} : { value: args },
          outcome: 'refused',
          decision,
          ...(auditMessage !== undefined ? { message: auditMessage } : {}),
        });
      } catch (error) {
        return failure(`${message} (${(error as Error).message})`, opts);
      }
    }
    return failure(message, opts);
  }

  /** Why a call by name would be refused here (not exposed, outside --project, outside the caller's grant), or undefined. */
  private callRefusal(name: string, args: Record<string, unknown>, session: CallSession): string | undefined {
    const tool = this.byName.get(name);
    if (!tool) {
      const hidden = this.every.get(name);
      if (this.deps.readOnly && hidden && hidden.effect !== 'read') return `${name} is refused: the server is read-only`;
      if (this.deps.project && endpointTools.some((t) => t.name === name)) return `${name} is not available when scoped to project ${this.deps.project} (--project): it changes the whole organization`;
      return `${name} is not enabled on this server (see --toolsets and --tools)`;
    }
    const fixed = tool.fixed.project_id;
    if (fixed !== undefined && args.project_id !== undefined && args.project_id !== fixed) return `${name} would change project ${String(args.project_id)}, and this server is scoped to ${String(fixed)} (--project)`;
    return session.permit?.(name, withoutFixed(tool, args));
  }

  /** A workflow: its plan is built, confirmed through the gate and run step by step through the executor. */
  private async runWorkflow(tool: RegisteredTool, args: unknown, session: CallSession, ctx: ExecContext): Promise<ToolResult> {
    const workflow = tool.workflow as WorkflowTool;
    const opts = { sandbox: this.deps.sandbox };
    const parsed = tool.input.safeParse(args ?? {});
    // A workflow can write, so a refusal at its door is audited as an endpoint write's is.
    if (!parsed.success) {
      const message = describeValidation(tool.name, parsed.error, Object.keys(tool.input.shape));
      return this.refusal(tool, args, 'invalid_arguments', message, message, session);
    }
    const names = session.client ? new NameDirectory(ctx.client, { maxAgeMs: Number.POSITIVE_INFINITY }) : this.names;
    // Targets are read from the definitions, so a draft can read one even where its step will be refused.
    const definition = (name: string) => {
      const found = endpointTools.find((t) => t.name === name);
      if (!found) throw new Error(`${tool.name} planned '${name}', which is not an endpoint tool`);
      return found;
    };
    // Reads that tell whether the API will refuse a step, shared by the plan's steps. A project's
    // status comes from the directory when it holds it: archiving is permanent, so a project the
    // directory saw archived still is, and one it saw active is read no more than the API would check.
    const refusalReads = new Map<string, Promise<unknown>>();
    let projectsSeeded: Promise<void> | undefined;
    const seedProjects = () =>
      (projectsSeeded ??= names.projects(ctx.signal).then(
        (projects) => {
          for (const p of projects) refusalReads.set(`/organization/projects/${encodeURIComponent(p.id)}`, Promise.resolve(p));
        },
        () => undefined,
      ));
    const context: WorkflowContext = {
      ...ctx,
      names,
      now: this.deps.now ?? Date.now,
      refusal: (name, stepArgs) => this.callRefusal(name, stepArgs, session),
      target: (name, stepArgs) => readTarget(definition(name), stepArgs, ctx),
      targetPath: (name, stepArgs) => {
        const target = definition(name).target;
        return target ? buildPath(target, stepArgs) : undefined;
      },
      apiRefusal: async (name, stepArgs) => {
        await seedProjects();
        return certainRefusal(ctx.client, definition(name), stepArgs, ctx.signal, refusalReads);
      },
      invalid: (name, stepArgs) => {
        const step = this.byName.get(name);
        const parsed = step?.input.safeParse(withoutFixed(step, stepArgs));
        return step && parsed && !parsed.success ? describeValidation(name, parsed.error, Object.keys(step.input.shape)) : undefined;
      },
      step: async (name, stepArgs, step) => {
        // Checked when the plan was built, and again here: a step never relies on an earlier check alone.
        const endpoint = this.byName.get(name);
        const refused = this.callRefusal(name, stepArgs, session);
        if (!endpoint || refused !== undefined) return { result: failure(refused ?? `${name} is not enabled on this server`, opts) };
        let line: AuditEntry | undefined;
        const audit = { record: (entry: AuditEntry) => (ctx.audit?.record(entry), (line = entry)) };
        try {
          const result = await executeEndpoint(endpoint, withoutFixed(endpoint, stepArgs), { ...ctx, audit, step });
          return { result, line, ...(endpoint.effect === 'read' ? { read: true as const } : {}) };
        } finally {
          names.invalidate();
        }
      },
    };
    // The name lists a preview read stay cached for its confirmation (each step's target is read
    // again under its lock all the same); a step that runs drops them.
    try {
      return await workflow.run(parsed.data, context);
    } catch (error) {
      // Nothing was planned or sent: a name that matches nothing, or a read the API refused.
      const lookup = error instanceof ReportError;
      const message = lookup ? `${tool.name}: ${error.message}` : describeFailure(error, { tool: tool.name, write: false });
      return this.refusal(tool, parsed.data, lookup ? 'lookup_failed' : 'draft_failed', message, message, session);
    }
  }

  private async runComposite(tool: RegisteredTool, args: unknown, session: CallSession): Promise<ToolResult> {
    const composite = tool.composite;
    const opts = { sandbox: this.deps.sandbox };
    if (!composite) throw new Error(`${tool.name} is not a composite tool`);
    const parsed = tool.input.safeParse(args ?? {});
    if (!parsed.success) return failure(describeValidation(tool.name, parsed.error, Object.keys(tool.input.shape)), opts);
    try {
      const client = session.client ?? this.deps.client;
      // A key from the request's headers gets a directory of its own for this call: names read with
      // one caller's key are never served to another.
      const shared = session.client ? new NameDirectory(session.client, { maxAgeMs: Number.POSITIVE_INFINITY }) : this.names;
      const names = isRecord(parsed.data) && parsed.data.fresh === true ? shared.fresh() : shared;
      const progress = session.progress ? windowCounter(session.progress) : undefined;
      const data = await composite.run({ ...parsed.data, ...tool.fixed }, { client, names, signal: session.signal, now: this.deps.now ?? Date.now, progress });
      // Reports are cut like any result: at item boundaries of their arrays, saying what was cut.
      const budget = this.resultBudget(session);
      return success(fitToBudget(data, budget, { tool: tool.name, kind: 'other', narrow: 'a shorter period, fewer groupings or a narrower filter' }), opts);
    } catch (error) {
      if (error instanceof ReportError) return failure(`${tool.name}: ${error.message}`, opts);
      return failure(describeFailure(error, { tool: tool.name, write: false }), opts);
    }
  }

  find(name: string): RegisteredTool | undefined {
    return this.byName.get(name);
  }

  /** describe_tool run_script: its listing and the `api` it offers this caller, as TypeScript. */
  describeScripts(session: CallSession): ToolResult {
    const runner = this.deps.scripts;
    if (!runner) return failure('run_script exists, but is hidden here: scripts are off on this server (--scripts off).');
    const refused = session.permit?.(RUN_SCRIPT_LISTING.name, {});
    if (refused !== undefined) return failure(`run_script exists, but is hidden here: ${refused}.`);
    const tools = this.exposed.filter((t) => session.visible?.(t.name) !== false);
    return success({ ...RUN_SCRIPT_LISTING, api: runner.declarations(tools) } as Record<string, unknown>);
  }

  /** What narrows this server for one caller: the operator's settings and the caller's grant. */
  hiding(session: CallSession): HidingSettings {
    return { readOnly: this.deps.readOnly, project: this.deps.project, exposed: new Set(this.byName.keys()), scoped: new Set(this.every.keys()), visible: session.visible };
  }

  /** Every tool there is, exposed or not, with the organization-wide ones a --project scope drops. */
  everyTool(): SearchableTool[] {
    return [...this.every.values(), ...endpointTools.filter((t) => !this.every.has(t.name))];
  }

  search<T extends SearchableTool = RegisteredTool>(query: string, limit: number, pool: readonly T[] = this.exposed as unknown as T[]): T[] {
    const words = query.toLowerCase().split(/[\s_,.-]+/).filter(Boolean);
    const scored = pool.map((tool) => {
      const hay = `${tool.name.replace(/_/g, ' ')} ${tool.title} ${tool.description} ${tool.toolset}`.toLowerCase();
      const score = words.reduce((s, w) => s + (tool.name.includes(w) ? 3 : 0) + (hay.includes(w) ? 1 : 0), 0);
      return { tool, score };
    });
    return scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.tool.name.localeCompare(b.tool.name))
      .slice(0, limit)
      .map((s) => s.tool);
  }
}

/** The budget of a script's own calls: far past any page, so never cut (see resultBudget). */
const SCRIPT_CALL_TOKENS = 10_000_000;

/** A step's arguments as the scoped tool takes them: what --project fixes is not passed again. */
function withoutFixed(tool: RegisteredTool, args: Record<string, unknown>): Record<string, unknown> {
  const out = { ...args };
  for (const key of Object.keys(tool.fixed)) delete out[key];
  return out;
}

/** What search_tools reads of a tool. */
type SearchableTool = Pick<RegisteredTool, 'name' | 'title' | 'description' | 'toolset' | 'effect'>;

/** " (it would have been DELETE /organization/projects/proj_1/api_keys/key_2)": the refused call's target, when its arguments build one. */
function targetOf(tool: RegisteredTool | EndpointTool, args: unknown): string {
  const endpoint = 'endpoint' in tool ? tool.endpoint : 'method' in tool ? tool : undefined;
  if (!endpoint) return '';
  try {
    return ` (it would have been ${endpoint.method} ${buildPath(endpoint.path, { ...(isRecord(args) ? args : {}), ...('fixed' in tool ? tool.fixed : {}) })})`;
  } catch {
    return '';
  }
}

function textOf(result: ToolResult): string {
  return (result.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Windows planned and done across every range a report fetches, sent on as progress. */
function windowCounter(send: (done: number, total: number) => void): WindowProgress {
  let total = 0;
  let done = 0;
  return {
    plan(windows) {
      total += windows;
    },
    done() {
      done += 1;
      send(done, total);
    },
  };
}

/** `{endpoint: "METHOD path"}` for an endpoint tool, nothing for a report or workflow. */
export function endpointField(tool: RegisteredTool): { endpoint?: string } {
  return tool.endpoint ? { endpoint: `${tool.endpoint.method} ${tool.endpoint.path}` } : {};
}

/**
 * A registered tool as `tools/list` shows it: a title and a description only where they say more
 * than the name, and no endpoint (that is in the endpoints resource; see endpoints-resource.ts).
 */
export function listing(tool: RegisteredTool): Tool {
  return {
    name: tool.name,
    ...(titleRestatesName(tool.title, tool.name) ? {} : { title: tool.title }),
    ...(descriptionRestatesName(tool.description, tool.name) ? {} : { description: tool.description }),
    inputSchema: tool.inputSchema as Tool['inputSchema'],
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema as Tool['outputSchema'] } : {}),
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
    ...(tool.meta ? { _meta: tool.meta } : {}),
  };
}

interface MetaTool {
  listing: Tool;
  /** The argument validator, whose JSON Schema a test compares with the listing's. */
  input: z.ZodObject<z.ZodRawShape>;
  run(host: ToolHost, args: unknown, session: CallSession): Promise<ToolResult>;
}

function metaTool<S extends z.ZodRawShape>(name: string, shape: S, run: (host: ToolHost, args: z.infer<z.ZodObject<S>>, session: CallSession) => Promise<ToolResult>): MetaTool {
  const input = z.object(shape).strict();
  const listed = META_LISTINGS.find((t) => t.name === name);
  if (!listed) throw new Error(`${name} has no listing in meta-listing.ts`);
  return {
    listing: listed,
    input,
    async run(host, args, session) {
      const parsed = input.safeParse(args ?? {});
      if (!parsed.success) return failure(describeValidation(name, parsed.error, Object.keys(shape)));
      return run(host, parsed.data, session);
    },
  };
}

const META_TOOLS: MetaTool[] = [
  metaTool(
    'search_tools',
    { query: z.string().min(1).describe('Keywords, e.g. "archive project"'), limit: z.number().int().min(1).max(50).optional().describe('Default 10') },
    async (host, { query, limit }, session) => {
      const visible = session.visible ?? (() => true);
      const found = host.search(query, Number.MAX_SAFE_INTEGER).filter((t) => visible(t.name));
      // Of the tools this search would show if nothing were hidden, those the mode hides, and why.
      const shown = new Set(found.map((t) => t.name));
      const wouldShow = host.search(query, limit ?? 10, host.everyTool()).filter((t) => !shown.has(t.name));
      const hidden = summariseHidden(wouldShow, host.hiding(session));
      return success({ tools: found.slice(0, limit ?? 10).map((t) => ({ name: t.name, effect: t.effect, summary: t.description })), ...(hidden.length > 0 ? { hidden } : {}) });
    },
  ),
  metaTool('describe_tool', { name: z.string().min(1).describe('Tool name') }, async (host, { name }, session) => {
    if (name === RUN_SCRIPT_LISTING.name) return host.describeScripts(session);
    const tool = host.find(name);
    if (!tool || session.visible?.(name) === false) {
      // A hidden tool exists: say so, and which setting hides it, rather than send the caller back to search.
      const existing = host.everyTool().find((t) => t.name === name);
      const why = existing ? hiddenBecause(existing, host.hiding(session)) : undefined;
      return failure(why ? `${name} exists, but is hidden here: ${why}.` : `Unknown tool '${name}'. Use search_tools to find one.`);
    }
    // The endpoint, which the listing leaves to the endpoints resource, is given here with the rest.
    const listed = listing(tool);
    const { endpoint } = endpointField(tool);
    return success({ ...listed, ...(endpoint !== undefined ? { _meta: { ...listed._meta, [ENDPOINT_META_KEY]: endpoint } } : {}) } as Record<string, unknown>);
  }),
  metaTool(
    'call_tool',
    // Any object: the named tool validates its own arguments, with its own messages.
    { name: z.string().min(1).describe('Tool name'), arguments: z.object({}).passthrough().optional().describe('The tool arguments') },
    async (host, { name, arguments: args }, session) => host.callTool(name, args ?? {}, session),
  ),
];

/** The meta-tools' input schemas as derived from their zod validators (for the test against the listing). */
export function metaInputSchemas(): Array<{ name: string; inputSchema: JsonSchema }> {
  return META_TOOLS.map((m) => ({ name: m.listing.name, inputSchema: compactInput(toJsonSchema(m.input), m.listing.name) }));
}

export type { CallSession } from './host.js';
