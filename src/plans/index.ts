import type { WorkflowTool } from '../server/gate/workflow.js';
import { cleanStaleKeys, revokeKey, rotateKey } from './keys.js';
import { offboardUser } from './offboard.js';
import { onboardProject } from './onboard.js';

/** The workflow tools (README, "Workflows: a job as one plan"): each does an admin job as one plan with one confirmation. */
export const allWorkflows: readonly WorkflowTool[] = [offboardUser, onboardProject, rotateKey, revokeKey, cleanStaleKeys];
