import type { ZodObject, ZodRawShape } from 'zod';
import type { CallSession } from './host.js';
import type { RegisteredTool } from '../listing/registry.js';
import type { ToolResult } from '../results/results.js';
import type { WorkflowTool } from '../gate/workflow.js';

/*
 * What the server offers run_script (src/scripts, PRODUCT.md §13). The scripts folder imports this;
 * nothing here imports it: the runtime hands the runner to the host, as it does the workflows. Every
 * call a script makes comes back through the host's own door (argument limits, exposure, read-only,
 * --project, a person's grant, audit), so a script can do nothing a direct call could not.
 */

export interface ScriptRunner {
  /** run_script's arguments (code and limits, or steps and confirm). */
  input: ZodObject<ZodRawShape>;
  /** The plan a script's writes become: confirmed and run by the plan engine, never by the script. */
  plan: WorkflowTool;
  run(args: Record<string, unknown>, bridge: ScriptBridge): Promise<ToolResult>;
  /** TypeScript declarations of the `api` object for these tools. */
  declarations(tools: readonly RegisteredTool[]): string;
}

/** One script's way to the server: the caller's tools, their calls, and the plan. */
export interface ScriptBridge {
  /** This script's id, in every audit line of its calls. */
  id: string;
  /** The tools this caller may call now (exposure, read-only, --project, their grant). */
  tools: readonly RegisteredTool[];
  /** Any tool that exists here, exposed or not, to tell a write from a read by name. */
  find(name: string): RegisteredTool | undefined;
  /** A read, dispatched as a direct call is; `call` is its number in the script, from 1. */
  call(name: string, args: unknown, call: number, signal: AbortSignal): Promise<ToolResult>;
  /**
   * A write the script asked for, checked as a direct call is (argument limits, exposure, read-only,
   * --project, grant, validation) and audited as planned: undefined when it may join the plan,
   * else the refusal a direct call would give.
   */
  planStep(name: string, args: unknown, call: number): string | undefined;
  /** The plan of these steps through the confirmation gate: a preview with a token, or its outcome. */
  runPlan(args: Record<string, unknown>): Promise<ToolResult>;
  session: CallSession;
  sandbox: boolean;
  /** The token budget of the script's result. */
  maxResultTokens: number;
}
