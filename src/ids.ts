/*
 * The shape of a project ID, for every place that tells an ID from a name or refuses a setting
 * (--project, the policy file, a report's `project` argument). Kept free of zod so the command
 * line can check it before anything heavy loads.
 */
export const PROJECT_ID = /^proj_[A-Za-z0-9]+$/;

export function isProjectId(value: string): boolean {
  return PROJECT_ID.test(value);
}
