import type { Route } from '../router.js';
import { routes as auditLogs } from './audit-logs.js';
import { routes as certificates } from './certificates.js';
import { routes as externalKeys } from './external-keys.js';
import { routes as externalStorage } from './external-storage.js';
import { routes as keys } from './keys.js';
import { routes as limits } from './limits.js';
import { routes as members } from './members.js';
import { routes as policies } from './policies.js';
import { routes as projectGroups } from './project-groups.js';
import { routes as projects } from './projects.js';
import { routes as roles } from './roles.js';
import { routes as serviceTiers } from './service-tiers.js';
import { routes as usage } from './usage.js';
import { routes as workloadIdentity } from './workload-identity.js';

export const allRoutes: readonly Route[] = [
  ...projects,
  ...keys,
  ...members,
  ...roles,
  ...projectGroups,
  ...certificates,
  ...limits,
  ...policies,
  ...serviceTiers,
  ...usage,
  ...auditLogs,
  ...workloadIdentity,
  ...externalKeys,
  ...externalStorage,
];
