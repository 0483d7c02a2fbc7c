import { z } from 'zod';
import { buildPath } from '../client/index.js';
import { workflow, type StepDraft } from '../plans/plan.js';
import { ReportError } from '../reports/report.js';
import { endpointTools } from '../../tools/index.js';

/*
 * The plan a script's writes become. Its steps are exactly the calls the script asked for, in the
 * order it asked, each after the one before (a script's order is its intent: a membership before
 * the user goes). The plan engine checks every step against the policy again, reads every target,
 * binds the token to all of it, and runs the steps through the executor once confirmed; the
 * confirmation call carries the steps themselves, so any replica can check and run them, and the
 * script is never run again.
 */

export const MAX_PLAN_STEPS = 200;

const step = z.object({ tool: z.string().min(1), args: z.record(z.unknown()) }).strict();
export const planSteps = z.array(step).min(1).max(MAX_PLAN_STEPS);
export type PlannedStep = z.infer<typeof step>;

export const scriptPlan = workflow({
  name: 'run_script',
  title: 'Run script',
  description: "A script's writes, as one plan.",
  input: { steps: planSteps },
  async draft(args) {
    const steps: StepDraft[] = args.steps.map((s, i) => {
      const tool = endpointTools.find((t) => t.name === s.tool);
      // Reads run when the script asks; workflows and scripts plan for themselves.
      if (!tool || tool.effect === 'read') throw new ReportError(`step ${i + 1} names ${s.tool}, which is not an Admin API write: a plan holds only writes and deletes. Nothing was changed.`);
      return { tool: s.tool, args: s.args, effect: effectOf(tool, s.args), ...(i > 0 ? { after: [i] } : {}) };
    });
    return { summary: `${steps.length} change${steps.length === 1 ? '' : 's'} a script asked for, in its order.`, steps, warnings: [] };
  },
});

function effectOf(tool: (typeof endpointTools)[number], args: Record<string, unknown>): string {
  let path: string;
  try {
    path = buildPath(tool.path, args);
  } catch {
    path = tool.path;
  }
  return `${tool.title}: ${tool.method} ${path}.${tool.effect === 'destructive' ? ' Destructive.' : ''}`;
}
