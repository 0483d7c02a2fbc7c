/*
 * The endpoint tools the default listing shows, beside the five reports and the three meta-tools.
 * Hosts cap the tools they take (Cursor about 40, OpenAI's API and VS Code 128), and every listed
 * tool costs every conversation tokens, so the default lists what the jobs of PRODUCT.md §1 ask for
 * most and leaves the rest to `call_tool`, which reaches every operation the operator allowed.
 * `--toolsets all` lists everything. A test holds the default to 40 tools and 6,000 tokens.
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

  // Onboard a team: a project, its people (invited, added, or as a group), a service account and
  // its key, rate limits, model permissions and a spend alert.
  ['projects_create', 'onboarding: the project'],
  ['invites_create', 'onboarding: people not yet in the organization'],
  ['projects_users_create', 'onboarding: existing members into the project'],
  ['groups_create', 'onboarding: the team as a group'],
  ['groups_users_create', 'onboarding: people into the group'],
  ['projects_groups_create', "onboarding: the group's access to the project"],
  ['projects_service_accounts_create', 'onboarding: a service account and its key'],
  ['projects_rate_limits_update', 'onboarding: rate limits'],
  ['projects_model_permissions_update', 'onboarding: model permissions'],
  ['projects_spend_alerts_create', 'onboarding: a spend alert'],

  // Offboard someone everywhere: the organization (which removes them from every project and
  // group), one project, one group, or an invite not yet accepted.
  ['users_delete', 'offboarding: everywhere at once'],
  ['projects_users_delete', 'offboarding: from one project'],
  ['groups_users_delete', 'offboarding: from one group'],
  ['invites_delete', 'offboarding: a pending invite'],

  // Rotate or delete stale keys (access_review finds them): project keys, service accounts and
  // their keys, admin keys.
  ['projects_api_keys_list', 'keys: owner and last use'],
  ['projects_api_keys_delete', "keys: revoke a user's stale key"],
  ['projects_service_accounts_list', "keys: a project's service accounts"],
  ['projects_service_accounts_api_keys_create', "keys: rotate a service account's key"],
  ['projects_service_accounts_delete', 'keys: retire a service account and its keys'],
  ['admin_api_keys_list', 'keys: admin keys, expiry and last use'],
  ['admin_api_keys_create', 'keys: rotate an admin key'],
  ['admin_api_keys_delete', 'keys: revoke an admin key'],
];

export const DEFAULT_LISTED: ReadonlySet<string> = new Set(DEFAULT_TOOLS.map(([name]) => name));
