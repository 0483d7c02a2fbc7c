/*
 * The endpoint tools the default listing shows, beside the six reports, the five workflows and the
 * three meta-tools. Hosts cap the tools they take (Cursor about 40, OpenAI's API and VS Code 128),
 * and every listed tool costs every conversation tokens, so the default lists what the jobs in the
 * README's "Which tools a host sees" need most and leaves the rest to `call_tool`, which reaches
 * every operation the operator allowed. The workflows (offboard_user, onboard_project, rotate_key, revoke_key,
 * clean_stale_keys) do the whole jobs in one plan, so the single calls they make are not listed
 * again. `--toolsets all` lists everything. A test holds the default to its budget.
 */

/** Each entry: the tool, and the job it is listed for. */
export const DEFAULT_TOOLS: ReadonlyArray<readonly [name: string, reason: string]> = [
  // Quick look-ups (IDE copilots: "my project's rate limit for gpt-4o?") and the IDs every write needs.
  ['projects_list', 'look-up: find a project and its ID'],
  ['projects_retrieve', 'look-up: a project and its status'],
  ['users_list', 'look-up: members, their org roles and IDs (filter by email)'],
  ['projects_users_list', "look-up: a project's members and roles"],
  ['projects_rate_limits_list', "look-up: a project's rate limit for a model"],
  ['invites_list', 'onboarding: who is still pending'],

  // A team's setup beyond onboard_project (which creates the project, adds and invites people, a
  // service account, rate limits and a spend alert): groups and later limit changes.
  ['groups_create', 'onboarding: the team as a group'],
  ['groups_users_create', 'onboarding: people into the group'],
  ['projects_groups_create', "onboarding: the group's access to the project"],
  ['projects_service_accounts_create', 'onboarding: another service account and its key'],
  ['projects_rate_limits_update', 'limits: change a rate limit later'],

  // Partial offboarding (offboard_user removes a person everywhere): one project only.
  ['projects_users_delete', 'offboarding: from one project only'],

  // Keys beyond rotate_key, revoke_key and clean_stale_keys: what exists.
  ['projects_api_keys_list', 'keys: owner and last use'],
  ['projects_service_accounts_list', "keys: a project's service accounts"],
  ['admin_api_keys_list', 'keys: admin keys, expiry and last use'],
];

// Left to call_tool since spend_anomalies joined the default (the 6,000-token budget): model
// permissions (set once per project, rarely), retiring a service account (rare beside the key
// workflows) and creating an admin key (done once, by an owner).
export const DEFAULT_LISTED: ReadonlySet<string> = new Set(DEFAULT_TOOLS.map(([name]) => name));
