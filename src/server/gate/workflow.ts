import type { ZodRawShape } from 'zod';
import type { AdminClient } from '../../client/index.js';
import type { NameDirectory } from '../../reports/names.js';
import type { ApprovalStamp, AuditEntry, AuditSink } from './audit.js';
import type { GateContext } from './gate.js';
import type { TargetRead } from './outcome.js';
import type { ToolResult } from '../results/results.js';

/*
 * What the server offers a workflow tool (offboard_user, rotate_key, …: src/plans): the one
 * confirmation gate, and endpoint calls through the same executor and policy as a direct call
 * (exposure, read-only, --project, a person's grant, audit, exactly-once). The plans live in their
 * own folder and import this; nothing here imports them: the runtime hands them to the host.
 */

export interface WorkflowTool {
  name: string;
  title: string;
  description: string;
  /** The arguments, without `confirm`, which the registry adds. */
  input: ZodRawShape;
  run(args: Record<string, unknown>, ctx: WorkflowContext): Promise<ToolResult>;
}

/** A step of a confirmed plan, run under the plan's confirmation instead of its own (see clearStep in the executor). */
export interface PlanStep {
  /** The plan's id, in every audit line of the step. */
  plan: string;
  /** The step's number in the plan, from 1. */
  step: number;
  /** Digest of the target's state as the plan showed it; undefined when the plan read none. */
  state?: string;
  /** The confirmation store's epoch when the plan was confirmed: the step's claim is made under it. */
  epoch: string;
  /** The approval that cleared the plan, for the step's audit lines. */
  approval?: ApprovalStamp;
}

/** One step's call: its result, and its last audit line, which says how it ended. */
export interface StepRun {
  result: ToolResult;
  line?: AuditEntry;
  /** The step only read (reads are never audited), so its result alone says how it ended. */
  read?: true;
}

export interface WorkflowContext extends GateContext {
  client: AdminClient;
  names: NameDirectory;
  /** Wall clock in ms. */
  now: () => number;
  /** The audit trail of the call itself (previews and refusals of the plan); steps audit themselves. */
  audit?: AuditSink;
  /** Why this server and caller may not make this call, or undefined when they may: checked for every step before a plan is shown. */
  refusal(tool: string, args: Record<string, unknown>): string | undefined;
  /** Why the tool would refuse these arguments (naming the field and the fix), or undefined: checked for every step before a plan is shown. */
  invalid(tool: string, args: Record<string, unknown>): string | undefined;
  /** Why the API is certain to refuse this call (an archived project), from the tool's preview rules, or undefined. */
  apiRefusal(tool: string, args: Record<string, unknown>): Promise<string | undefined>;
  /** A step's target as its tool reads it before a change (undefined for a tool without one). */
  target(tool: string, args: Record<string, unknown>): Promise<TargetRead | undefined>;
  /** The path `target` reads, for the approval page to read again (undefined for a tool without one). */
  targetPath(tool: string, args: Record<string, unknown>): string | undefined;
  /** Runs one step through the executor under the plan's confirmation. */
  step(tool: string, args: Record<string, unknown>, step: PlanStep): Promise<StepRun>;
}
