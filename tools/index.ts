import type { EndpointTool } from './define.js';
import projects from './projects.js';
import projectUsers from './project-users.js';
import serviceAccounts from './service-accounts.js';
import projectApiKeys from './project-api-keys.js';
import adminApiKeys from './admin-api-keys.js';
import users from './users.js';
import invites from './invites.js';
import groups from './groups.js';
import roles from './roles.js';
import projectRoles from './project-roles.js';
import projectGroups from './project-groups.js';
import certificates from './certificates.js';
import dataRetention from './data-retention.js';
import spendLimits from './spend-limits.js';
import rateLimits from './rate-limits.js';
import modelPermissions from './model-permissions.js';
import hostedToolPermissions from './hosted-tool-permissions.js';
import spendAlerts from './spend-alerts.js';
import usage from './usage.js';
import auditLogs from './audit-logs.js';
import workloadIdentityProviders from './workload-identity-providers.js';
import federationRules from './federation-rules.js';
import serviceTierSettings from './service-tier-settings.js';
import externalKeys from './external-keys.js';
import externalStorage from './external-storage.js';

/** Every Admin API operation, one entry each, grouped by resource family as the API is. */
export const endpointTools: readonly EndpointTool[] = [
  ...projects,
  ...projectUsers,
  ...serviceAccounts,
  ...projectApiKeys,
  ...adminApiKeys,
  ...users,
  ...invites,
  ...groups,
  ...roles,
  ...projectRoles,
  ...projectGroups,
  ...certificates,
  ...dataRetention,
  ...spendLimits,
  ...rateLimits,
  ...modelPermissions,
  ...hostedToolPermissions,
  ...spendAlerts,
  ...serviceTierSettings,
  ...usage,
  ...auditLogs,
  ...workloadIdentityProviders,
  ...federationRules,
  ...externalKeys,
  ...externalStorage,
];
